"""Sweep benchmark: one due sweep over 1,000,000 cables in PostgreSQL, and the engine's speed.

Fills the table with COPY (not the importer), with declassification dates spread
from 1990 to 2060 and a few reviewers holding review permission on part of the
cables, then times:
- the first sweep (flags everything due within 90 days and notifies reviewers),
- the same sweep again (nothing to flag: the idempotent case), and the queue
  index repair the nightly task runs after it (``--statements``: each SQL
  statement of both, timed, and the slowest's plan),
- the pure engine on one core, over a realistic mix of DECL shapes and dates.
Baseline in the same run: the bare UPDATE of the same rows with no lock, run
record or notifications, on a copy of the status table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/declass bench/sweep.py [--quick]

``--reviewers N`` gives review permission on 20,000 cables each to N reviewers (5 by default;
the ten-times table in bench/README.md uses 50), ``--queue-page`` also times the review queue
page of one of them after the sweep (Django's test client in this process, median of 20
requests for the first page, for a page deep in the queue and for the first page filtered
by a state), and ``--database-suffix``
names the database (``<name>_bench_sweep`` by default).

Last line: ``cables=N sweep_s=N flagged=N again_s=N repair_s=N vacuumed_again_s=N
vacuumed_repair_s=N logged_repair_s=N engine_per_s=N`` (+ ``queue_ms=N queue_deep_ms=N
queue_state_ms=N``):
the first sweep, the same sweep again right after it and the queue index repair of every
cable, then both again after a VACUUM
ANALYZE of the status and queue tables (what autovacuum does between two sweeps in service),
and the repair of the logged cables only (``logged_repair_s``: what the sweep's task runs
after every run but the day's first).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import setup_bench_database  # noqa: E402

AS_OF = date(2025, 7, 1)
REVIEWERS = 5
CABLES_PER_REVIEWER = 20_000


def _fill(total: int) -> None:
    """COPY ``total`` cables with declassification dates spread over 1990-2060."""
    from django.db import connection
    from django.utils import timezone

    from cables.loaders import CABLE_COLUMNS, copy_json, copy_text
    from cables.models import Cable

    rng = random.Random(1)  # nosec B311
    fields = {f.attname: f for f in Cable._meta.concrete_fields}
    row = {name: fields[name].get_default() for name in CABLE_COLUMNS[1:]}
    row.update(
        imported_at=timezone.now(),
        sha256="0" * 64,
        level=1,
        sent_at=datetime(2000, 1, 1, tzinfo=UTC),
    )
    cells = {
        name: copy_json(v) if fields[name].get_internal_type() == "JSONField" else copy_text(v)
        for name, v in row.items()
    }
    columns = list(cells)
    varying = {c: columns.index(c) for c in ("reference_id", "raw_text")}
    template = [cells[c] for c in columns]
    start = date(1990, 1, 1)
    span = (date(2060, 12, 31) - start).days
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cur:
        # The benchmark writes each cable's status row itself, with its date.
        cur.execute("ALTER TABLE cables_cable DISABLE TRIGGER workflow_status_cables_added")
        with cur.cursor.copy(f"COPY cables_cable ({names}) FROM STDIN") as copy:
            for first in range(0, total, 50_000):
                lines = []
                for i in range(first, min(total, first + 50_000)):
                    line = list(template)
                    line[varying["reference_id"]] = f"BENCH{i}"
                    line[varying["raw_text"]] = f"cable {i}"
                    lines.append("\t".join(line))
                copy.write("\n".join(lines) + "\n")
        cur.execute("ALTER TABLE cables_cable ENABLE TRIGGER workflow_status_cables_added")
        cur.execute("SELECT id FROM cables_cable ORDER BY id")
        ids = [r[0] for r in cur.fetchall()]
        with cur.cursor.copy(
            "COPY workflow_cablestatus (cable_id, review_state, declass_date) FROM STDIN"
        ) as copy:
            lines = [f"{i}\tingested\t{start + timedelta(days=rng.randrange(span))}" for i in ids]
            copy.write("\n".join(lines) + "\n")
    # A table in service has been vacuumed; a freshly loaded one would make the
    # first sweep pay for setting every row's hint bits.
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE cables_cable")
        cur.execute("VACUUM ANALYZE workflow_cablestatus")


def _grant_reviewers(total: int, reviewers: int = REVIEWERS) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from workflow.permissions import REVIEW, _permission

    perm = _permission(REVIEW)
    users = [
        get_user_model().objects.create_user(f"reviewer{i}", f"r{i}@example.org")
        for i in range(reviewers)
    ]
    rng = random.Random(2)  # nosec B311
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
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE workflow_cableuserobjectpermission")


def _baseline_update(horizon: int) -> tuple[float, int]:
    from django.db import connection, transaction

    cutoff = AS_OF + timedelta(days=horizon)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_copy AS SELECT cable_id, declass_date, review_state, "
            "due_for_date FROM workflow_cablestatus"
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


_DECL_SHAPES = (
    "E.O. 12958: DECL: {m:02d}/{d:02d}/{y}",
    "DECL: {m}/{d}/{yy:02d}",
    "E.O. 12958 DECL: {y}/{m:02d}/{d:02d}",
    "E.O. 13526: DECL: 25X1, {y}{m:02d}{d:02d}",
    "E.O. 12958: DECL: 1.6X6",
    "E.O. 12958: N/A",
    "E.O. 12356: DECL: OADR",
)


def _engine_cases(count: int) -> list[dict[str, object]]:
    """A realistic mix: the common DECL shapes, each with its own date (so the
    engine's small caches rarely help), over origins from 1990 to 2009."""
    rng = random.Random(3)  # nosec B311
    cases = []
    for _ in range(count):
        origin = date(1990, 1, 1) + timedelta(days=rng.randrange(7300))
        until = origin + timedelta(days=rng.randrange(3650, 3700))
        decl = rng.choice(_DECL_SHAPES).format(
            m=until.month, d=until.day, y=until.year, yy=until.year % 100
        )
        level = rng.choice(["C", "S", "UNCLASSIFIED", "SECRET//NOFORN"])
        cases.append(
            dict(
                origin=origin,
                level=level,
                decl=decl,
                reasons=["1.4(b), (d)"],
                exemptions=[],
                as_of=AS_OF,
            )
        )
    return cases


def _engine_rate(count: int) -> float:
    """The pure engine's computations per second on one core (this process)."""
    from cables.declassification import declass_status

    cases = _engine_cases(count)
    start = time.perf_counter()
    for kwargs in cases:
        declass_status(**kwargs)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 cables")
    parser.add_argument("--cables", type=int, default=None)
    parser.add_argument("--reviewers", type=int, default=REVIEWERS)
    parser.add_argument("--queue-page", action="store_true", help="also time the queue page")
    parser.add_argument("--database-suffix", default="bench_sweep")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="time each SQL statement of the sweep that flags nothing and of the queue index "
        "repair, and EXPLAIN (ANALYZE, BUFFERS) the slowest of each",
    )
    args = parser.parse_args()
    total = args.cables or (100_000 if args.quick else 1_000_000)
    setup_bench_database(args.database_suffix)

    from workflow.queue_index import queue_index_repair
    from workflow.sweep import declass_due_sweep

    t0 = time.perf_counter()
    _fill(total)
    t1 = time.perf_counter()
    _grant_reviewers(total, args.reviewers)
    print(
        f"filled {total:,} cables in {t1 - t0:.1f} s; {args.reviewers} reviewers granted "
        f"{min(CABLES_PER_REVIEWER, total):,} cables each in {time.perf_counter() - t1:.1f} s"
    )

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

    with _statements() as swept:
        start = time.perf_counter()
        again = declass_due_sweep(as_of=AS_OF, horizon=90)
        again_s = time.perf_counter() - start
    print(f"same sweep again: {again_s:.3f} s, flagged {again.flagged}")
    with _statements() as repaired:
        start = time.perf_counter()
        changed = queue_index_repair()
        repair_s = time.perf_counter() - start
    print(
        f"queue index repair of every cable (what follows the day's first sweep): "
        f"{repair_s:.3f} s, {changed} rows changed"
    )
    if args.statements:
        _report_statements("same sweep again", swept)
        _report_statements("queue index repair", repaired)

    # In service, autovacuum visits the status and queue tables between two sweeps:
    # the second sweep above is the first to read the rows the first one rewrote.
    from django.db import connection

    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute("VACUUM ANALYZE workflow_cablestatus")
        cur.execute("VACUUM ANALYZE workflow_queueentry")
        vacuum_s = time.perf_counter() - start
    with _statements() as swept:
        start = time.perf_counter()
        third = declass_due_sweep(as_of=AS_OF, horizon=90)
        third_s = time.perf_counter() - start
    with _statements() as repaired:
        start = time.perf_counter()
        queue_index_repair()
        third_repair_s = time.perf_counter() - start
    print(
        f"after VACUUM ANALYZE of the status and queue tables ({vacuum_s:.1f} s): the same "
        f"sweep {third_s:.3f} s, flagged {third.flagged}; queue index repair {third_repair_s:.3f} s"
    )
    # What the sweep's task runs after every run but the day's first: the cables the
    # triggers logged since the last repair (a sweep's flagging logs none).
    fourth = declass_due_sweep(as_of=AS_OF, horizon=90)
    start = time.perf_counter()
    queue_index_repair(every_cable=False)
    logged_repair_s = time.perf_counter() - start
    print(
        f"a sweep again ({fourth.flagged} flagged), then the repair of the logged cables only "
        f"(every run but the day's first): {logged_repair_s:.4f} s"
    )
    if args.statements:
        _report_statements("the sweep after VACUUM", swept)
        _report_statements("the repair after VACUUM", repaired)

    rate = _engine_rate(200_000 if args.quick else 1_000_000)
    print(f"engine: {rate:,.0f} computations/s on one core")
    queue = ""
    if args.queue_page:
        first_ms, deep_ms, state_ms, rows = _queue_page_ms()
        print(
            f"queue page of reviewer0 ({rows:,} cables in the queue): first page "
            f"{first_ms:.1f} ms, a page deep in the queue {deep_ms:.1f} ms, the first page "
            f"filtered by state (due) {state_ms:.1f} ms (median of 20)"
        )
        queue = (
            f" queue_ms={first_ms:.1f} queue_deep_ms={deep_ms:.1f} queue_state_ms={state_ms:.1f}"
        )
    print(
        f"cables={total} sweep_s={sweep_s:.2f} flagged={run.flagged} again_s={again_s:.3f} "
        f"repair_s={repair_s:.3f} vacuumed_again_s={third_s:.3f} "
        f"vacuumed_repair_s={third_repair_s:.3f} logged_repair_s={logged_repair_s:.4f} "
        f"engine_per_s={rate:.0f}{queue}"
    )


@dataclass
class Statement:
    sql: str
    params: object
    seconds: float = 0.0


@contextmanager
def _statements() -> Iterator[list[Statement]]:
    """Every SQL statement run inside the block, in order, with its wall time."""
    from django.db import connection

    ran: list[Statement] = []

    def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        statement = Statement(sql, params)
        ran.append(statement)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            statement.seconds = time.perf_counter() - start

    with connection.execute_wrapper(timed):
        yield ran


def _report_statements(title: str, ran: list[Statement]) -> None:
    """The statements' times, slowest first, and the slowest one's plan: it is run
    again under EXPLAIN (ANALYZE, BUFFERS) after the statements before it (same
    settings, say ``SET LOCAL jit``), in a transaction rolled back afterwards."""
    from django.db import connection, transaction

    print(f"{title}: {len(ran)} statements, {sum(s.seconds for s in ran):.3f} s in SQL")
    for statement in sorted(ran, key=lambda s: -s.seconds)[:4]:
        print(f"  {statement.seconds:8.3f} s  {' '.join(statement.sql.split())[:110]}")
    if not ran:
        return
    slowest = max(range(len(ran)), key=lambda i: ran[i].seconds)
    plan: list[str] = []
    with transaction.atomic():
        sid = transaction.savepoint()
        with connection.cursor() as cur:
            for statement in ran[:slowest]:
                if not statement.sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
                    cur.execute(statement.sql, statement.params)
            cur.execute(
                "EXPLAIN (ANALYZE, BUFFERS) " + ran[slowest].sql,
                ran[slowest].params,
            )
            plan = [row[0] for row in cur.fetchall()]
        transaction.savepoint_rollback(sid)
    print("  plan of the slowest (EXPLAIN ANALYZE, rolled back):")
    for line in plan:
        print(f"    {line}")


def _queue_page_ms() -> tuple[float, float, float, int]:
    """Median ms of the first queue page, of one deep in the queue and of the first page
    filtered by a state (due), for reviewer0.  The filter by state reads the status of
    every cable the reviewer holds (the queue's index carries no state: the sweep's moves
    between open states touch no index row), so its cost follows the reviewer's holdings."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from workflow.models import QueueEntry

    setup_test_environment()
    user = get_user_model().objects.get(username="reviewer0")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    rows = QueueEntry.objects.filter(holder_kind="u", holder_id=user.pk, open=True).count()
    client = Client()
    client.force_login(user)
    deep = max(1, rows // 50 // 2)
    out = []
    for url in ("/workflow/queue/", f"/workflow/queue/?page={deep}", "/workflow/queue/?state=due"):
        times = []
        for _ in range(21):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                sys.exit(f"{url}: {response.status_code}")
        out.append(sorted(times[1:])[10])
    return out[0], out[1], out[2], rows


if __name__ == "__main__":
    main()
