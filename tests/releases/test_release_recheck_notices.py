"""The reviewers and the release authorities of a cable whose release is withdrawn for
re-review are told, in the app and by e-mail, without being told which cable withholds
its text (``releases.recheck._notify``)."""

from __future__ import annotations

import html

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

WITHDRAWN_SUBJECT = "A cable release was withdrawn from the reading room"


def test_the_reviewers_and_authorities_of_a_withdrawn_release_are_told_and_no_one_else(
    client, people, django_capture_on_commit_callbacks
):
    # Given a second reviewer of A, who releases it too, and a user without a grant on A
    second = cleared("lena")
    second.email = "lena@example.org"
    second.save(update_fields=["email"])
    outsider = UserFactory(username="otto")
    mail.outbox.clear()

    def second_reviews_and_releases(a) -> None:
        permissions.grant(permissions.REVIEW, second, a)
        permissions.grant(permissions.RELEASE, second, a)

    # When B's release, withholding A's published paragraph, is published
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks, {},
        {2: ("withhold", "(b)(1)")}, before_b=second_reviews_and_releases,
    )  # fmt: skip

    # Then each of A's reviewers finds the notice on the notifications page, naming A
    for user in (people["reviewer"], second):
        client.force_login(user)
        page = html.unescape(client.get(reverse("workflow:notifications")).content.decode())
        assert f"The release of {a.reference_id} (version 1) is withdrawn" in page
        assert "open for re-review (round" in page
        assert reverse("workflow:review", args=[a.pk]) in page
        assert "comes to you for approval" not in page  # a reviewer is told once, as such
        assert b.reference_id not in page  # B may be above their clearance
    # and the authority who released A, that its new release will come back for approval
    client.force_login(people["authority"])
    page = html.unescape(client.get(reverse("workflow:notifications")).content.decode())
    assert f"The release of {a.reference_id} (version 1) is withdrawn" in page
    assert "its new release comes to you for approval" in page
    assert reverse("cables:detail", args=[a.pk]) in page
    assert b.reference_id not in page
    # and by e-mail, once each; the outsider gets nothing about it
    withdrawn = [m for m in mail.outbox if m.subject == WITHDRAWN_SUBJECT]
    assert sorted(m.to[0] for m in withdrawn) == sorted(
        [people["reviewer"].email, "lena@example.org", people["authority"].email]
    )
    assert all(b.reference_id not in m.body for m in withdrawn)
    kinds = Notification.objects.filter(kind=Notification.Kind.WITHDRAWN)
    assert sorted(kinds.values_list("user__username", flat=True)) == ["amos", "lena", "rita"]
    assert not Notification.objects.filter(user=outsider, kind=Notification.Kind.WITHDRAWN)

    # When the task is delivered again, nobody is told twice
    release_recheck_task(b_release.pk)
    assert kinds.count() == 3
