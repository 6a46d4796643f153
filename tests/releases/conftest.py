"""Release tests: a reviewer, a release authority, and the path from decisions to a release."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from cables.ingest import CableSource, cables_import
from cables.markings import Level
from cables.models import Cable
from releases.models import Release
from releases.services import release_request
from tests.factories import UserFactory
from workflow import permissions
from workflow import subject as subject_portion
from workflow.models import Clearance, ReviewState
from workflow.review import cable_transition, current_decisions, decision_record

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def cleared(username: str, level: Level = Level.TS) -> Any:
    user = UserFactory(username=username)
    Clearance.objects.create(user=user, level=int(level))
    return user


@pytest.fixture
def reviewer() -> Any:
    return cleared("rita")


@pytest.fixture
def people() -> dict[str, Any]:
    """A reviewer and a release authority cleared TOP SECRET, and a reader without
    clearance or grants (the re-check's tests)."""
    return {
        "reviewer": cleared("rita"),
        "authority": cleared("amos"),
        "reader": UserFactory(username="rhea"),
    }


@pytest.fixture
def authority() -> Any:
    return cleared("amos")


def import_texts(texts: Mapping[str, str]) -> list[Cable]:
    """Import cables through the real importer (parser and loader)."""
    report = cables_import(CableSource(name=name, text=text) for name, text in texts.items())
    assert not report.failed, report.failed
    return list(Cable.objects.filter(pk__in=report.imported_ids).order_by("pk"))


def import_files(paths: list[Path]) -> list[Cable]:
    return import_texts({p.name: p.read_text(encoding="utf-8") for p in paths})


Plan = Mapping[int, tuple[str, Any]]  # ordinal -> ("release", None) | ("redact", spans) | ...


def decide(
    cable: Cable, reviewer: Any, plan: Plan, subject: tuple[str, str] = ("withhold", "(b)(1)")
) -> None:
    """Record the planned decision on every paragraph, and on a classified subject
    (``subject``: kind and exemption; withheld under (b)(1) unless told), through the
    review service."""
    permissions.grant(permissions.REVIEW, reviewer, cable)
    if subject_portion.needs_decision(cable):
        latest = subject_portion.current(cable)
        subject_portion.subject_decision_record(
            user=reviewer, cable=cable, kind=subject[0], label=subject[1],
            based_on=latest.pk if latest else None,
        )  # fmt: skip
    for p in cable.paragraphs.order_by("ordinal"):
        kind, arg = plan.get(p.ordinal, ("release", None))
        current = current_decisions(cable).get(p.pk)
        decision_record(
            user=reviewer,
            paragraph=p,
            kind=kind,
            based_on=current.pk if current else None,
            spans=arg if kind == "redact" else (),
            label=arg if kind == "withhold" else "",
        )
    cable_transition(user=reviewer, cable=cable, target=ReviewState.REVIEWED)


@pytest.fixture
def publish(django_capture_on_commit_callbacks: Callable) -> Callable[..., Release]:
    """Approve a reviewed cable's release as ``authority`` and run the queued task (eager)."""

    def run(cable: Cable, authority: Any, **kwargs: Any) -> Release:
        if not permissions.has_cable_perm(authority, permissions.RELEASE, cable):
            permissions.grant(permissions.RELEASE, authority, cable)
        with django_capture_on_commit_callbacks(execute=True):
            release = release_request(user=authority, cable=cable, **kwargs)
        release.refresh_from_db()
        return release

    return run


MINISTER = "Oriol Varga"
SOURCE = "BLUEHERON"
P1 = f"Defense Minister {MINISTER} told the Ambassador on May 6 that harbor talks open in June."
P2 = f"The palace source {SOURCE} reported troop movements near the northern harbor at night."
P3 = "The Ambassador thanked the minister and promised a list of technical experts."


@pytest.fixture
def cable() -> Cable:
    """A small cable: a name to redact, a secret paragraph to withhold, one to release;
    the subject repeats the name."""
    from tests.factories import CableFactory, ParagraphFactory

    cable = CableFactory(
        level=int(Level.S),
        controls=["NOFORN"],
        subject=f"(C) HARBOR TALKS WITH MINISTER {MINISTER.upper()}",
        # Released, so that the boxing of redacted words in a header is seen; a classified
        # subject is withheld whole (tests/releases/test_subject_withheld.py).
        subject_level=int(Level.U),
        dtg="081402Z MAY 07",
        originator="AMEMBASSY EXAMPLETOWN",
        to_addressees=["SECSTATE WASHDC"],
        classified_by="DCM Thomas Ellery",
        reasons=["1.4(b)", "1.4(d)"],
        signature="STONE",
    )
    ParagraphFactory(cable=cable, ordinal=1, number="1", level=int(Level.C), text=P1)
    ParagraphFactory(cable=cable, ordinal=2, number="2", level=int(Level.S), text=P2)
    ParagraphFactory(cable=cable, ordinal=3, number="3", level=int(Level.U), text=P3)
    return cable


def standard_plan() -> dict[int, tuple[str, Any]]:
    start = P1.index(MINISTER)
    return {
        1: ("redact", [{"start": start, "end": start + len(MINISTER), "label": "(b)(6)"}]),
        2: ("withhold", "(b)(1) 1.4(c)"),
        3: ("release", None),
    }


@pytest.fixture
def reviewed(cable: Cable, reviewer: Any) -> Cable:
    decide(cable, reviewer, standard_plan())
    return cable


@pytest.fixture
def published(reviewed: Cable, authority: Any, publish: Callable[..., Release]) -> Release:
    release = publish(reviewed, authority, case_number="F-2025-00123")
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    return release


def files_of(release: Release) -> dict[str, bytes]:
    return {f.name: bytes(f.content) for f in release.files.all()}
