"""The cable page shows the header, the declassification status and the paragraphs."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from cables import declass_store
from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db


@pytest.fixture
def cable():
    cable = CableFactory(decl="E.O. 12958: DECL: 01/10/2016", reasons=["1.4(b)", "1.4(d)"])
    ParagraphFactory(cable=cable, ordinal=1, number="1", text="<script>alert(1)</script>")
    declass_store.declass_compute([cable.pk], as_of=date(2025, 7, 1))
    return cable


def test_it_shows_date_rule_and_explanation_to_a_viewer(client, cable):
    user = UserFactory()
    Clearance.objects.create(user=user, level=int(Level.C))
    permissions.grant(permissions.VIEW, user, cable)
    client.force_login(user)

    response = client.get(reverse("cables:detail", args=[cable.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "2016-01-10" in body
    assert "R-DATE" in body
    assert "How it was decided" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)</script>" not in body


def test_missing_and_forbidden_cables_give_the_same_404(client, cable):
    client.force_login(UserFactory())

    forbidden = client.get(reverse("cables:detail", args=[cable.pk]))
    missing = client.get(reverse("cables:detail", args=[cable.pk + 1000]))

    assert forbidden.status_code == missing.status_code == 404


def test_paragraphs_above_the_clearance_are_not_in_the_html(client, cable):
    ParagraphFactory(
        cable=cable, ordinal=2, number="2", level=int(Level.S), text="SECRETSOURCENAME"
    )
    user = UserFactory()
    Clearance.objects.create(user=user, level=int(Level.C))
    permissions.grant(permissions.VIEW, user, cable)
    client.force_login(user)

    body = client.get(reverse("cables:detail", args=[cable.pk])).content.decode()

    assert "SECRETSOURCENAME" not in body
    assert "1 paragraph above your clearance" in body
