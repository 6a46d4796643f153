"""Import by upload over the API: the import service, all or nothing, errors that name
the file, the line and the problem; same text or other text told only to an importer
who may read the stored cable's raw text."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile

from cables.markings import Level
from cables.models import Cable
from tests.api.helpers import token_client
from tests.cables.cable_text import reference_id, telegram
from tests.factories import UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.fixture
def importer_user():
    user = UserFactory(username="importer")
    user.user_permissions.add(Permission.objects.get(codename="change_cable"))
    return user


@pytest.fixture
def importer(importer_user):
    return token_client(importer_user)


def may_read(user, serial: int) -> None:
    """A view grant on the stored cable and clearance for all of it: its raw text is
    the user's to read (workflow.access.may_read_raw_text)."""
    Clearance.objects.update_or_create(user=user, defaults={"level": int(Level.TS)})
    permissions.grant(
        permissions.VIEW, user, Cable.objects.get(reference_id=reference_id(serial=serial))
    )


def upload(name: str, data: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data)


def post(client, *files):
    return client.post("/api/imports/", {"files": list(files)}, format="multipart")


def test_uploaded_cables_are_imported(importer):
    response = post(
        importer, upload("a.txt", telegram(serial=1)), upload("b.txt", telegram(serial=2))
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["imported"], body["unchanged"], body["paragraphs"]) == (2, 0, 6)
    refs = [reference_id(serial=1), reference_id(serial=2)]
    assert [c["reference_id"] for c in body["cables"]] == refs
    assert Cable.objects.filter(reference_id__in=refs).count() == 2
    assert Cable.objects.get(reference_id=refs[0]).paragraphs.count() == 3


def test_the_same_upload_again_is_unchanged(importer, importer_user):
    post(importer, upload("a.txt", telegram(serial=1)))
    may_read(importer_user, serial=1)

    body = post(importer, upload("a.txt", telegram(serial=1))).json()

    assert (body["imported"], body["unchanged"], body["cables"]) == (0, 1, [])
    assert body["already_stored"] == []


@pytest.mark.parametrize(
    "text",
    [telegram(serial=1), telegram(serial=1, subject="(C) ANOTHER SUBJECT")],
    ids=["same text", "other text"],
)
def test_to_an_importer_who_may_not_read_the_stored_cable_it_is_already_stored_either_way(
    importer, text
):
    post(importer, upload("a.txt", telegram(serial=1)))  # no grant on it, no clearance

    response = post(importer, upload("a2.txt", text), upload("b.txt", telegram(serial=2)))

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["imported"], body["unchanged"], body["paragraphs"]) == (1, 0, 3)
    assert body["already_stored"] == [{"file": "a2.txt", "reference_id": reference_id(serial=1)}]
    assert [c["reference_id"] for c in body["cables"]] == [reference_id(serial=2)]
    assert Cable.objects.get(reference_id=reference_id(serial=1)).subject == "EXAMPLE TALKS RESUME"


def test_a_file_given_twice_in_one_upload_is_told_as_it_is(importer):
    changed = telegram(serial=1, subject="(C) ANOTHER SUBJECT")

    response = post(importer, upload("a.txt", telegram(serial=1)), upload("a2.txt", changed))

    assert response.status_code == 409  # the importer's own two texts, compared
    assert "already stored with different text" in response.json()["errors"][0]["error"]
    assert not Cable.objects.exists()


def test_a_bad_file_is_a_400_naming_it_and_nothing_is_imported(importer):
    broken = (SAMPLES / "broken_no_classification.txt").read_bytes()

    response = post(importer, upload("good.txt", telegram(serial=1)), upload("broken.txt", broken))

    assert response.status_code == 400
    body = response.json()
    assert "nothing was imported" in body["detail"]
    [problem] = body["errors"]
    assert problem["file"] == "broken.txt"
    assert problem["error"].startswith("broken.txt")
    assert not Cable.objects.exists()


def test_text_that_is_not_utf8_is_named_with_its_byte(importer):
    response = post(importer, upload("latin.txt", "caf\xe9".encode("latin-1")))

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"file": "latin.txt", "error": "latin.txt:1: not UTF-8 text: byte 0xe9 at offset 3"}
    ]


def test_the_same_reference_with_other_text_is_a_409_and_keeps_the_stored_cable(
    importer, importer_user
):
    post(importer, upload("a.txt", telegram(serial=1)))
    may_read(importer_user, serial=1)
    changed = telegram(serial=1, subject="(C) ANOTHER SUBJECT")

    response = post(importer, upload("a2.txt", changed), upload("b.txt", telegram(serial=2)))

    assert response.status_code == 409
    assert "already stored with different text" in response.json()["errors"][0]["error"]
    assert list(Cable.objects.values_list("reference_id", flat=True)) == [reference_id(serial=1)]
    assert Cable.objects.get().subject == "EXAMPLE TALKS RESUME"


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, "files"), ({"files": "not a file"}, "files")],
)
def test_an_upload_without_files_names_the_field(importer, data, field):
    response = importer.post("/api/imports/", data, format="multipart")

    assert response.status_code == 400
    assert field in response.json()


def test_importing_needs_the_permission_to_change_cables():
    client = token_client(UserFactory(username="reader"))

    response = post(client, upload("a.txt", telegram(serial=1)))

    assert response.status_code == 403
    assert not Cable.objects.exists()
