"""An approval posted from a stale page publishes nothing: the form carries a digest of the
decisions and header the page showed, and any change since answers 409 saying what changed.

The authority acts through the approval page (the test client loads it and posts the
form it serves); the reviewers change the decisions through the review service meanwhile.
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from cables.models import Cable
from releases.models import Release
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import cleared, decide
from workflow import permissions
from workflow.models import ReviewState
from workflow.review import cable_transition

pytestmark = pytest.mark.django_db

TEXTS = [
    "The new harbor agreement was described to the visiting delegation.",
    "A palace source described troop movements near the northern border.",
    "Minister Varga asked that the talks remain confidential until June.",
    "The source described the health of President Okonjo as poor.",
]
B1 = "(b)(1) 1.4(d)"


@pytest.fixture
def three_withheld(reviewer) -> Cable:
    """A reviewed cable: paragraphs 2, 3 and 4 withheld, paragraph 1 released."""
    cable = CableFactory(level=int(Level.S), subject="(C) HARBOR TALKS", subject_level=int(Level.U))
    for ordinal, text in enumerate(TEXTS, start=1):
        ParagraphFactory(
            cable=cable, ordinal=ordinal, number=str(ordinal), level=int(Level.C), text=text
        )
    decide(cable, reviewer, {2: ("withhold", B1), 3: ("withhold", B1), 4: ("withhold", B1)})
    return cable


@pytest.fixture
def authority_page(client, authority, three_withheld):
    """The release authority with the approval page open: the form's fields as served."""
    permissions.grant(permissions.RELEASE, authority, three_withheld)
    client.force_login(authority)
    page = client.get(reverse("releases:approval", args=[three_withheld.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("WITHHELD IN FULL: (b)(1) 1.4(d)]") == 3
    fields = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', body)
    return {name: html.unescape(value) for name, value in fields}


def post(client, cable, fields):
    return client.post(reverse("releases:approve", args=[cable.pk]), fields)


def test_decisions_changed_after_the_page_was_loaded_answer_409_and_publish_nothing(
    client, authority, reviewer, three_withheld, authority_page,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # Meanwhile the cable is returned, re-decided "release" and moved back to reviewed
    other_authority = cleared("rhea")
    permissions.grant(permissions.RELEASE, other_authority, three_withheld)
    cable_transition(user=other_authority, cable=three_withheld, target=ReviewState.RETURNED)
    decide(three_withheld, reviewer, {})  # every paragraph: release
    three_withheld.status.refresh_from_db()
    assert three_withheld.status.review_state == ReviewState.REVIEWED

    # When the authority posts the form of the page they read
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, three_withheld, authority_page)

    # Then: 409, naming the paragraphs whose decisions changed, and nothing published
    assert response.status_code == 409
    body = html.unescape(response.content.decode())
    assert "Not approved: the cable changed since this page was loaded" in body
    for n in (2, 3, 4):
        assert (
            f"paragraph {n}: the decision shown was withhold in full {B1}, "
            "it is now release in full" in body
        )
    assert "paragraph 1:" not in body
    assert not Release.objects.exists()
    assert not AuditEvent.objects.filter(action="release.approved").exists()
    three_withheld.status.refresh_from_db()
    assert three_withheld.status.review_state == ReviewState.REVIEWED
    # The answer is the page as the cable is now: its form approves what it shows
    assert body.count("WITHHELD IN FULL: (b)(1) 1.4(d)]") == 0
    fresh = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', body))
    with django_capture_on_commit_callbacks(execute=True):
        again = post(client, three_withheld, fresh)
    assert again.status_code == 302
    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    assert release.stamp == "RELEASED IN FULL"


@pytest.mark.django_db(transaction=True)  # the superuser's connection sees what committed
def test_a_header_changed_after_the_page_was_loaded_answers_409(
    client, three_withheld, authority_page
):
    # A cable's header is not the application role's to change (audit.db_roles).
    with superuser_connection() as conn:
        conn.execute(
            "UPDATE cables_cable SET subject = %s WHERE id = %s",
            ["(S) HARBOR TALKS WITH BLUEHERON", three_withheld.pk],
        )

    response = post(client, three_withheld, authority_page)

    assert response.status_code == 409
    assert "the subject field changed" in response.content.decode()
    assert not Release.objects.exists()


def test_the_same_page_posted_unchanged_approves(
    client, three_withheld, authority_page, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, three_withheld, authority_page)

    assert response.status_code == 302
    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    assert release.stamp.startswith("RELEASED IN PART")


def test_a_form_without_the_digest_of_what_it_showed_is_refused(
    client, three_withheld, authority_page
):
    fields = {k: v for k, v in authority_page.items() if k != "approval_digest"}

    response = post(client, three_withheld, fields)

    assert response.status_code == 302
    assert "load the page again" in client.get(response["Location"]).content.decode()
    assert not Release.objects.exists()
