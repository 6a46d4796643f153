"""A cable's subject line is a portion: hidden from whoever is not cleared for it.

A cable is imported through the real importer (parser and COPY loader) with
"SUBJECT: (S) ...": the subject's marking is stored with it.  Then C-cleared and
U-cleared users who may view (and review) the cable look at every page that shows
a subject: the queue, the cable page, the review page, the approval page, the API's
cable list and detail, and the admin's cable list (searched too) and change page.
The subject's words appear in none of their answers, and in those of a TOP SECRET
user they do.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from cables.markings import Level
from cables.models import Cable
from tests.cables.cable_text import telegram
from tests.factories import CableFactory, UserFactory
from tests.releases.conftest import import_texts
from workflow import access, permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

CANARY = "SUBJECTCANARYQX"
SUBJECT = f"{CANARY} HARBOR TALKS"


def _user(name: str, level: Level | None, *, staff: bool = False) -> Any:
    user = UserFactory(username=name, is_staff=staff)
    if level is not None:
        Clearance.objects.create(user=user, level=int(level))
    if staff:
        user.groups.add(Group.objects.get(name="admin"))
    return user


@pytest.fixture
def cable() -> Cable:
    (imported,) = import_texts({
        "secret-subject.txt": telegram(
            banner="S E C R E T",
            subject=f"(S) {SUBJECT}",
            paragraphs=(
                "1. (C) Summary: the minister said the talks would resume.",
                "2. (U) The press reported the meeting.",
            ),
        )
    })  # fmt: skip
    return imported


@pytest.fixture
def users(cable: Cable) -> dict[str, Any]:
    people = {
        "confidential": _user("cora", Level.C),
        "unclassified": _user("ulla", None),
        "top_secret": _user("tess", Level.TS),
        "admin_c": _user("adam", Level.C, staff=True),
        "admin_ts": _user("tina", Level.TS, staff=True),
    }
    for name in ("confidential", "unclassified", "top_secret"):
        permissions.grant(permissions.VIEW, people[name], cable)
        permissions.grant(permissions.REVIEW, people[name], cable)
        permissions.grant(permissions.RELEASE, people[name], cable)
    for name in ("admin_c", "admin_ts"):
        permissions.grant(permissions.VIEW, people[name], cable)
    return people


def _pages(cable: Cable) -> list[str]:
    return [
        "/workflow/queue/",
        f"/cables/{cable.pk}/",
        f"/workflow/cables/{cable.pk}/review/",
        f"/releases/cables/{cable.pk}/approval/",
    ]


def _api(cable: Cable) -> list[str]:
    return ["/api/cables/", f"/api/cables/{cable.pk}/"]


def _admin(cable: Cable) -> list[str]:
    return [
        "/admin/cables/cable/",
        f"/admin/cables/cable/?q={CANARY}",
        "/admin/cables/cable/?q=HARBOR",
        f"/admin/cables/cable/{cable.pk}/change/",
    ]


def _bodies(user: Any, paths: list[str], client: Client | None = None) -> dict[str, str]:
    client = client or Client()
    client.force_login(user)
    out = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        out[path] = response.content.decode()
    return out


def test_the_importer_stores_the_subjects_marking(cable):
    assert cable.subject == SUBJECT
    assert (cable.subject_level, cable.subject_controls) == (int(Level.S), [])


def test_the_importer_stores_the_subjects_controls_and_none_for_an_unmarked_subject():
    marked, unmarked = import_texts({
        "a.txt": telegram(serial=1, banner="S E C R E T", subject="(S//NF) NOFORN SUBJECT"),
        "b.txt": telegram(serial=2, subject="PLAIN SUBJECT"),
    })  # fmt: skip
    assert (marked.subject_level, marked.subject_controls) == (int(Level.S), ["NOFORN"])
    assert (unmarked.subject, unmarked.subject_level, unmarked.subject_controls) == (
        "PLAIN SUBJECT", None, [],
    )  # fmt: skip


@pytest.mark.parametrize("persona", ["confidential", "unclassified"])
def test_a_user_below_the_subjects_level_sees_it_on_no_page(cable, users, persona):
    bodies = _bodies(users[persona], _pages(cable))

    assert {path: CANARY in body for path, body in bodies.items()} == dict.fromkeys(bodies, False)
    assert all("HARBOR TALKS" not in body for body in bodies.values())
    # The pages say that something is there and is above the user's clearance.
    assert all("above your clearance" in body for body in bodies.values())
    # The paragraphs they are cleared for are still shown.
    assert "The press reported the meeting." in bodies[f"/cables/{cable.pk}/"]


@pytest.mark.parametrize("persona", ["confidential", "unclassified"])
def test_a_user_below_the_subjects_level_gets_no_subject_from_the_api(cable, users, persona):
    bodies = _bodies(users[persona], _api(cable), APIClient())

    assert all(CANARY not in body for body in bodies.values())
    client = APIClient()
    client.force_login(users[persona])
    (row,) = client.get("/api/cables/").json()["results"]
    detail = client.get(f"/api/cables/{cable.pk}/").json()
    for answer in (row, detail):
        assert (answer["subject"], answer["subject_hidden"]) == (None, True)


def test_a_top_secret_user_sees_the_subject_everywhere(cable, users):
    bodies = _bodies(users["top_secret"], _pages(cable))
    assert all(CANARY in body for body in bodies.values()), [
        path for path, body in bodies.items() if CANARY not in body
    ]
    client = APIClient()
    client.force_login(users["top_secret"])
    (row,) = client.get("/api/cables/").json()["results"]
    detail = client.get(f"/api/cables/{cable.pk}/").json()
    for answer in (row, detail):
        assert (answer["subject"], answer["subject_hidden"]) == (SUBJECT, False)


def test_the_admin_shows_and_searches_the_subject_only_for_who_is_cleared(cable, users):
    low = _bodies(users["admin_c"], _admin(cable))
    high = _bodies(users["admin_ts"], _admin(cable))

    # (A search page echoes its own query: the searches are checked by what they find.)
    assert [p for p, body in low.items() if "?q=" not in p and CANARY in body] == []
    # A search for the subject's words finds nothing for the C admin (no oracle)...
    assert cable.reference_id not in low[f"/admin/cables/cable/?q={CANARY}"]
    assert cable.reference_id not in low["/admin/cables/cable/?q=HARBOR"]
    # ...and the cable for the TOP SECRET admin, who sees the subject.
    assert cable.reference_id in high[f"/admin/cables/cable/?q={CANARY}"]
    assert [path for path in _admin(cable) if CANARY not in high[path]] == []
    # The raw text (it holds the subject line) is not shown below the subject's level.
    assert "Raw text" not in low[f"/admin/cables/cable/{cable.pk}/change/"]


def test_an_unmarked_subject_is_handled_at_the_cables_level(users):
    confidential = CableFactory(level=int(Level.C), subject="UNMARKED TALKS", subject_level=None)
    marked_u = CableFactory(level=int(Level.S), subject="OPEN TALKS", subject_level=int(Level.U))
    low, mid = users["unclassified"], users["confidential"]

    assert access.subject_for(low, confidential) is None
    assert access.subject_for(mid, confidential) == "UNMARKED TALKS"
    assert access.subject_for(low, marked_u) == "OPEN TALKS"
    assert access.subject_level(confidential) == int(Level.C)
    for cable in (confidential, marked_u):
        permissions.grant(permissions.REVIEW, low, cable)
    queue = _bodies(low, ["/workflow/queue/"])["/workflow/queue/"]
    assert "UNMARKED TALKS" not in queue
    assert "OPEN TALKS" in queue


def test_anonymous_and_inactive_users_read_no_subject(cable, users):
    inactive = users["top_secret"]
    inactive.is_active = False
    assert access.subject_for(inactive, cable) is None
    assert access.subject_for(None, cable) is None
