"""Limits on what one request may carry, and errors under /api/ always in JSON: a cable
file over DECLASS_MAX_CABLE_BYTES is refused by name before it is parsed (API, admin
upload, manage.py import_cables); too many files, too large a body, a path no view
serves and a server error answer JSON under /api/."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from cables.models import Cable
from tests.api.helpers import token_client
from tests.cables.cable_text import reference_id, telegram
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def huge_cable(size: int) -> bytes:
    """A real telegram padded with one of its own paragraphs up to ``size`` bytes."""
    text = telegram(serial=7).encode()
    filler = b"\n3. (U) Talks went on into the night.\n"
    return text + filler * ((size - len(text)) // len(filler) + 1)


@pytest.fixture
def importer():
    user = UserFactory(username="importer")
    user.user_permissions.add(Permission.objects.get(codename="change_cable"))
    client = token_client(user)
    client.raise_request_exception = False
    return client


def post(client, *files):
    return client.post("/api/imports/", {"files": list(files)}, format="multipart")


def test_a_50_mb_cable_is_refused_by_name_before_it_is_parsed(importer):
    big = SimpleUploadedFile("huge.txt", huge_cable(50 * MB))
    small = SimpleUploadedFile("fine.txt", telegram(serial=1).encode())

    with mock.patch("api.imports.cables_import", side_effect=AssertionError("parsed")):
        response = post(importer, small, big)

    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["file"] == "huge.txt"
    assert body["errors"][0]["error"].startswith("huge.txt: ")
    assert "DECLASS_MAX_CABLE_BYTES" in body["errors"][0]["error"]
    assert len(body["errors"]) == 1
    assert not Cable.objects.exists()


def test_the_default_limit_leaves_room_for_the_largest_real_cable(importer):
    # Real cables are under 40 KB; a 1 MB one still goes in.
    response = post(importer, SimpleUploadedFile("long.txt", huge_cable(1 * MB)))

    assert response.status_code == 201, response.content
    assert response.json()["cables"][0]["reference_id"] == reference_id(serial=7)


@override_settings(DECLASS_MAX_CABLE_BYTES=2000)
def test_the_limit_is_a_setting(importer):
    response = post(importer, SimpleUploadedFile("a.txt", huge_cable(3000)))

    assert response.status_code == 400
    assert "over the limit of 2,000 bytes" in response.json()["errors"][0]["error"]


def test_an_upload_of_1500_files_is_refused_in_json(importer):
    files = [SimpleUploadedFile(f"c{i}.txt", b"x") for i in range(1500)]

    response = post(importer, *files)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "Too many files" in response.json()["detail"]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_over_the_memory_limit_is_refused_in_json(importer):
    response = importer.post(
        "/api/imports/",
        {"note": "x" * 5000, "files": [SimpleUploadedFile("a.txt", b"x")]},
        format="multipart",
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than 1000 bytes" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/nothing-here/", "/api/cables/abc/", "/api/cables/1/x"])
def test_a_path_no_view_serves_is_a_json_404(importer, path):
    response = importer.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_server_error_under_api_is_json_and_says_nothing_more(importer):
    with mock.patch("api.cables.CableList.get_queryset", side_effect=RuntimeError("secret")):
        response = importer.get("/api/cables/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Server error."}


def test_errors_outside_api_stay_html():
    client = Client(raise_request_exception=False)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_admin_upload_refuses_a_large_cable_with_a_form_error(admin_client):
    big = SimpleUploadedFile("huge.txt", huge_cable(3 * MB), "text/plain")

    with mock.patch("cables.admin.cables_import", side_effect=AssertionError("parsed")):
        response = admin_client.post(reverse("admin:cables_cable_upload"), {"files": [big]})

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["form"].errors["files"]
    assert errors[0].startswith("huge.txt: ") and "DECLASS_MAX_CABLE_BYTES" in errors[0]
    assert b"huge.txt: " in response.content
    assert not Cable.objects.exists()


def test_import_cables_refuses_a_large_file_by_name_and_imports_the_others(tmp_path, capsys):
    (tmp_path / "fine.txt").write_text(telegram(serial=1), encoding="utf-8")
    (tmp_path / "huge.txt").write_bytes(huge_cable(3 * MB))

    with pytest.raises(SystemExit) as exit_info:
        call_command("import_cables", str(tmp_path), "--json", "--workers", "1")

    assert exit_info.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert report["imported"] == 1
    assert [f["source"] for f in report["failed"]] == [str(tmp_path / "huge.txt")]
    assert "over the limit" in report["failed"][0]["error"]
    assert Cable.objects.filter(reference_id=reference_id(serial=1)).exists()
