"""A classified subject is released or withheld as its reviewer decided (``workflow.subject``).

Released, the subject is printed like any header field: the SUBJECT line, the title, the
PDF's metadata, the reading room's row and search text, and verification passes; withheld,
it is one box citing the reviewer's exemption in every output.  The approval page shows the
subject as decided, and an approval posted after the subject's decision changed is stale.
"""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from releases.models import Release
from releases.services import release_verify_stored
from tests.cables.cable_text import telegram
from tests.releases.conftest import cleared, decide, import_texts
from tests.releases.test_release_outputs import outputs_of
from workflow import permissions
from workflow.models import ReviewState
from workflow.review import cable_transition

pytestmark = pytest.mark.django_db

CANARY = "PELICANQUORUM"
SUBJECT = f"(S) {CANARY} HARBOR TALKS"


def _secret_cable():
    (cable,) = import_texts({"c.txt": telegram(banner="S E C R E T", subject=SUBJECT)})
    assert cable.subject_level == 2  # stored with its marking
    return cable


def test_a_released_secret_subject_is_printed_everywhere(reviewer, authority, publish):
    cable = _secret_cable()
    decide(cable, reviewer, {}, subject=("release", ""))
    release = publish(cable, authority)
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason

    assert release.title == f"{release.reference_id}: {CANARY} HARBOR TALKS"
    assert release.stamp == "RELEASED IN FULL"
    outputs = outputs_of(release)
    assert f"SUBJECT: {CANARY} HARBOR TALKS" in outputs["plain text"]
    assert CANARY in outputs["PDF metadata"]
    assert CANARY in outputs["PDF text layer"]
    assert CANARY in release.search_text
    # The reading room finds it by its subject now.
    reader = Client()
    reader.force_login(authority)
    assert release.reference_id in reader.get(f"/releases/?q={CANARY}").content.decode()
    # And the stored release verifies against the decisions it was approved under.
    assert release_verify_stored(release) == []


def test_a_withheld_subject_is_boxed_under_the_reviewers_exemption(reviewer, authority, publish):
    cable = _secret_cable()
    decide(cable, reviewer, {}, subject=("withhold", "(b)(3)"))
    release = publish(cable, authority)
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason

    assert release.title == f"{release.reference_id}: [(b)(3) subject withheld]"
    assert release.stamp == "RELEASED IN PART B3"
    for name, text in outputs_of(release).items():
        assert CANARY not in text, name
        assert "HARBOR TALKS" not in text, name
    assert CANARY not in release.search_text


def test_the_approval_page_shows_the_subject_as_decided(client, reviewer, authority):
    cable = _secret_cable()
    decide(cable, reviewer, {}, subject=("release", ""))
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)
    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()
    assert f"{CANARY} HARBOR TALKS" in page
    assert "subject withheld" not in page


def _form(client, cable) -> dict[str, str]:
    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()
    fields = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in fields}


def test_an_approval_after_the_subjects_decision_changed_is_stale(
    client, reviewer, authority, django_capture_on_commit_callbacks
):
    cable = _secret_cable()
    decide(cable, reviewer, {})  # the subject withheld under (b)(1)
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)
    fields = _form(client, cable)

    # Meanwhile the cable is returned and its subject released.
    other = cleared("rhea")
    permissions.grant(permissions.RELEASE, other, cable)
    cable_transition(user=other, cable=cable, target=ReviewState.RETURNED)
    decide(cable, reviewer, {}, subject=("release", ""))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("releases:approve", args=[cable.pk]), fields)
    assert response.status_code == 409
    body = response.content.decode()
    assert "the subject&#x27;s decision changed: it is now release" in body or (
        "the subject's decision changed: it is now release" in body
    )
    assert not Release.objects.filter(cable=cable).exists()
