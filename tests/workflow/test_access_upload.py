"""The admin's cable upload, as an admin uses it: a file whose reference id is stored is
told *unchanged* or a *conflict* only where the uploader may read the stored cable's
raw text; elsewhere it is *already stored*, the same answer for the same text and for
another, and the stored cable is kept either way.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cables.ingest import CableSource, cables_import
from cables.markings import Level
from cables.models import Cable
from tests.cables.cable_text import reference_id, telegram
from tests.factories import UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

SECRET_BODY = (
    "1. (C) Summary: the minister said the talks would resume.",
    "2. (S) The source met the minister at the port on Tuesday.",
)
REF = reference_id(serial=77)
KEPT = "Already stored, kept as stored: 1."


def secret_telegram(day: str) -> str:
    body = (SECRET_BODY[0], SECRET_BODY[1].replace("Tuesday", day))
    return telegram(serial=77, banner="S E C R E T", paragraphs=body)


@pytest.fixture
def stored() -> Cable:
    report = cables_import([CableSource(name="s.txt", text=secret_telegram("Tuesday"))], workers=1)
    assert len(report.imported_ids) == 1
    return Cable.objects.get(pk=report.imported_ids[0])


def admin(username: str, level: Level):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name="admin"))
    Clearance.objects.create(user=user, level=int(level))
    return user


def upload(client, *files: tuple[str, str]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Upload the files as the admin does: each message of the next page, with its level."""
    uploads = [SimpleUploadedFile(name, text.encode(), "text/plain") for name, text in files]
    response = client.post(reverse("admin:cables_cable_upload"), {"files": uploads}, follow=True)
    assert response.status_code == 200
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("level", "granted"),
    [(Level.C, True), (Level.TS, False)],
    ids=["granted, cleared below a paragraph", "cleared, no grant"],
)
def test_an_admin_who_may_not_read_the_stored_text_is_told_already_stored_either_way(
    client, stored, level, granted
):
    user = admin("cleo", level)
    if granted:
        permissions.grant(permissions.VIEW, user, stored)
    client.force_login(user)

    same = upload(client, ("guess.txt", secret_telegram("Tuesday")))
    other = upload(client, ("guess.txt", secret_telegram("Monday")))

    assert same == other
    assert same == [
        ("success", f"Imported 0, unchanged 0, conflicts 0, failed 0. {KEPT}"),
        ("warning", f"guess.txt: {REF} is already stored; kept the stored cable"),
    ]
    assert "Tuesday" in Cable.objects.get(pk=stored.pk).raw_text  # kept as it was


def test_with_a_new_cable_beside_it_the_answer_does_not_depend_on_the_guess(client, stored):
    user = admin("cleo", Level.C)
    permissions.grant(permissions.VIEW, user, stored)
    client.force_login(user)

    answers = [
        upload(
            client,
            ("guess.txt", secret_telegram(day)),
            (f"new{serial}.txt", telegram(serial=serial)),
        )
        for day, serial in (("Tuesday", 1), ("Monday", 2))
    ]

    assert answers[0] == [
        (
            "success",
            f"Imported 1, unchanged 0, conflicts 0, failed 0. {KEPT}",
        ),
        ("warning", f"guess.txt: {REF} is already stored; kept the stored cable"),
    ]
    assert answers[1] == answers[0]
    assert (
        Cable.objects.filter(reference_id__in=[reference_id(serial=s) for s in (1, 2)]).count() == 2
    )


def test_an_admin_who_may_read_it_all_is_told_unchanged_or_conflict(client, stored):
    user = admin("sam", Level.S)
    permissions.grant(permissions.VIEW, user, stored)
    client.force_login(user)

    same = upload(client, ("guess.txt", secret_telegram("Tuesday")))
    other = upload(client, ("guess.txt", secret_telegram("Monday")))

    assert same == [("success", "Imported 0, unchanged 1, conflicts 0, failed 0.")]
    assert other == [
        ("success", "Imported 0, unchanged 0, conflicts 1, failed 0."),
        ("error", f"guess.txt: {REF} is already stored with different text; kept the stored cable"),
    ]
    assert "Tuesday" in Cable.objects.get(pk=stored.pk).raw_text
