"""The Celery app, configured from Django settings (``CELERY_*``)."""

import logging
import os

from celery import Celery
from celery.signals import setup_logging

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
