"""The import writes the near-duplicate index rows itself, from keys hashed by its parser
workers: the same rows as ``index_cables`` and the rebuild, or, while a rebuild holds
the index table, none, with a task queued to write them later."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from cables import ingest
from cables.ingest import cables_import, expand_paths, sources_from_paths
from cables.models import Cable, Paragraph, ParagraphBand
from cables.similarity import minhash, store
from tests.cables.cable_text import telegram
from tests.cables.queued_tasks import DECLASS, SIMILARITY, named, queued_tasks
from tests.cables.test_near_duplicates import HARVEST, TALKS, edited

pytestmark = pytest.mark.django_db

CORPUS_SAMPLE = 40  # real cables: long, short, numbered and unnumbered paragraphs


def band_rows() -> list[tuple[int, int, int]]:
    """Every index row, sorted: a list, so that a row written twice would show."""
    return sorted(ParagraphBand.objects.values_list("key", "paragraph_id", "cable_id"))


def write_synthetic(folder: Path) -> list[Path]:
    """Near-duplicates across cables, a cable with nothing long enough to index, and a
    cable whose long paragraphs are not its first ones."""
    bodies = {
        "talks1": (f"1. (C) {TALKS}", f"2. (U) {HARVEST}", "3. (C) Comment: little progress."),
        "talks2": (f"1. (C) {edited(TALKS, 2)}", "2. (U) Agreed.", f"3. (U) {HARVEST}"),
        "short": ("1. (U) Agreed.", "2. (C) Embassy agrees with the approach."),
        "late": ("1. (U) Noted.", "2. (U) Noted again.", f"3. (C) {edited(HARVEST, 4, seed=3)}"),
    }
    paths = []
    for serial, (name, body) in enumerate(bodies.items(), start=1):
        path = folder / f"{name}.txt"
        path.write_text(telegram(serial=900 + serial, paragraphs=body), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def cable_files(corpus_dir: Path, tmp_path: Path) -> list[Path]:
    real = sorted(corpus_dir.glob("*.txt"))[:CORPUS_SAMPLE]
    return expand_paths([*real, *write_synthetic(tmp_path)])


def run_import(paths: list[Path], **kwargs: object) -> ingest.ImportReport:
    kwargs = {"workers": 1, "batch_size": 7, **kwargs}
    return cables_import(sources_from_paths(paths), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("workers", "min_words"), [(1, 8), (2, 8), (1, 5)], ids=["serial", "pool", "min-words-5"]
)
def test_an_import_writes_the_rows_index_cables_and_the_rebuild_write(
    cable_files, monkeypatch, settings, django_capture_on_commit_callbacks, workers, min_words
):
    # Given several parser chunks and several batches, so that keys hashed a chunk at a
    # time must land on the right cable and paragraph across both boundaries
    settings.DECLASS_SIMILARITY_MIN_WORDS = min_words
    monkeypatch.setattr(ingest, "POOL_CHUNKSIZE", 6)

    # When the cables are imported, no follow-up task running
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = run_import(cable_files, workers=workers)
    imported = band_rows()

    # Then the import wrote the rows itself and queued no indexing task
    assert report.failed == [] and report.imported == len(cable_files)
    assert named(queued_tasks(callbacks), SIMILARITY) == []
    assert imported, "the import wrote no index rows"
    # the same rows index_cables writes for those cables
    written = store.index_cables(report.imported_ids)
    assert band_rows() == imported
    assert written == len(imported)
    # and the same rows a rebuild writes
    rebuilt = store.index_rebuild(workers=1)
    assert band_rows() == imported
    assert rebuilt.rows == len(imported)
    # each indexed paragraph has all its bands; the short-only cable has none
    per_paragraph = {p for _, p, _ in imported}
    assert len(imported) == len(per_paragraph) * minhash.BANDS
    # a cable with no paragraph of min_words words has none (six words at most here)
    short = Cable.objects.get(reference_id__endswith="EXAMPLETOWN903").pk
    assert (short in {c for _, _, c in imported}) == (min_words <= 6)


def test_the_rows_of_the_import_find_near_duplicates_across_cables(
    cable_files, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        run_import(cable_files)
    first = Cable.objects.get(reference_id__endswith="EXAMPLETOWN901")
    second = Cable.objects.get(reference_id__endswith="EXAMPLETOWN902")

    found = store.near_duplicates(TALKS, exclude_cable_id=first.pk)

    assert [m.paragraph_id for m in found] == [second.paragraphs.get(ordinal=1).pk]


# -- while a rebuild holds the index table ------------------------------------------------


# Longer than an import of a few cables takes, even on a loaded machine, and short
# enough that an import waiting for the lock fails the test instead of hanging it.
LOCK_TIMEOUT_S = 30


@contextmanager
def band_table_locked(mode: str) -> Iterator[None]:
    """Another session holds the index table's lock, as a rebuild does (TRUNCATE: ACCESS
    EXCLUSIVE; building its indexes: SHARE) until it commits.  Meanwhile a wait for a
    lock in this test's session ends with an error after ``LOCK_TIMEOUT_S``."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'")
    s = connection.settings_dict
    other = psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )
    try:
        other.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_S}s'")
        other.execute(f"LOCK TABLE {ParagraphBand._meta.db_table} IN {mode} MODE")
        yield
    finally:
        other.rollback()
        other.close()


def timed_import(paths: list[Path], **kwargs: object) -> ingest.ImportReport:
    """The import, which must not wait for the lock: a wait would end with the same
    "lock not available" error as NOWAIT, only ``LOCK_TIMEOUT_S`` later."""
    started = time.monotonic()
    report = run_import(paths, **kwargs)
    assert time.monotonic() - started < LOCK_TIMEOUT_S / 2, "the import waited for the lock"
    return report


@pytest.mark.parametrize("mode", ["ACCESS EXCLUSIVE", "SHARE"])
def test_during_a_rebuild_the_cables_are_stored_unindexed_and_a_task_indexes_them(
    tmp_path, django_capture_on_commit_callbacks, mode
):
    paths = write_synthetic(tmp_path)

    # When cables are imported while another session holds the index table
    with band_table_locked(mode):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            report = timed_import(paths, batch_size=3)
        # Then they are all stored, without index rows
        assert (report.imported, report.failed) == (len(paths), [])
        assert Cable.objects.filter(pk__in=report.imported_ids).count() == len(paths)
        assert Paragraph.objects.filter(cable_id__in=report.imported_ids).count() == 11
    assert band_rows() == []
    # and a task is queued to index every one of them, as well as their other follow-ups
    queued = queued_tasks(callbacks)
    indexing = named(queued, SIMILARITY)
    assert sorted(pk for q in indexing for pk in q.cable_ids) == sorted(report.imported_ids)
    assert sorted(pk for q in named(queued, DECLASS) for pk in q.cable_ids) == sorted(
        report.imported_ids
    )

    # When the worker runs the indexing tasks, once the rebuild is over
    for task in indexing:
        task.run()

    # Then the cables have the rows a rebuild gives them
    indexed = band_rows()
    short = Cable.objects.get(reference_id__endswith="EXAMPLETOWN903").pk
    assert {c for _, _, c in indexed} == set(report.imported_ids) - {short}
    store.index_rebuild(workers=1)
    assert band_rows() == indexed


def test_a_batch_spoiled_by_the_lock_elsewhere_is_not_retried_cable_by_cable(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """Refused the lock, the import goes on in the same transaction (a savepoint): the
    batch is not treated as failed and redone one cable at a time."""
    paths = write_synthetic(tmp_path)
    one_at_a_time = []
    real_store_one = ingest._store_one
    monkeypatch.setattr(
        ingest, "_store_one", lambda *a: one_at_a_time.append(a) or real_store_one(*a)
    )

    with band_table_locked("ACCESS EXCLUSIVE"):
        with django_capture_on_commit_callbacks(execute=False):
            report = timed_import(paths, batch_size=10)

    assert report.imported == len(paths)
    assert one_at_a_time == []


# -- an import told not to index ------------------------------------------------------------


def test_an_import_without_indexing_leaves_every_cable_to_the_task(
    cable_files, django_capture_on_commit_callbacks
):
    # When cables are imported with index_near_duplicates=False
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = run_import(cable_files, index_near_duplicates=False)

    # Then no index row is written, and tasks are queued for every cable, each once
    assert report.imported == len(cable_files)
    assert band_rows() == []
    indexing = named(queued_tasks(callbacks), SIMILARITY)
    ids = [pk for q in indexing for pk in q.cable_ids]
    assert sorted(ids) == sorted(report.imported_ids)
    assert all(len(q.cable_ids) <= ingest.FOLLOW_UP_CHUNK for q in indexing)

    # When the tasks run, the rows are those the import would have written itself
    for task in indexing:
        task.run()
    by_task = band_rows()
    assert by_task
    store.index_rebuild(workers=1)
    assert band_rows() == by_task
