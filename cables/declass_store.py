"""Compute each cable's declassification status with the engine and store it.

The engine (``cables.declassification``) is pure; this module feeds it stored
cables in chunks and writes the results back with one bulk UPDATE per chunk.
``RULES_VERSION`` marks which version of the rules a stored result came from,
so that a recompute after a rule change is resumable: it only touches cables
whose stored version differs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from cables.declassification import DeclassInputError, DeclassResult, declass_status
from cables.markings import Level
from cables.models import Cable

# Bump when the engine's rules change: recompute_declass then redoes every cable.
RULES_VERSION = "eo13526-4.6-1"
CHUNK_SIZE = 2000  # one SELECT and one bulk UPDATE per chunk; a few MB of JSON at most

_FIELDS = ("id", "sent_at", "level", "decl", "reasons", "controls")
_AEA_CONTROLS = frozenset({"RD", "FRD", "TFNI"})


def status_for(
    *,
    sent_at: datetime | None,
    level: int,
    decl: str,
    reasons: list[str],
    controls: list[str],
    as_of: date,
) -> DeclassResult:
    """The engine's result for one cable's stored fields.

    A cable without a date of origin cannot be dated: it gets no date and
    always needs review, never a guess.
    """
    if sent_at is None:
        return DeclassResult(
            declass_date=None,
            date_kind="none",
            rule="R-NO-ORIGIN",
            review_required=True,
            warnings=frozenset({"W_NO_ORIGIN_DATE"}),
            flags=frozenset(),
            explanation=(
                "The cable has no date of origin (no date-time group and none beside it), "
                "so no declassification date can be computed; a reviewer must decide.",
            ),
        )
    return declass_status(
        origin=sent_at.date(),
        level=Level(level).name,
        decl=decl or None,
        reasons=list(reasons),
        exemptions=[],
        as_of=as_of,
        aea=bool(_AEA_CONTROLS.intersection(controls)),
    )


def _apply(cable: Cable, result: DeclassResult, now: datetime) -> None:
    cable.declass_date = result.declass_date
    cable.declass_kind = result.date_kind
    cable.declass_rule = result.rule
    cable.declass_review_required = result.review_required
    cable.declass_explanation = list(result.explanation)
    cable.declass_warnings = sorted(result.warnings)
    cable.declass_flags = sorted(result.flags)
    cable.declass_computed_at = now
    cable.declass_version = RULES_VERSION


def declass_compute(cable_ids: Iterable[int], *, as_of: date | None = None) -> int:
    """Compute and store the status of the given cables; returns how many were updated.

    Idempotent: running it twice stores the same values.  Ids of cables that no
    longer exist are skipped.
    """
    as_of = as_of or timezone.now().date()
    now = timezone.now()
    ids = list(cable_ids)
    updated = 0
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = list(Cable.objects.filter(pk__in=ids[start : start + CHUNK_SIZE]).only(*_FIELDS))
        for cable in chunk:
            _apply(cable, _safe_status(cable, as_of), now)
        with transaction.atomic():
            _store(chunk, now)
        updated += len(chunk)
    return updated


# The table name from the model; every value is a bound parameter.
_STORE_SQL = f"""
UPDATE {Cable._meta.db_table} AS c SET
    declass_date = v.declass_date, declass_kind = v.declass_kind,
    declass_rule = v.declass_rule, declass_review_required = v.review_required,
    declass_explanation = v.explanation::jsonb, declass_warnings = v.warnings::jsonb,
    declass_flags = v.flags::jsonb, declass_computed_at = %s, declass_version = %s
FROM unnest(%s::bigint[], %s::date[], %s::text[], %s::text[], %s::boolean[], %s::text[],
            %s::text[], %s::text[])
    AS v(id, declass_date, declass_kind, declass_rule, review_required, explanation,
         warnings, flags)
WHERE c.id = v.id
"""  # nosec B608


def _store(chunk: list[Cable], now: datetime) -> None:
    """Write the chunk's results in one UPDATE from arrays.

    Only the columns the application's database role may update on a cable
    (``audit.db_roles.UPDATABLE_COLUMNS``; a test holds the two together).

    ``bulk_update`` builds a CASE WHEN per field and row in Python: with a worker
    applying rules beside it, it was three fifths of the work that follows an import
    (measured with py-spy on the worker).  One statement, so the workflow's statement
    trigger on the dates runs once per chunk, as it did per bulk_update batch.
    """
    if not chunk:
        return
    columns = list(
        zip(
            *(
                (
                    c.pk,
                    c.declass_date,
                    c.declass_kind,
                    c.declass_rule,
                    c.declass_review_required,
                    json.dumps(c.declass_explanation),
                    json.dumps(c.declass_warnings),
                    json.dumps(c.declass_flags),
                )
                for c in chunk
            ),
            strict=True,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(_STORE_SQL, [now, RULES_VERSION, *map(list, columns)])


def _safe_status(cable: Cable, as_of: date) -> DeclassResult:
    try:
        return status_for(
            sent_at=cable.sent_at,
            level=cable.level,
            decl=cable.decl,
            reasons=cable.reasons,
            controls=cable.controls,
            as_of=as_of,
        )
    except DeclassInputError as exc:
        return DeclassResult(
            declass_date=None,
            date_kind="none",
            rule="R-ERROR",
            review_required=True,
            warnings=frozenset({"W_ENGINE_INPUT"}),
            flags=frozenset(),
            explanation=(f"The engine refused the stored fields ({exc}); a reviewer must decide.",),
        )


def stale_cable_ids(*, chunk_size: int | None = None) -> Iterator[list[int]]:
    """Chunks of ids of cables not computed under the current rules, in id order.

    Keyset pagination on the id, so the scan stays cheap however far it has got.
    """
    chunk_size = chunk_size or CHUNK_SIZE
    last = 0
    while True:
        chunk = list(
            Cable.objects.filter(pk__gt=last)
            .exclude(declass_version=RULES_VERSION)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk_size]
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def declass_recompute_stale(
    *, as_of: date | None = None, on_chunk: Callable[[int], None] | None = None
) -> int:
    """Recompute every cable whose stored result predates ``RULES_VERSION``.

    Resumable by construction: an interrupted run leaves the rest stale, and the
    next run picks up only those.
    """
    total = 0
    for chunk in stale_cable_ids():
        total += declass_compute(chunk, as_of=as_of)
        if on_chunk:
            on_chunk(len(chunk))
    return total
