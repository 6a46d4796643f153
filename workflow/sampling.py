"""Which decisions quality control samples, and which samples still wait (``workflow.qc``).

Kept apart from ``workflow.qc`` so that the one transition function
(``workflow.review``) can refuse an approval while a cable's samples wait for their
blind re-decision: ``qc`` records re-decisions through ``review``'s checks, so
``review`` may not import ``qc`` (tests/test_layers.py refuses the circle).

A share (``DECLASS_QC_SAMPLE_PCT``, default 5) of every reviewer's current
decisions, chosen by a hash of the decision's id (``md5('qc:' || id)``, the same in
SQL and in Python), so the choice is fixed, needs no stored state, and cannot be
steered by the reviewer.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.expressions import RawSQL

from workflow.models import Decision, QCReview, ReviewState

BUCKETS = 10_000
BEFORE_APPROVAL = (ReviewState.IN_REVIEW, ReviewState.REVIEWED)
_BUCKET_SQL = "(('x' || substr(md5('qc:' || workflow_decision.id::text), 1, 8))::bit(32)::bigint)"


def sample_pct() -> int:
    return int(getattr(settings, "DECLASS_QC_SAMPLE_PCT", 5))


def bucket(decision_id: int) -> int:
    """Where the decision falls in 0..9999 (its hash); sampled below the share."""
    digest = hashlib.md5(f"qc:{decision_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % BUCKETS


def is_sampled(decision_id: int) -> bool:
    return bucket(decision_id) < sample_pct() * BUCKETS // 100


def sampled(decisions: QuerySet[Decision]) -> QuerySet[Decision]:
    """The sampled decisions among ``decisions``, chosen in SQL exactly as ``is_sampled``."""
    # Constants of this module only: no value from a request reaches the SQL.
    bucket_sql = RawSQL(f"mod({_BUCKET_SQL}, {BUCKETS})", [])  # nosec B611
    return decisions.annotate(qc_bucket=bucket_sql).filter(
        qc_bucket__lt=sample_pct() * BUCKETS // 100
    )


def open_samples() -> QuerySet[Decision]:
    """Sampled current decisions of cables before approval with no re-decision yet."""
    return sampled(
        Decision.objects.filter(
            superseded_by__isnull=True, cable__status__review_state__in=BEFORE_APPROVAL
        )
    ).filter(~Exists(QCReview.objects.filter(decision=OuterRef("pk"))))


def pending_for_cable(cable_id: int) -> int:
    """Sampled decisions of the cable still waiting for their blind re-decision."""
    if sample_pct() <= 0:
        return 0
    return open_samples().filter(cable_id=cable_id).count()
