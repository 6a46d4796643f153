"""Logging: plain text for a developer's terminal, JSON lines for a deployment.

One ``dictConfig`` serves Django, gunicorn and Celery, so every process of a
deployment writes the same shape of line and a log pipeline needs one parser.
Each record written while serving a request carries that request's id, and each
record written inside a Celery task carries the task's id and name, so the lines
of one request or one task can be found together.

This module imports neither Django settings nor models: gunicorn reads it
before Django is set up.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

LOG_FORMATS = ("json", "plain")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# Fields every JSON line has; anything passed as ``extra=`` is added after them.
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"


class ContextFilter(logging.Filter):
    """Adds ``request_id``, or ``task_id`` and ``task_name``, to records that lack them.

    Attributes are only added when there is a request or task, so a JSON line
    written outside both carries no empty keys.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = request_id_var.get()
        if request_id and not hasattr(record, "request_id"):
            record.request_id = request_id
        if not hasattr(record, "task_id"):
            task = _current_task()
            if task is not None:
                record.task_id = task.request.id
                record.task_name = task.name
        return True


def _current_task() -> Any:
    from celery import current_task

    task = current_task._get_current_object()
    if task is None or getattr(task.request, "id", None) is None:
        return None
    return task


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dict for ``log_format`` ("json" or "plain") at root ``level``."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
    own_handler = {"handlers": ["console"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "config.logs.ContextFilter"}},
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": JSON_FIELDS,
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # gunicorn gives its loggers handlers of their own; route them through ours.
            "gunicorn.error": own_handler,
            # Requests are logged once, by config.request_log, with the request id.
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
