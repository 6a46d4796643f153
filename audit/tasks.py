"""Celery tasks for the audit trail: thin, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from audit import checkpoint
from config import task_policy


@shared_task(name="audit.checkpoint", **task_policy.DEFAULT)
def audit_checkpoint_task() -> None:
    """The periodic checkpoint (run by beat): the chain's length and head, signed,
    appended to DECLASS_AUDIT_CHECKPOINT_PATH outside the database."""
    checkpoint.checkpoint_write()
