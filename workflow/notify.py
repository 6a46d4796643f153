"""Notify people: in-app notices (``Notification``), e-mailed through Django's e-mail backend.

Four things notify: the due sweep (cables assigned to a reviewer came due; its run's
notices are e-mailed by a task), a cable returned for rework (its reviewers), a
batch of work assigned (the assignee, or each member of the group) and a release
withdrawn for re-review (the cable's reviewers, ``releases.recheck``).  A notice carries
no cable text: counts, reference ids of cables the person may view, who acted, and
the page to open; a note written on the cable stays on the cable's pages, where the
reader's clearance is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from config.celery import queue_task
from workflow.models import Notification

SUBJECTS: dict[str, str] = {
    Notification.Kind.DUE: "Cables due for declassification review",
    Notification.Kind.RETURNED: "A cable you review was returned for rework",
    Notification.Kind.ASSIGNED: "Work assigned to you",
    Notification.Kind.WITHDRAWN: "A cable release was withdrawn from the reading room",
}


def notify(
    user_ids: Iterable[int],
    *,
    kind: str,
    message: str,
    link: str = "",
    cable_count: int = 0,
) -> int:
    """Give each of ``user_ids`` the same notice (one insert) and have a worker e-mail it
    once the transaction commits; returns how many were created.

    The caller chooses the people (active ones: those who may do the work) and writes a
    message without cable text.  The e-mail is queued after the commit, so that a rolled
    back change tells nobody, and sent by a task, so that a slow or absent mail server
    holds up no request: the task retries, and the due sweep queues again whatever is
    still not e-mailed (``workflow.sweep._queue_emails``).
    """
    wanted = sorted(set(user_ids))
    if not wanted:
        return 0
    now = timezone.now()
    created = Notification.objects.bulk_create(
        Notification(
            user_id=user_id,
            kind=kind,
            message=message,
            link=link,
            cable_count=cable_count,
            created_at=now,
        )
        for user_id in wanted
    )
    ids = [n.pk for n in created]

    # A named function, not a partial: Django logs a failed robust callback by name.
    def queue_email(ids: list[int] = ids) -> None:
        queue_task("workflow.notices_email", ids)

    transaction.on_commit(queue_email, robust=True)
    return len(created)


def notifications_email(
    *, sweep_run_id: int | None = None, ids: Sequence[int] | None = None
) -> int:
    """E-mail each not-yet-e-mailed notification of a sweep run (or of ``ids``) once;
    returns how many were sent.

    Rows are claimed with ``select_for_update(skip_locked)`` so that a task
    delivered twice (acks_late) never sends the same notice twice.
    """
    if sweep_run_id is None and ids is None:
        raise ValueError("name a sweep run or the notifications to e-mail")
    # A person deactivated since is e-mailed nothing (the notice stays, unsent).
    rows = Notification.objects.filter(emailed_at__isnull=True, user__is_active=True)
    if sweep_run_id is not None:
        rows = rows.filter(sweep_run_id=sweep_run_id)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    with transaction.atomic():
        pending = list(
            rows.select_for_update(skip_locked=True).exclude(user__email="").select_related("user")
        )
        if not pending:
            return 0
        messages = [
            (SUBJECTS.get(n.kind, SUBJECTS[Notification.Kind.DUE]), n.message, None, [n.user.email])
            for n in pending
        ]
        send_mass_mail(messages, fail_silently=False)
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now()
        )
    return len(pending)
