"""Bulk import: idempotence, conflicts, failures and atomicity per cable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from cables import ingest
from cables.ingest import CableSource, cables_import, expand_paths, sources_from_paths
from cables.markings import Level
from cables.models import Cable, CableTag, Paragraph
from tests.cables.cable_text import reference_id, telegram
from workflow.models import CableStatus, ReviewState

pytestmark = pytest.mark.django_db


def write_cables(folder: Path, count: int, **kwargs: object) -> list[Path]:
    paths = []
    for serial in range(1, count + 1):
        path = folder / f"cable{serial}.txt"
        path.write_text(telegram(serial=serial, **kwargs), encoding="utf-8")
        paths.append(path)
    return paths


def run_import(*paths: Path, **kwargs: object):
    return cables_import(sources_from_paths(expand_paths(paths)), workers=1, **kwargs)


def test_it_stores_cables_with_header_fields_and_marked_paragraphs(tmp_path):
    write_cables(tmp_path, 2)

    report = run_import(tmp_path)

    assert (report.imported, report.unchanged, report.failed, report.conflicts) == (2, 0, [], [])
    cable = Cable.objects.get(reference_id=reference_id(serial=1))
    assert cable.level == Level.C
    assert cable.origin == "Embassy Exampletown"
    assert cable.decl.endswith("02/10/2016")
    assert cable.sent_at.isoformat() == "2006-02-10T15:30:00+00:00"
    assert "PREL" in cable.tags
    assert set(CableTag.objects.filter(cable=cable).values_list("tag", flat=True)) >= {"PREL"}
    markings = [str(p.marking) for p in cable.paragraphs.order_by("ordinal")]
    assert markings == ["C", "U", "C"]
    assert report.paragraphs == Paragraph.objects.count() == 6


def test_importing_the_same_text_again_changes_nothing(tmp_path):
    write_cables(tmp_path, 3)
    run_import(tmp_path)
    before = (Cable.objects.count(), Paragraph.objects.count(), CableTag.objects.count())

    again = run_import(tmp_path)

    assert (again.imported, again.unchanged, again.conflicts, again.failed) == (0, 3, [], [])
    assert (Cable.objects.count(), Paragraph.objects.count(), CableTag.objects.count()) == before


def test_same_reference_with_other_text_is_a_conflict_and_keeps_the_stored_cable(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    write_cables(first, 1)
    write_cables(second, 1, paragraphs=("1. (S) A different text.",))
    run_import(first)
    stored = Cable.objects.get()

    report = run_import(second)

    assert report.imported == 0
    assert [c["reference_id"] for c in report.conflicts] == [stored.reference_id]
    assert "different text" in report.conflicts[0]["error"]
    stored.refresh_from_db()
    assert stored.level == Level.C
    assert Paragraph.objects.filter(cable=stored).count() == 3


def test_a_broken_file_is_reported_by_name_and_the_rest_is_imported(tmp_path):
    write_cables(tmp_path, 2)
    bad = tmp_path / "zz-broken.txt"
    bad.write_bytes(b"\xff\xfe\x00garbage")

    report = run_import(tmp_path)

    assert report.imported == 2
    assert len(report.failed) == 1
    assert "zz-broken.txt" in report.failed[0]["error"]


def test_an_error_while_storing_one_cable_leaves_none_of_it_and_keeps_the_others(
    tmp_path, monkeypatch
):
    # Given a batch of three cables where storing fails after the second one's
    # rows (cable, paragraphs, tags) were written
    write_cables(tmp_path, 3)
    doomed = reference_id(serial=2)
    real_insert = ingest.insert_cables

    def failing_insert(batch, *, now):
        ids = real_insert(batch, now=now)
        if any(item.reference_id == doomed for item in batch):
            raise IntegrityError("simulated failure after writing the rows")
        return ids

    monkeypatch.setattr(ingest, "insert_cables", failing_insert)

    # When the batch is imported
    report = run_import(tmp_path)

    # Then the other two are stored whole, and nothing of the failed one remains
    assert report.imported == 2
    assert [f["source"] for f in report.failed] == [str(tmp_path / "cable2.txt")]
    assert not Cable.objects.filter(reference_id=doomed).exists()
    assert Paragraph.objects.count() == 6
    assert set(Cable.objects.values_list("reference_id", flat=True)) == {
        reference_id(serial=1),
        reference_id(serial=3),
    }


def test_a_reference_id_override_stores_the_cable_under_that_id():
    source = CableSource(name="x.txt", text=telegram(), reference_id_override="06TESTR0001")

    report = cables_import([source], workers=1)

    assert report.imported == 1
    assert Cable.objects.get().reference_id == "06TESTR0001"


def test_parallel_parsing_gives_the_same_result_as_serial(tmp_path):
    write_cables(tmp_path, 12)

    report = cables_import(sources_from_paths(expand_paths([tmp_path])), workers=2, batch_size=5)

    assert report.imported == 12
    assert Paragraph.objects.count() == 36


def test_expand_paths_names_a_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        expand_paths([tmp_path / "nope"])


def test_import_command_prints_json_and_exits_1_on_failure(tmp_path, capsys):
    write_cables(tmp_path, 1)
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")

    with pytest.raises(SystemExit) as exit_info:
        call_command("import_cables", str(tmp_path), "--json", "--workers", "1")

    assert exit_info.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 1
    assert report["unchanged"] == 0
    assert len(report["failed"]) == 1
    assert "empty.txt" in report["failed"][0]["error"]


def test_import_command_succeeds_quietly_on_a_second_run(tmp_path, capsys):
    write_cables(tmp_path, 2)
    call_command("import_cables", str(tmp_path), "--workers", "1")
    capsys.readouterr()

    call_command("import_cables", str(tmp_path), "--workers", "1")

    assert "imported=0 unchanged=2 conflicts=0 failed=0" in capsys.readouterr().out


@pytest.mark.corpus
def test_the_whole_dev_corpus_imports_without_failure(corpus_dir):
    report = cables_import(sources_from_paths(expand_paths([corpus_dir])), workers=2)

    assert report.failed == []
    assert report.imported == len(list(corpus_dir.glob("*.txt")))
    assert Paragraph.objects.filter(explicit=True).count() > 1000


def test_a_reference_id_too_long_to_store_is_refused_not_clipped():
    source = CableSource(name="long.txt", text=telegram(), reference_id_override="X" * 65)

    report = cables_import([source], workers=1)

    assert report.imported == 0
    assert "longer than 64" in report.failed[0]["error"]
    assert not Cable.objects.exists()


def test_text_with_tabs_backslashes_and_carriage_returns_is_stored_exactly():
    text = telegram(
        paragraphs=("1. (C) Path C:\\temp\\new\tcolumn\r\nnext line \\N \\. ünïcode ¶",)
    )
    cables_import([CableSource(name="esc.txt", text=text)], workers=1)

    cable = Cable.objects.get()
    assert cable.raw_text == text
    assert "C:\\temp\\new\tcolumn" in cable.paragraphs.get().text


def test_every_imported_cable_starts_in_the_ingested_state(tmp_path):
    write_cables(tmp_path, 3)

    run_import(tmp_path)

    states = CableStatus.objects.values_list("review_state", flat=True)
    assert list(states) == [ReviewState.INGESTED] * 3


def test_a_cable_stored_meanwhile_by_another_import_is_a_database_error_not_a_crash(tmp_path):
    """The bulk path (COPY on PostgreSQL) reports a duplicate as Django's IntegrityError,
    which the importer handles, whatever the database: here the batch's first cable
    is stored by "another import" between the check for stored cables and the insert."""
    from django.utils import timezone

    from cables.loaders import insert_cables
    from cables.parsing import parse_file

    write_cables(tmp_path, 2)
    parsed = [parse_file(tmp_path / f"cable{n}.txt") for n in (1, 2)]
    insert_cables(parsed[:1], now=timezone.now())  # the other import, committed first

    with pytest.raises(IntegrityError):
        insert_cables(parsed, now=timezone.now())
