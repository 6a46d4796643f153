"""The admin lists imported cables and shows their paragraphs with markings."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cables.ingest import CableSource, cables_import
from cables.models import Cable
from tests.cables.cable_text import reference_id, telegram

pytestmark = pytest.mark.django_db


@pytest.fixture
def imported():
    cables_import(
        [CableSource(name=f"c{i}.txt", text=telegram(serial=i)) for i in (1, 2)], workers=1
    )
    return Cable.objects.get(reference_id=reference_id(serial=1))


def test_changelist_lists_cables_with_their_classification(admin_client, imported):
    response = admin_client.get(reverse("admin:cables_cable_changelist"))

    assert response.status_code == 200
    body = response.content.decode()
    assert reference_id(serial=1) in body and reference_id(serial=2) in body
    assert "Upload cables" in body


def test_change_page_shows_paragraphs_and_their_markings(admin_client, imported):
    response = admin_client.get(reverse("admin:cables_cable_change", args=[imported.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "the minister said the talks would resume" in body
    markings = re.findall(r'field-marking_display">\s*<p>([^<]*)</p>', body)
    assert markings == ["C", "U", "C"]


def test_admin_upload_goes_through_the_import_service(admin_client):
    upload = SimpleUploadedFile("up.txt", telegram(serial=42).encode(), "text/plain")

    response = admin_client.post(reverse("admin:cables_cable_upload"), {"files": [upload]})

    assert response.status_code == 302
    assert Cable.objects.filter(reference_id=reference_id(serial=42)).exists()


def test_upload_page_needs_staff(client):
    response = client.get(reverse("admin:cables_cable_upload"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_changelist_queries_do_not_grow_with_the_number_of_cables(
    admin_client, django_assert_max_num_queries
):
    cables_import(
        [CableSource(name=f"c{i}.txt", text=telegram(serial=i)) for i in range(1, 31)],
        workers=1,
    )

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:cables_cable_changelist"))

    assert response.status_code == 200
    assert response.content.decode().count("EXAMPLETOWN") >= 30
