"""A classified subject line its reviewer withheld is withheld whole from the release.

A subject whose level is above UNCLASSIFIED (its own portion mark, or the cable's level
when unmarked) is a portion the reviewers decide (``workflow.subject``); withheld (here
under (b)(1), the ``decide`` helper's default) it is one box citing the exemption in
every output, and the title, the PDF's metadata, the reading-room row and its search
text never carry it.  An unclassified subject needs no decision and is released.
(Released by its reviewer: ``test_subject_decision_release.py``.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from releases.models import Release
from tests.cables.cable_text import telegram
from tests.releases.conftest import decide, import_texts
from tests.releases.test_release_outputs import outputs_of

pytestmark = pytest.mark.django_db

CANARY = "SUBJECTCANARYQX"


def _published(reviewer: Any, authority: Any, publish: Any, **text: Any) -> Release:
    (cable,) = import_texts({"cable.txt": telegram(**text)})
    decide(cable, reviewer, {})  # every paragraph released
    release = publish(cable, authority)
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    return release


def test_a_secret_subject_is_boxed_and_carried_by_no_output(reviewer, authority, publish):
    release = _published(
        reviewer, authority, publish,
        banner="S E C R E T", subject=f"(S) {CANARY} HARBOR TALKS",
    )  # fmt: skip

    outputs = outputs_of(release)
    where = [name for name, text in outputs.items() if CANARY in text or "HARBOR TALKS" in text]
    assert where == []
    for field in (release.title, release.search_text, release.reference_id, release.origin):
        assert CANARY not in field
    assert release.title == f"{release.reference_id}: [(b)(1) subject withheld]"
    assert "SUBJECT: [(b)(1) subject withheld]" in outputs["plain text"]
    assert release.stamp == "RELEASED IN PART B1"
    # The reading room finds it by its released words, and not by its subject's.
    reading_room = Client()
    reading_room.force_login(authority)
    assert release.reference_id in reading_room.get("/releases/?q=minister").content.decode()
    assert release.reference_id not in reading_room.get(f"/releases/?q={CANARY}").content.decode()
    assert release.reference_id not in reading_room.get("/releases/?q=HARBOR").content.decode()


def test_an_unmarked_subject_of_a_confidential_cable_is_withheld(reviewer, authority, publish):
    release = _published(reviewer, authority, publish, subject=f"{CANARY} TALKS RESUME")

    assert all(CANARY not in text for text in outputs_of(release).values())
    assert CANARY not in release.title


def test_an_unclassified_subject_is_released(reviewer, authority, publish):
    release = _published(
        reviewer, authority, publish,
        banner="S E C R E T", subject=f"(U) {CANARY} TALKS RESUME",
    )  # fmt: skip

    assert release.title == f"{release.reference_id}: {CANARY} TALKS RESUME"
    assert release.stamp == "RELEASED IN FULL"
    assert CANARY in outputs_of(release)["PDF metadata"]
