"""Celery tasks for the workflow: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from workflow import notify, proposals, queue_index, rule_services, sweep


@shared_task(name="workflow.declass_due_sweep", acks_late=True, ignore_result=True)
def declass_due_sweep_task() -> None:
    """The periodic sweep (run by beat); flags nothing twice.  Then the queue index is
    checked against the permissions and statuses (workflow.queue_index)."""
    sweep.declass_due_sweep()
    queue_index.queue_index_repair()


@shared_task(name="workflow.notifications_email", acks_late=True, ignore_result=True)
def notifications_email_task(sweep_run_id: int) -> None:
    """E-mail the notifications of one sweep run that have not been e-mailed yet."""
    notify.notifications_email(sweep_run_id=sweep_run_id)


@shared_task(name="workflow.proposals_apply_chunk", acks_late=True, ignore_result=True)
def proposals_apply_chunk_task(chunk_id: int) -> None:
    """Re-apply the active rules to one chunk of cables (idempotent)."""
    rule_services.chunk_apply(chunk_id)


@shared_task(name="workflow.proposals_apply", acks_late=True, ignore_result=True)
def proposals_apply_task(cable_ids: list[int]) -> None:
    """Apply the active rules to newly imported cables (idempotent)."""
    proposals.proposals_apply(cable_ids)
