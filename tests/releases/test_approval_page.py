"""The release authority's approval page: approve and release, conflicts, blocked releases."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from releases.models import Release
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import cleared, decide
from workflow import permissions
from workflow.models import ReviewState

pytestmark = pytest.mark.django_db

TALKS = (
    "The foreign minister told the ambassador on Tuesday that the government would "
    "resume talks with the northern opposition in March, provided that the ceasefire "
    "held and the opposition released the two engineers it detained in January."
)


@pytest.fixture
def as_authority(client, authority, reviewed):
    permissions.grant(permissions.RELEASE, authority, reviewed)
    client.force_login(authority)
    return client


def form_fields(client, cable):
    """The hidden fields of the approval form, as the page serves them."""
    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()
    return dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page))


def approve(client, cable, **data):
    """Post the approval form as loaded from the page (``data`` on top), then load the page
    it redirects to (after any queued task ran)."""
    fields = {k: html.unescape(v) for k, v in form_fields(client, cable).items()}
    response = client.post(reverse("releases:approve", args=[cable.pk]), {**fields, **data})
    assert response.status_code == 302
    return response


def page_after(client, cable):
    return client.get(reverse("releases:approval", args=[cable.pk])).content.decode()


def test_approving_on_the_page_publishes_the_release(
    as_authority, reviewed, django_capture_on_commit_callbacks
):
    page = as_authority.get(reverse("releases:approval", args=[reviewed.pk])).content.decode()
    assert reverse("releases:approve", args=[reviewed.pk]) in page

    with django_capture_on_commit_callbacks(execute=True):
        approve(as_authority, reviewed, case_number="F-2025-00123")

    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED
    body = page_after(as_authority, reviewed)
    assert "Published as version 1" in body
    assert reverse("releases:detail", args=[release.pk]) in body


def test_only_a_release_authority_of_the_cable_can_post_an_approval(client, reviewed, reviewer):
    client.force_login(reviewer)  # may review, not release

    response = client.post(reverse("releases:approve", args=[reviewed.pk]))

    assert response.status_code == 404
    assert not Release.objects.exists()


def test_a_blocked_release_shows_why_on_the_approval_page(
    as_authority, reviewed, monkeypatch, django_capture_on_commit_callbacks
):
    from releases.render import RENDERERS

    broken = dict(RENDERERS)
    broken["pdf"] = ("release.pdf", "application/pdf", lambda doc: b"%PDF-1.7 nothing")
    monkeypatch.setattr("releases.services.RENDERERS", broken)

    with django_capture_on_commit_callbacks(execute=True):
        approve(as_authority, reviewed)
    body = page_after(as_authority, reviewed)

    assert "Verification blocked the release" in body
    assert "PDF: cannot be read" in body
    assert "Generate and publish the release" in body  # it can be made again


@pytest.fixture
def conflicting(reviewer):
    """Cable A withholds a paragraph; reviewed cable B would release the same text."""
    pytest.importorskip("workflow.consistency")
    store = pytest.importorskip("cables.similarity.store")
    a = CableFactory(review_state=ReviewState.IN_REVIEW)
    ParagraphFactory(cable=a, ordinal=1, text=TALKS)
    decide(a, cleared("wanda"), {1: ("withhold", "(b)(1) 1.4(d)")})
    b = CableFactory()
    ParagraphFactory(cable=b, ordinal=1, text=TALKS)
    decide(b, reviewer, {})
    store.index_cables([a.pk, b.pk])
    return a, b


def test_conflicts_block_the_release_until_acknowledged_and_the_audit_records_them(
    client, authority, conflicting, django_capture_on_commit_callbacks
):
    a, b = conflicting
    permissions.grant(permissions.RELEASE, authority, b)
    client.force_login(authority)
    page = client.get(reverse("releases:approval", args=[b.pk]))
    body = page.content.decode()
    # Cable A is not the authority's: the conflict shows, A's name does not.
    assert "Consistency with other cables" in body and a.reference_id not in body
    assert "another cable (not yours to view)" in body
    permissions.grant(permissions.VIEW, authority, a)
    page = client.get(reverse("releases:approval", args=[b.pk]))
    body = page.content.decode()
    assert a.reference_id in body
    assert 'name="acknowledge_conflicts"' in body
    digest = page.context["release"].conflicts_digest

    # Without the acknowledgement: refused, nothing released
    approve(client, b, conflicts_digest=digest)
    refused = page_after(client, b)
    assert "review them and confirm to release anyway" in refused
    assert not Release.objects.exists()

    # With it: released, and the audit entry names the conflict acknowledged
    with django_capture_on_commit_callbacks(execute=True):
        approve(client, b, conflicts_digest=digest, acknowledge_conflicts="1")
    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED
    event = AuditEvent.objects.get(action="release.approved")
    (record,) = event.after["conflicts_acknowledged"]
    assert record["other_cable"] == a.reference_id
    assert record["other_decision"] == "withhold"
    assert record["labels"] == ["(b)(1) 1.4(d)"]
    assert TALKS[:40] not in str(event.after)


def test_an_acknowledgement_covers_only_the_conflicts_that_were_shown(
    client, authority, conflicting
):
    _, b = conflicting
    permissions.grant(permissions.RELEASE, authority, b)
    client.force_login(authority)

    approve(client, b, conflicts_digest="0" * 64, acknowledge_conflicts="1")

    assert "changed since the page was loaded" in page_after(client, b)
    assert not Release.objects.exists()


def test_the_decisions_table_names_an_unnumbered_paragraph_as_such(
    client, authority, reviewer, cable
):
    """An unnumbered portion is listed as unnumbered, never under a made-up number."""
    ParagraphFactory(cable=cable, ordinal=4, number="", text="Closing remarks without a number.")
    decide(cable, reviewer, {})
    cable.refresh_from_db()
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)
    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>", page.split("<caption>Decisions</caption>")[1])
    assert rows[:3] == ["1", "2", "3"]
    assert rows[3].startswith("unnumbered") and "portion 4" in rows[3]
