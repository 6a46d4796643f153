"""Celery tasks for the workflow: thin, take ids, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from config import task_policy
from workflow import notify, queue_index, sweep
from workflow.learning import service as learning


@shared_task(name="workflow.declass_due_sweep", **task_policy.DEFAULT)
def declass_due_sweep_task() -> None:
    """The periodic sweep (run by beat); flags nothing twice.  Then the queue index is
    checked against the permissions and statuses (workflow.queue_index): the cables
    logged since the last check, or the whole index after the day's first run."""
    run = sweep.declass_due_sweep()
    queue_index.queue_index_repair_after(run)


@shared_task(name="workflow.notifications_email", **task_policy.DEFAULT)
def notifications_email_task(sweep_run_id: int) -> None:
    """E-mail the notifications of one sweep run that have not been e-mailed yet."""
    notify.notifications_email(sweep_run_id=sweep_run_id)


@shared_task(name="workflow.notices_email", **task_policy.DEFAULT)
def notices_email_task(notification_ids: list[int]) -> None:
    """E-mail these notifications (a return, an assignment) that have not been e-mailed."""
    notify.notifications_email(ids=notification_ids)


@shared_task(name="workflow.learning_retrain", **task_policy.DEFAULT)
def learning_retrain_task() -> None:
    """Train a new version of the learned suggestions when the decisions changed since
    the last one (beat, hourly); nothing when they did not, or too few exist."""
    learning.retrain()
