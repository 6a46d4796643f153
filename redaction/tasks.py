"""Celery tasks for redaction rules: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_init

from config import task_policy
from redaction import proposals, rule_services


@shared_task(name="redaction.proposals_apply_chunk", **task_policy.DEFAULT)
def proposals_apply_chunk_task(chunk_id: int) -> None:
    """Re-apply the active rules to one chunk of cables (idempotent)."""
    rule_services.chunk_apply(chunk_id)


@shared_task(name="redaction.proposals_apply", **task_policy.DEFAULT)
def proposals_apply_task(cable_ids: list[int]) -> None:
    """Apply the active rules to newly imported cables (idempotent)."""
    proposals.proposals_apply(cable_ids)


@worker_init.connect
def _compile_the_scan_callback(**_kwargs: object) -> None:
    """Compile the engine's hyperscan callback in the worker's main process, before it
    forks its pool: each process then has it from the start, and no first batch of
    cables waits the second or so it takes (``redaction.engine.native_scan``)."""
    from redaction.engine import native_scan

    native_scan.warm()
