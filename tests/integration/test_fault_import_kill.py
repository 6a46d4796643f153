"""The importer killed in the middle of a 5,000-cable import; the re-run imports the
rest with nothing duplicated and nothing half-written.

``manage.py import_cables`` runs as a real child process against the suite's database
(PostgreSQL, written with COPY) and is killed with SIGKILL, its parser processes with
it.  The kill lands inside a batch's transaction for certain: the test holds a lock on
the tag table, so the next batch stops in its COPY of tags, after its cables and
paragraphs were written, and is killed there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.db.models import Count

from cables.models import Cable, CableTag, Paragraph
from cables.parsing import parse_cable
from tests.integration import services
from workflow.models import CableStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
PER_TEMPLATE = 1000
BATCH = 500
APP_NAME = "declass-import-under-test"  # names the importer's sessions in pg_stat_activity
# Sample cable -> (its serial number, its date-time group): both are varied per copy.
TEMPLATES = {
    "full_telegram.txt": ("417", "081402Z MAY 07"),
    "rel_to_noforn.txt": ("931", "171105Z OCT 09"),
    "unclas_sensitive.txt": ("155", "140912Z FEB 08"),
    "entire_text_1994.txt": ("4512", "120815Z OCT 94"),
    "old_1978_page_headers.txt": ("2218", "211630Z APR 78"),
}


def variant(text: str, serial: str, dtg: str, n: int) -> str:
    """The sample with another serial (so another reference id), day and subject."""
    text = re.sub(rf"\b0*{serial}\b", lambda m: str(n).zfill(len(m.group())), text)
    text = text.replace(dtg, f"{n % 28 + 1:02d}{dtg[2:]}")
    return re.sub(r"(SUBJECT: [^\n]*?) *\n", rf"\1 NO. {n}\n", text, count=1)


def write_cables(folder: Path) -> dict[str, int]:
    """5,000 cable files; returns the paragraph count expected for each reference id."""
    folder.mkdir()
    expected: dict[str, int] = {}
    for name, (serial, dtg) in TEMPLATES.items():
        sample = (SAMPLES / name).read_text(encoding="utf-8")
        first = parse_cable(variant(sample, serial, dtg, 1), source=name)
        prefix = first.reference_id.removesuffix("1")
        for n in range(1, PER_TEMPLATE + 1):
            path = folder / f"{Path(name).stem}-{n:04d}.txt"
            path.write_text(variant(sample, serial, dtg, n), encoding="utf-8")
            expected[f"{prefix}{n}"] = len(first.paragraphs)
    return expected


def import_command(folder: Path) -> list[str]:
    return [sys.executable, "manage.py", "import_cables", str(folder), "--json", "--no-progress"]


def stored_whole() -> dict[str, int]:
    """Reference id -> paragraph count, checking on the way that no cable lacks its
    status or tags (a half-written cable)."""
    assert not Cable.objects.filter(status__isnull=True).exists(), "a cable has no status"
    assert not Cable.objects.filter(tag_rows__isnull=True).exists(), "a cable has no tags"
    assert CableStatus.objects.count() == Cable.objects.count()
    return dict(Cable.objects.annotate(n=Count("paragraphs")).values_list("reference_id", "n"))


def importer_backends(*, blocked_in: str = "") -> int:
    """The importer's server processes (those blocked on a lock in ``blocked_in``)."""
    sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
    params = [APP_NAME]
    if blocked_in:
        sql += " AND wait_event_type = 'Lock' AND query LIKE %s"
        params.append(f"{blocked_in}%")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh figures inside a transaction
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def holds_write_lock_on(table: str) -> bool:
    """Whether the importer's open transaction has written rows of ``table``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.application_name = %s AND l.relation = %s::regclass "
            "AND l.mode = 'RowExclusiveLock' AND l.granted",
            [APP_NAME, table],
        )
        return cursor.fetchone()[0] > 0


def kill_in_flight(importer: services.Service) -> None:
    """Kill the importer once two batches are in, inside the next one."""
    assert services.wait_until(lambda: Cable.objects.count() >= 2 * BATCH, timeout=60), (
        importer.output()[-3000:]
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE cables_cabletag IN SHARE MODE")
        blocked = services.wait_until(
            lambda: importer_backends(blocked_in="COPY cables_cabletag "), timeout=30
        )
        wrote = blocked and holds_write_lock_on(Cable._meta.db_table)
        importer.kill()
    assert blocked, f"the importer never reached a COPY of tags:\n{importer.output()[-3000:]}"
    assert wrote, "the batch in flight had not written its cables yet"
    # The server notices the dead client once the lock is free, and rolls its batch back.
    assert services.wait_until(lambda: importer_backends() == 0, timeout=30)


def test_a_killed_import_rerun_imports_the_rest_once_and_leaves_nothing_half_written(tmp_path):
    # Given 5,000 cable files made from the sample cables
    folder = tmp_path / "cables"
    expected = write_cables(folder)
    assert len(expected) == 5 * PER_TEMPLATE

    # When the importer is killed part-way through
    env = services.child_env(CELERY_TASK_ALWAYS_EAGER="1", PGAPPNAME=APP_NAME)
    importer = services.Service(
        "importer", [*import_command(folder), "--batch-size", str(BATCH)], tmp_path / "i.log", env
    )
    try:
        kill_in_flight(importer)
    finally:
        importer.stop()
    kept = stored_whole()

    # Then whole batches are stored, each cable whole; the one in flight left nothing
    assert 0 < len(kept) < len(expected), "the importer was not killed part-way"
    assert len(kept) % BATCH == 0, f"{len(kept)} cables: part of a batch was stored"
    assert all(expected[ref] == n for ref, n in kept.items())

    # When the import runs again
    rerun = subprocess.run(
        import_command(folder), cwd=services.REPO, env=env, capture_output=True, text=True
    )

    # Then it imports the rest, calls the stored ones unchanged, and nothing is twice
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    report = json.loads(rerun.stdout)
    assert report["imported"] == len(expected) - len(kept)
    assert report["unchanged"] == len(kept)
    assert report["failed"] == report["conflicts"] == []
    assert report["paragraphs"] == sum(n for ref, n in expected.items() if ref not in kept)
    assert stored_whole() == expected
    refs = Counter(Cable.objects.values_list("reference_id", flat=True))
    assert len(refs) == len(expected) and set(refs.values()) == {1}
    assert Paragraph.objects.count() == sum(expected.values())
    assert CableTag.objects.values("cable").distinct().count() == len(expected)
    # And every cable got its follow-up work (its declassification status), including
    # those of a batch stored just before the kill, whose follow-up the kill cut short
    undated = Cable.objects.filter(declass_computed_at__isnull=True)
    assert not undated.exists(), f"{undated.count()} cables never had their status computed"
