"""Celery tasks for the workflow: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from workflow import notify, sweep


@shared_task(name="workflow.declass_due_sweep", acks_late=True, ignore_result=True)
def declass_due_sweep_task() -> None:
    """The periodic sweep (run by beat); flags nothing twice."""
    sweep.declass_due_sweep()


@shared_task(name="workflow.notifications_email", acks_late=True, ignore_result=True)
def notifications_email_task(sweep_run_id: int) -> None:
    """E-mail the notifications of one sweep run that have not been e-mailed yet."""
    notify.notifications_email(sweep_run_id=sweep_run_id)
