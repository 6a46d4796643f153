"""Import to reviewable: cables imported, then dated, rules applied and indexed by a worker.

What an office waits for is not the import alone but the moment its cables are reviewable:
the declassification date computed, the active redaction rules applied (proposals stored)
and the paragraphs indexed for near-duplicates.  Those follow-ups run in Celery tasks the
import queues after each batch commits.  This benchmark runs a real Celery worker (two
prefork processes, queues ``default`` and ``heavy``) on Redis and PostgreSQL, with 1,000
term rules and 20 regexes active (the rule set of ``bench/redaction.py``), imports N cables
of the dev corpus under fresh reference ids (5,000; 1,000 with ``--quick``) in this process
while the worker runs, and waits until no follow-up task is queued or running and every
cable is dated.

The worker is warmed first with one small import (each worker process compiles the rule
set once, as a long-running worker has): the timed run measures the steady state.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/declass \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 bench/pipeline.py [--quick]

It works in its own database (the URL's name + ``_bench_pipeline``), dropped and made anew,
and its own Redis key prefix.  Last line:
``cables=N import_per_s=N end_to_end_per_s=N end_to_end_pct=N first_reviewable_s=N`` (the
whole as a percentage of the import phase's rate, both in this run, the worker running
throughout; and how long after the import's start the first cable was reviewable).
The lines before it give the CPU a cable of the import (this process and its parser
workers), the Celery worker (its processes) and PostgreSQL (the benchmark database's
backends), during the import and after it: on a shared machine the rates move with the
load, and the CPU figures say where the work went.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import (  # noqa: E402
    ROOT,
    BackendsCpu,
    dev_corpus,
    process_tree_cpu_seconds,
    setup_bench_database,
    sibling,
)

WARM_UP_CABLES = 250
POLL_S = 0.05


def _activate_rules(corpus: Path) -> int:
    """The 1,000 term rules and 20 regexes of bench/redaction.py, saved and active (version 1)."""
    from django.utils import timezone

    from redaction.engine import RegexRule, TermListRule
    from redaction.models import RedactionRule, RuleVersion
    from redaction.rule_specs import rule_definition

    bench = sibling("redaction")
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    specs = bench._term_rules(texts) + bench._regex_rules()
    now = timezone.now()
    rules = []
    for spec in specs:
        if isinstance(spec, TermListRule):
            rule = RedactionRule(name=f"term {spec.id}", kind="terms", terms="\n".join(spec.terms))
        else:
            assert isinstance(spec, RegexRule)
            rule = RedactionRule(name=f"regex {spec.id}", kind="regex", pattern=spec.pattern)
        rule.label = str(spec.label)
        rule.version, rule.active, rule.active_version, rule.updated_at = 1, True, 1, now
        rules.append(rule)
    RedactionRule.objects.bulk_create(rules)
    RuleVersion.objects.bulk_create(
        RuleVersion(rule=r, version=1, definition=rule_definition(r), changed_at=now) for r in rules
    )
    return len(rules)


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "config",
        "worker",
        "-c",
        "2",
        "-P",
        "prefork",
        "-Q",
        "default,heavy",
        "-n",
        f"bench-pipeline-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "WARNING",
    ]
    out = log.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait_ready(worker: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    from config.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            sys.exit(f"the worker exited ({worker.returncode}):\n{log.read_text()[-3000:]}")
        # A connection of its own, closed here: a pooled one left waiting for replies
        # (BRPOP) would hang the import's forked parser workers, whose after-fork clean-up
        # reads from the socket they share with this process.
        with app.connection_for_write() as connection:
            if app.control.inspect(timeout=1.0, connection=connection).ping():
                return
    sys.exit(f"the worker did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


class _Idle:
    """No follow-up task queued or running, read straight from the broker's Redis keys
    (kombu's Redis transport: one list per queue, unacknowledged tasks in one hash)."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.redis = redis.Redis.from_url(url)
        self.queues = [f"{prefix}default", f"{prefix}heavy"]
        self.unacked = f"{prefix}unacked"

    def _counts(self) -> list[int]:
        pipe = self.redis.pipeline()
        for queue in self.queues:
            pipe.llen(queue)
        pipe.hlen(self.unacked)
        return pipe.execute()

    def __call__(self) -> bool:
        return not any(self._counts())

    def state(self) -> str:
        *queued, running = self._counts()
        return f"{sum(queued)} tasks queued, {running} running"


class _Cpu:
    """CPU seconds spent so far by the parts of the pipeline, read from /proc (same machine).

    The import: this process and its finished children (the parser workers).  The worker:
    the Celery main process and its pool processes.  PostgreSQL: every backend connected
    to the benchmark's database, each one's latest figure kept (a backend that exits
    between two readings loses what it spent since the last one, so read often)."""

    def __init__(self, worker_pid: int, database: str) -> None:
        import psutil

        self.worker = psutil.Process(worker_pid)
        self.backends = BackendsCpu(database, own=True)

    def _postgresql(self) -> float:
        from django.db import connection

        with connection.cursor() as cursor:
            return self.backends.read(cursor)

    def read(self) -> tuple[float, float, float]:
        """(import, worker, PostgreSQL) CPU seconds so far."""
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        mine = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        return mine, process_tree_cpu_seconds(self.worker), self._postgresql()


def _undone(first_id: int) -> int:
    """Cables of this run still without a declassification date computed."""
    from cables.models import Cable

    return Cable.objects.filter(pk__gte=first_id, declass_computed_at__isnull=True).count()


def _first_reviewable_s(first_id: int, started_at) -> float:  # type: ignore[no-untyped-def]
    """Seconds from the import's start until the first cable of this run was reviewable:
    dated, and its proposals stored (read afterwards from the rows' own time stamps, so
    that nothing polls the database during the run)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(greatest(c.declass_computed_at, p.stored_at)) FROM cables_cable c "
            "JOIN (SELECT cable_id, max(created_at) AS stored_at FROM redaction_proposedredaction"
            " WHERE cable_id >= %s GROUP BY cable_id) p ON p.cable_id = c.id WHERE c.id >= %s",
            [first_id, first_id],
        )
        (first,) = cursor.fetchone()
    return (first - started_at).total_seconds() if first else float("nan")


def _import_and_wait(sources, idle: _Idle, first_id: int, timeout: float, cpu: _Cpu):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from cables.ingest import cables_import

    cpu_start = cpu.read()
    started_at = timezone.now()
    started = time.perf_counter()
    report = cables_import(sources)
    imported = time.perf_counter()
    cpu_imported = cpu.read()
    if report.failed or report.conflicts:
        sys.exit(f"import failed: {report.failed[:3]} {report.conflicts[:3]}")
    print(f"imported {report.imported:,} cables in {imported - started:.1f} s", flush=True)
    deadline = time.monotonic() + timeout
    next_note = time.monotonic() + 30
    next_cpu = 0.0
    while True:
        if idle() and _undone(first_id) == 0 and idle():
            break
        if time.monotonic() > next_cpu:
            cpu.read()  # keeps each backend's latest figure
            next_cpu = time.monotonic() + 0.5
        if time.monotonic() > deadline:
            sys.exit(f"follow-up work not done after {timeout:.0f} s: {idle.state()}")
        if time.monotonic() > next_note:
            print(f"  waiting: {idle.state()}, {_undone(first_id):,} undated", flush=True)
            next_note += 30
        time.sleep(POLL_S)
    done = time.perf_counter()
    cpu_done = cpu.read()
    phases = (
        [b - a for a, b in zip(cpu_start, cpu_imported, strict=True)],
        [b - a for a, b in zip(cpu_imported, cpu_done, strict=True)],
    )
    first_s = _first_reviewable_s(first_id, started_at)
    return report, imported - started, done - started, first_s, phases


def _check_follow_ups(ids: list[int]) -> tuple[int, int, int]:
    """(cables dated, cables with proposals, cables with near-duplicate index rows)."""
    from cables.models import Cable, ParagraphBand
    from redaction.models import ProposedRedaction

    dated = Cable.objects.filter(pk__in=ids, declass_computed_at__isnull=False).count()
    proposed = ProposedRedaction.objects.filter(cable_id__in=ids).values("cable_id").distinct()
    indexed = ParagraphBand.objects.filter(cable_id__in=ids).values("cable_id").distinct()
    return dated, proposed.count(), indexed.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 cables instead of 5,000")
    parser.add_argument("--cables", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()
    total = args.cables or (1_000 if args.quick else 5_000)
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://"):
        sys.exit("this benchmark runs a real worker on Redis: set CELERY_BROKER_URL=redis://...")
    prefix = f"declass-bench-pipeline-{os.getpid()}:"
    os.environ["CELERY_KEY_PREFIX"] = prefix
    os.environ.setdefault("DECLASS_VAR_DIR", tempfile.mkdtemp(prefix="declass-bench-"))
    url = setup_bench_database("bench_pipeline")

    corpus = dev_corpus()
    ingest = sibling("ingest")
    base = ingest._load_corpus(corpus)
    rules = _activate_rules(corpus)
    print(f"{rules} rules active (1,000 term rules, 20 regexes)")

    env = {**os.environ, "DATABASE_URL": url, "CELERY_KEY_PREFIX": prefix, "DJANGO_DEBUG": "1"}
    log = Path(tempfile.mkdtemp(prefix="declass-bench-")) / "worker.log"
    worker = _start_worker(env, log)
    try:
        _wait_ready(worker, log)
        idle = _Idle(broker, prefix)
        from dataclasses import replace

        from cables.models import Cable

        warm = [replace(s, reference_id_override=f"WARM{i:05d}") for i, s in enumerate(base)]
        cpu = _Cpu(worker.pid, url.rsplit("/", 1)[1])
        _, _, warm_s, _, _ = _import_and_wait(warm[:WARM_UP_CABLES], idle, 0, args.timeout, cpu)
        print(f"warm-up: {WARM_UP_CABLES} cables reviewable in {warm_s:.1f} s")
        first_id = (Cable.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        report, import_s, total_s, first_s, phases = _import_and_wait(
            ingest._repeat(base, total), idle, first_id, args.timeout, cpu
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()
    dated, proposed, indexed = _check_follow_ups(report.imported_ids)
    if dated != total:
        sys.exit(f"only {dated} of {total} cables dated")
    import_rate, whole_rate = total / import_s, total / total_s
    print(
        f"{total:,} cables: imported in {import_s:.1f} s, reviewable {total_s - import_s:.1f} s "
        f"later ({total_s:.1f} s in all; the first reviewable after {first_s:.2f} s); "
        f"{dated:,} dated, {proposed:,} with proposals, "
        f"{indexed:,} indexed for near-duplicates"
    )
    for name, (mine, work, pg) in zip(("import phase", "after it"), phases, strict=True):
        print(
            f"CPU a cable, {name}: import process and parser workers "
            f"{mine / total * 1000:.2f} ms, Celery worker {work / total * 1000:.2f} ms, "
            f"PostgreSQL {pg / total * 1000:.2f} ms"
        )
    print(
        f"cables={total} import_per_s={import_rate:.0f} end_to_end_per_s={whole_rate:.0f} "
        f"end_to_end_pct={100 * whole_rate / import_rate:.0f} first_reviewable_s={first_s:.2f}"
    )


if __name__ == "__main__":
    main()
