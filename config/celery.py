"""The Celery app, configured from Django settings (``CELERY_*``)."""

import logging
import os
from pathlib import Path

from celery import Celery, Task
from celery.signals import setup_logging
from django.apps import apps
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("declass")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def _use_project_logging(loglevel: object = None, **_kwargs: object) -> None:
    """Workers and beat log through the project's LOGGING (JSON lines in production,
    with the task id and name on each record) instead of Celery's own format; the
    command line's ``--loglevel`` still sets the level."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    if loglevel:
        logging.getLogger().setLevel(loglevel)


def project_tasks() -> dict[str, Task]:
    """Every task of the project's apps (their ``tasks`` modules; not Celery's own, nor
    a test's), by name, all loaded.  Their queues: ``CELERY_TASK_ROUTES``; their
    retries and time limits: ``config.task_policy``."""
    app.loader.import_default_modules()
    modules = {
        f"{app_config.name}.tasks"
        for app_config in apps.get_app_configs()
        if Path(app_config.path).parent == settings.BASE_DIR
    }
    return {name: task for name, task in app.tasks.items() if task.__module__ in modules}


_tasks_loaded = False


def queue_task(name: str, *args: object) -> None:
    """Queue the task registered under ``name``.

    Services start their follow-up work by task name, never by importing a tasks
    module: tasks import services, so the arrow runs one way.  ``delay`` on the
    registered task (unlike ``send_task``) still runs in-process when tasks are
    eager, as the unit tests run them.
    """
    global _tasks_loaded
    if not _tasks_loaded:
        app.loader.import_default_modules()
        _tasks_loaded = True
    app.tasks[name].delay(*args)
