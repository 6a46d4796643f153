"""An import's follow-up tasks (dating, applying the rules, indexing) go out in chunks of
``FOLLOW_UP_CHUNK`` cables, each covering its cables once, each safe to run again."""

from __future__ import annotations

from pathlib import Path

import pytest

from cables import ingest
from cables.ingest import cables_import, expand_paths, sources_from_paths
from cables.models import Cable, ParagraphBand
from redaction.models import ProposedRedaction, RedactionRule
from redaction.rule_services import rule_activate, rule_save
from tests.cables.cable_text import telegram
from tests.cables.queued_tasks import DECLASS, PROPOSALS, SIMILARITY, named, queued_tasks
from tests.cables.test_near_duplicates import TALKS

pytestmark = pytest.mark.django_db

FOLLOW_UPS = (DECLASS, PROPOSALS, SIMILARITY)


def write_cables(folder: Path, count: int) -> list[Path]:
    paths = []
    for serial in range(1, count + 1):
        path = folder / f"c{serial}.txt"
        body = (f"1. (C) {TALKS}", f"2. (U) Ambassador Jane Doe met serial {serial}.")
        path.write_text(telegram(serial=serial, paragraphs=body), encoding="utf-8")
        paths.append(path)
    return expand_paths([folder])


def sizes(queued, name: str) -> list[int]:
    return [len(q.cable_ids) for q in named(queued, name)]


def covered(queued, name: str) -> list[int]:
    return sorted(pk for q in named(queued, name) for pk in q.cable_ids)


def test_the_chunk_is_a_hundred_cables():
    assert ingest.FOLLOW_UP_CHUNK == 100


@pytest.mark.parametrize("index_near_duplicates", [True, False], ids=["indexed", "unindexed"])
def test_a_batch_s_follow_ups_go_out_a_hundred_cables_a_task(
    tmp_path, django_capture_on_commit_callbacks, index_near_duplicates
):
    # When 230 cables are imported in one batch
    paths = write_cables(tmp_path, 230)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = cables_import(
            sources_from_paths(paths),
            workers=1,
            batch_size=500,
            index_near_duplicates=index_near_duplicates,
        )
    queued = queued_tasks(callbacks)

    # Then dating and applying the rules go out as 100, 100 and 30 cables
    assert report.imported == 230
    ids = sorted(report.imported_ids)
    for name in (DECLASS, PROPOSALS):
        assert sizes(queued, name) == [100, 100, 30], name
        assert covered(queued, name) == ids, name  # every cable once
    # and indexing too, when the import left it to a task
    if index_near_duplicates:
        assert named(queued, SIMILARITY) == []
    else:
        assert sizes(queued, SIMILARITY) == [100, 100, 30]
        assert covered(queued, SIMILARITY) == ids
    # nothing else, and each chunk names the same cables for every follow-up
    assert {q.name for q in queued} <= set(FOLLOW_UPS)
    assert [q.cable_ids for q in named(queued, DECLASS)] == [
        q.cable_ids for q in named(queued, PROPOSALS)
    ]


def test_chunks_do_not_span_batches(tmp_path, django_capture_on_commit_callbacks):
    paths = write_cables(tmp_path, 230)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = cables_import(
            sources_from_paths(paths), workers=1, batch_size=150, index_near_duplicates=False
        )
    queued = queued_tasks(callbacks)

    for name in FOLLOW_UPS:
        assert sizes(queued, name) == [100, 50, 80], name
        assert covered(queued, name) == sorted(report.imported_ids), name


def state() -> dict[str, object]:
    """What the follow-ups leave, without the times they stamp."""
    return {
        "bands": sorted(ParagraphBand.objects.values_list("key", "paragraph_id", "cable_id")),
        "proposals": sorted(
            ProposedRedaction.objects.values_list(
                "cable_id", "paragraph_id", "start", "end", "action", "labels", "rules"
            )
        ),
        "dates": sorted(
            Cable.objects.values_list(
                "pk",
                "declass_date",
                "declass_kind",
                "declass_rule",
                "declass_review_required",
                "declass_version",
            )
        ),
    }


def test_each_follow_up_task_can_run_again_and_in_any_order(
    tmp_path, django_capture_on_commit_callbacks
):
    # Given an active rule, and 230 cables imported whose follow-ups have not run
    with django_capture_on_commit_callbacks(execute=True):
        rule = RedactionRule(
            name="names", kind="terms", terms="Jane Doe", label="(b)(6)", action="redact"
        )
        rule_save(rule=rule, user=None)
        rule_activate(rule=rule, user=None)
    paths = write_cables(tmp_path, 230)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        cables_import(sources_from_paths(paths), workers=1, index_near_duplicates=False)
    queued = queued_tasks(callbacks)
    assert len(queued) == 9
    assert not Cable.objects.exclude(declass_date=None).exists()

    # When a worker runs each task once
    for task in queued:
        task.run()
    once = state()

    # Then every cable is dated, has its proposal and its index rows
    assert len({row[0] for row in once["proposals"]}) == 230
    assert len({row[2] for row in once["bands"]}) == 230
    assert all(row[1] is not None for row in once["dates"])

    # and running them all again, in the opposite order, changes nothing
    for task in reversed(queued):
        task.run()
    assert state() == once
    # nor does running one chunk a third time
    named(queued, PROPOSALS)[1].run()
    named(queued, SIMILARITY)[1].run()
    named(queued, DECLASS)[1].run()
    assert state() == once
