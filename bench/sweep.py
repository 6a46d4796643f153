"""Sweep benchmark: one due sweep over 1,000,000 cables in PostgreSQL, and the engine's speed.

Fills the table with COPY (not the importer), with declassification dates spread
from 1990 to 2060 and a few reviewers holding review permission on part of the
cables, then times:
- the first sweep (flags everything due within 90 days and notifies reviewers),
- the same sweep again (nothing to flag: the idempotent case),
- the pure engine on one core, over a realistic mix of inputs.
Baseline in the same run: the bare UPDATE of the same rows with no lock, run
record or notifications, on a copy of the table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/declass bench/sweep.py [--quick]

Last line: ``cables=N sweep_s=N flagged=N engine_per_s=N``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import ROOT, setup_bench_database  # noqa: E402

AS_OF = date(2025, 7, 1)
REVIEWERS = 5
CABLES_PER_REVIEWER = 20_000


def _fill(total: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from cables.models import Cable

    rng = random.Random(1)
    template = {f.column: f.get_default() for f in Cable._meta.concrete_fields if not f.primary_key}
    template.update(imported_at=timezone.now(), sha256="0" * 64, level=1)
    json_cols = {
        f.column for f in Cable._meta.concrete_fields if f.get_internal_type() == "JSONField"
    }
    columns = list(template)
    start = date(1990, 1, 1)
    span = (date(2060, 12, 31) - start).days
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY cables_cable ({', '.join(columns)}) FROM STDIN") as copy:
            for i in range(total):
                row = dict(template)
                row["reference_id"] = f"BENCH{i}"
                row["raw_text"] = f"cable {i}"
                row["declass_date"] = start + timedelta(days=rng.randrange(span))
                row["sent_at"] = datetime(2000, 1, 1, tzinfo=UTC)
                copy.write_row([json.dumps(row[c]) if c in json_cols else row[c] for c in columns])
        cur.execute("ANALYZE cables_cable")


def _grant_reviewers(total: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from workflow.permissions import REVIEW, _permission

    perm = _permission(REVIEW)
    users = [
        get_user_model().objects.create_user(f"reviewer{i}", f"r{i}@example.org")
        for i in range(REVIEWERS)
    ]
    rng = random.Random(2)
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM cables_cable")
        low, high = cur.fetchone()
        with cur.cursor.copy(
            "COPY workflow_cableuserobjectpermission (user_id, permission_id, content_object_id)"
            " FROM STDIN"
        ) as copy:
            for user in users:
                for cable_id in rng.sample(range(low, high + 1), min(CABLES_PER_REVIEWER, total)):
                    copy.write_row((user.pk, perm.pk, cable_id))
        cur.execute("ANALYZE workflow_cableuserobjectpermission")


def _baseline_update(horizon: int) -> tuple[float, int]:
    from django.db import connection, transaction

    cutoff = AS_OF + timedelta(days=horizon)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_copy AS SELECT id, declass_date, review_state, "
            "due_for_date FROM cables_cable"
        )
        cur.execute(
            "CREATE INDEX ON bench_copy (declass_date) "
            "WHERE review_state NOT IN ('due', 'in_review')"
        )
        cur.execute("ANALYZE bench_copy")
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE bench_copy SET review_state = 'due', due_for_date = declass_date "
            "WHERE declass_date <= %s AND review_state NOT IN ('due', 'in_review')",
            [cutoff],
        )
        rows = cur.rowcount
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_copy")
    return elapsed, rows


def _engine_rate(seconds: float) -> float:
    from cables.declassification import declass_status

    cases = json.loads((ROOT / "tests" / "data" / "declass_vectors.json").read_text())
    inputs = [
        dict(
            origin=date.fromisoformat(c["origin"]),
            level=c["level"],
            decl=c["decl"],
            reasons=c["reasons"],
            exemptions=c["exemptions"],
            as_of=AS_OF,
            aea=c.get("aea", False),
        )
        for c in cases
        if "expected_error" not in c
    ]
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for kwargs in inputs:
            declass_status(**kwargs)
        count += len(inputs)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 cables")
    parser.add_argument("--cables", type=int, default=None)
    args = parser.parse_args()
    total = args.cables or (100_000 if args.quick else 1_000_000)
    setup_bench_database("bench_sweep")

    from workflow.sweep import declass_due_sweep

    t0 = time.perf_counter()
    _fill(total)
    _grant_reviewers(total)
    print(f"filled {total:,} cables in {time.perf_counter() - t0:.1f} s")

    base_s, base_rows = _baseline_update(90)
    print(
        f"baseline bare UPDATE (no lock, run record or notifications): {base_s:.2f} s, "
        f"{base_rows:,} rows"
    )

    start = time.perf_counter()
    run = declass_due_sweep(as_of=AS_OF, horizon=90)
    sweep_s = time.perf_counter() - start
    print(
        f"first sweep: {sweep_s:.2f} s, flagged {run.flagged:,}, "
        f"notified {run.notified_users} reviewers"
    )

    start = time.perf_counter()
    again = declass_due_sweep(as_of=AS_OF, horizon=90)
    print(f"same sweep again: {time.perf_counter() - start:.3f} s, flagged {again.flagged}")

    rate = _engine_rate(3.0 if args.quick else 10.0)
    print(f"engine: {rate:,.0f} computations/s on one core")
    print(f"cables={total} sweep_s={sweep_s:.2f} flagged={run.flagged} engine_per_s={rate:.0f}")


if __name__ == "__main__":
    main()
