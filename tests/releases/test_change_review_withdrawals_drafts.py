"""Defects found reviewing the release re-check (releases.recheck) and its neighbours.

Each test failed on the code as it was reviewed (a strict xfail) and passes since its
fix: a re-check compares what is served with what is served, never with drafts.
"""

from __future__ import annotations

import pytest

from cables.markings import Level
from cables.models import Cable
from cables.similarity import store
from releases.tasks import release_recheck_task
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import decide
from tests.releases.test_release_recheck import (
    NAMED,
    SHARED,
    approve_on_page,
    reading_room,
)
from tests.rereview import reopen_for_rereview
from workflow.models import ReviewRound
from workflow.review import current_decisions, decision_record

pytestmark = pytest.mark.django_db


def _cable(ref: str, level: Level, texts: list[str]) -> Cable:
    cable = CableFactory(reference_id=ref, level=int(level))
    for i, text in enumerate(texts, start=1):
        ParagraphFactory(cable=cable, ordinal=i, number=str(i), level=int(level), text=text)
    return cable


def test_a_draft_decision_of_b_not_yet_published_does_not_withdraw_a(
    client,
    people,
    django_capture_on_commit_callbacks,
):
    # A releases SHARED and withholds NAMED; B, published after, does the same: no
    # conflict, A stays served.
    a = _cable("07ALPHATOWN101", Level.C, [SHARED, NAMED])
    b = _cable("08BRAVOTOWN202", Level.C, [NAMED, SHARED])
    store.index_cables([a.pk, b.pk])
    decide(a, people["reviewer"], {2: ("withhold", "(b)(6)")})
    a_release = approve_on_page(client, people["authority"], a, django_capture_on_commit_callbacks)
    decide(b, people["reviewer"], {1: ("withhold", "(b)(6)")})
    b_release = approve_on_page(client, people["authority"], b, django_capture_on_commit_callbacks)
    assert a_release.pk in reading_room(client, people["reader"])

    # B is reviewed again; its reviewer drafts a withholding of SHARED (not approved, not
    # published: B's published release still releases SHARED).
    reopen_for_rereview(b)
    shared_in_b = b.paragraphs.get(ordinal=2)
    decision_record(
        user=people["reviewer"],
        paragraph=shared_in_b,
        kind="withhold",
        based_on=current_decisions(b)[shared_in_b.pk].pk,
        spans=(),
        label="(b)(1)",
    )

    # The worker delivers B's re-check again (a retry, or a late delivery).
    release_recheck_task(b_release.pk)

    assert not ReviewRound.objects.filter(cable=a).exists()
    assert a_release.pk in reading_room(client, people["reader"])
