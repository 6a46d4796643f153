"""How tasks behave when something fails: each task's policy, in one place.

A task decorator names a policy and nothing else of this kind::

    @shared_task(name="cables.declass_compute", **task_policy.DEFAULT)

The rest is settings-wide and not repeated here: tasks are acknowledged when they end
and given back when their worker dies (``CELERY_TASK_ACKS_LATE``,
``CELERY_TASK_REJECT_ON_WORKER_LOST``), results are ignored, the default time limits
are ``CELERY_TASK_(SOFT_)TIME_LIMIT``, and the queue comes from ``CELERY_TASK_ROUTES``
(by task name).

Retries: a task is retried, with exponential backoff, only when a retry can help,
that is when the database or the broker was out of reach (a restart, a fail-over, a
network blip).  Any other exception is a bug or bad data and fails at once: running
it again would fail the same way.  Every task is idempotent, so running one again
after a partial attempt is safe.
"""

from __future__ import annotations

from typing import Any

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.db import InterfaceError, OperationalError

# The database (Django wraps psycopg's errors in these) or the broker went away.
# kombu raises its OperationalError when it cannot publish (queueing a follow-up task).
RETRY_ON: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    kombu.exceptions.OperationalError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)

# Waits of up to 5, 10, 20, 40, ... seconds (full jitter: a random part of each, so
# that the workers do not all come back at once), never more than 10 minutes, eight
# times: at most about 20 minutes in all.  Below the broker's visibility timeout, so that a
# retry waiting in Redis is not handed out early.
_RETRIES: dict[str, Any] = {
    "autoretry_for": RETRY_ON,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 8,
}

# Every task unless it says otherwise: retries as above, the default time limits.
DEFAULT: dict[str, Any] = {"ignore_result": True, **_RETRIES}

# The hour-long tasks (the near-duplicate rebuild): the long time limits, and fewer
# retries, as each one starts the whole task again.
LONG: dict[str, Any] = {
    **DEFAULT,
    "max_retries": 3,
    "soft_time_limit": settings.TASK_LONG_SOFT_TIME_LIMIT,
    "time_limit": settings.TASK_LONG_TIME_LIMIT,
}
