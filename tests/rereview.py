"""Bringing a released cable back for review the way the service does: a date that
dated it runs out after its release, and the due sweep opens a re-review round."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cables.models import Cable
from workflow.models import CableStatus, ReviewRound
from workflow.sweep import declass_due_sweep


def reopen_for_rereview(cable: Cable, *, days_later: int = 365) -> ReviewRound:
    """Re-date the released ``cable`` ``days_later`` past the date its release covered
    (as when a 25X exemption that dated it runs out) and run the sweep on that day:
    the round it opens (the cable's state stays released)."""
    covered = CableStatus.objects.get(cable=cable).due_for_date or timezone.now().date()
    new_date = covered + timedelta(days=days_later)
    Cable.objects.filter(pk=cable.pk).update(declass_date=new_date)  # the status follows
    cable.declass_date = new_date
    declass_due_sweep(as_of=new_date)
    return ReviewRound.objects.get(cable=cable, closed_at__isnull=True)
