"""The reviewers of a cable whose release is withdrawn for re-review are told, in the app
and by e-mail, without being told which cable withholds its text
(``releases.recheck._notify``)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from releases.tasks import release_recheck_task
from tests.factories import UserFactory
from tests.releases.conftest import cleared
from tests.releases.test_release_recheck import publish_both
from workflow import permissions
from workflow.models import Notification

pytestmark = pytest.mark.django_db

WITHDRAWN_SUBJECT = "A cable you review was withdrawn from the reading room"


@pytest.fixture
def people() -> dict[str, Any]:
    return {
        "reviewer": cleared("rita"),
        "authority": cleared("amos"),
        "reader": UserFactory(username="rhea"),
    }


def test_the_reviewers_of_a_withdrawn_release_are_told_and_no_one_else(
    client, people, django_capture_on_commit_callbacks
):
    # Given a second reviewer of A, and a user without a grant on A
    second = cleared("lena")
    second.email = "lena@example.org"
    second.save(update_fields=["email"])
    outsider = UserFactory(username="otto")
    mail.outbox.clear()

    # When B's release, withholding A's published paragraph, is published
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks, {},
        {2: ("withhold", "(b)(1)")},
        before_b=lambda a: permissions.grant(permissions.REVIEW, second, a),
    )  # fmt: skip

    # Then each of A's reviewers finds the notice on the notifications page, naming A
    for user in (people["reviewer"], second):
        client.force_login(user)
        page = html.unescape(client.get(reverse("workflow:notifications")).content.decode())
        assert f"The release of {a.reference_id} (version 1) is withdrawn" in page
        assert reverse("workflow:review", args=[a.pk]) in page
        assert b.reference_id not in page  # B may be above their clearance
    # and by e-mail, once each; the outsider and the authority get nothing about it
    withdrawn = [m for m in mail.outbox if m.subject == WITHDRAWN_SUBJECT]
    assert sorted(m.to[0] for m in withdrawn) == sorted(
        [people["reviewer"].email, "lena@example.org"]
    )
    assert all(b.reference_id not in m.body for m in withdrawn)
    kinds = Notification.objects.filter(kind=Notification.Kind.WITHDRAWN)
    assert sorted(kinds.values_list("user__username", flat=True)) == ["lena", "rita"]
    assert not Notification.objects.filter(user__in=[outsider, people["authority"]]).filter(
        kind=Notification.Kind.WITHDRAWN
    )

    # When the task is delivered again, nobody is told twice
    release_recheck_task(b_release.pk)
    assert kinds.count() == 2
