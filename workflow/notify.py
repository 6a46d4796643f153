"""Send notifications by e-mail through Django's e-mail backend."""

from __future__ import annotations

from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from workflow.models import Notification


def notifications_email(*, sweep_run_id: int) -> int:
    """E-mail each not-yet-e-mailed notification of a run once; returns how many were sent.

    Rows are claimed with ``select_for_update(skip_locked)`` so that a task
    delivered twice (acks_late) never sends the same notice twice.
    """
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(sweep_run_id=sweep_run_id, emailed_at__isnull=True)
            .exclude(user__email="")
            .select_related("user")
        )
        if not pending:
            return 0
        messages = [
            ("Cables due for declassification review", n.message, None, [n.user.email])
            for n in pending
        ]
        send_mass_mail(messages, fail_silently=False)
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(
            emailed_at=timezone.now()
        )
    return len(pending)
