"""Shared set-up for PostgreSQL benchmarks: a fresh database and Django pointed at it."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/declass"


def dev_corpus() -> Path:
    """The shared dev corpus the benchmarks build their cables from (or exit saying so)."""
    shared = Path(os.environ.get("DECLASS_SHARED_DIR", ROOT.parent / "shared"))
    corpus = shared / "cables" / "dev"
    if not any(corpus.glob("*.txt")):
        sys.exit(f"no dev corpus at {corpus} (set DECLASS_SHARED_DIR to the shared folder)")
    return corpus


def sibling(name: str):  # type: ignore[no-untyped-def]
    """Another benchmark module of this folder, by file name (``redaction`` would import the
    app of that name)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        f"bench_{name}", Path(__file__).parent / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def setup_bench_database(suffix: str) -> str:
    """Drop and create ``<name>_<suffix>``, point Django at it, migrate; return its URL."""
    import dj_database_url
    import psycopg

    base_url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    cfg = dj_database_url.parse(base_url)
    if "postgres" not in cfg["ENGINE"]:
        sys.exit("this benchmark measures PostgreSQL: set DATABASE_URL to a postgres:// URL")
    name = f"{cfg['NAME']}_{suffix}"
    prefix = base_url.rsplit("/", 1)[0]
    with psycopg.connect(prefix + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{prefix}/{name}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_DEBUG", "1")
    # A private broker folder: tasks queued during a benchmark go nowhere shared.
    os.environ.setdefault("DECLASS_VAR_DIR", tempfile.mkdtemp(prefix="declass-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user and system) a process on this machine has spent, from /proc: a
    PostgreSQL backend's, whose figures no client API gives; None once it has exited (or
    for a server on another machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree_cpu_seconds(root: object) -> float:
    """CPU seconds (user and system) of a psutil process and all its children so far,
    leaving out any that exit while being read (a pool process, a gunicorn worker)."""
    import psutil

    total = 0.0
    for proc in [root, *root.children(recursive=True)]:  # type: ignore[attr-defined]
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


class BackendsCpu:
    """CPU seconds spent so far by the PostgreSQL backends connected to one database, from
    /proc: each backend's latest figure is kept, so one that exits between two readings
    loses only what it spent since the last (read often).  ``own``: whether the backend of
    the cursor that reads counts too (it does the work when the reader is the benchmark's
    own connection; not when it is a connection opened only to read)."""

    def __init__(self, database: str, *, own: bool) -> None:
        self.database = database
        self.own = own
        self.seen: dict[int, float] = {}

    def read(self, cursor: object) -> float:
        mine = "" if self.own else " AND pid <> pg_backend_pid()"
        cursor.execute(  # type: ignore[attr-defined]
            f"SELECT pid FROM pg_stat_activity WHERE datname = %s{mine}", [self.database]
        )
        for (pid,) in cursor.fetchall():  # type: ignore[attr-defined]
            if (seconds := process_cpu_seconds(pid)) is not None:
                self.seen[pid] = seconds
        return sum(self.seen.values())


def drop_secondary_indexes(cursor: object, tables: tuple[str, ...]) -> list[str]:
    """Drop the indexes, unique and foreign-key constraints of ``tables`` except
    their primary keys; return the statements that make them again, as they were.

    A bulk load into bare tables (primary keys appended in order) and one build
    per index afterwards is what a large restore does; maintaining every index
    and checking every foreign key row by row is what makes a COPY slow.  Check
    constraints stay (they cost little and are checked as rows arrive).
    """
    execute = cursor.execute  # type: ignore[attr-defined]
    fetchall = cursor.fetchall  # type: ignore[attr-defined]
    execute(
        "SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)"
        " FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('u', 'f')"
        " ORDER BY c.contype DESC, c.conname",  # unique first, so references have their keys
        [list(tables)],
    )
    constraints = fetchall()
    execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid"
        "  AND c.contype IN ('p', 'u', 'x')) ORDER BY 1",
        [list(tables)],
    )
    indexes = fetchall()
    again = [definition for _, definition in indexes]
    again += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, _, definition in constraints
    ]
    for table, name, _, _ in reversed(constraints):  # foreign keys first
        execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        execute(f"DROP INDEX {name}")
    return again
