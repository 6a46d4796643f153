"""Celery tasks for releases: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from config import task_policy
from releases import recheck, services


@shared_task(name="releases.release_generate", **task_policy.DEFAULT)
def release_generate_task(release_id: int) -> None:
    """Generate, verify and publish one approved release (a no-op once it is not pending)."""
    services.release_generate(release_id=release_id)


@shared_task(name="releases.release_recheck", **task_policy.DEFAULT)
def release_recheck_task(release_id: int) -> None:
    """Withdraw for re-review the other cables' current releases that publish what this
    published release withholds (idempotent: a withdrawn release is not checked again)."""
    recheck.release_recheck(release_id=release_id)
