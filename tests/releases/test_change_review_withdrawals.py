"""Review of the release re-check (releases/recheck.py) and the layout's remembered
addresses (config/layout.py): each defect found, shown as the person who meets it.

Each test failed on the code as it was reviewed (a strict xfail) and passes since its
fix.
"""

from __future__ import annotations

from typing import Any

import kombu.exceptions
import pytest
from django.test import override_settings
from django.urls import reverse

from cables.similarity import store
from config import urls as site_urls
from releases import services
from releases.models import Release
from releases.tasks import release_generate_task
from tests.api.helpers import token_client
from tests.factories import UserFactory
from tests.releases.conftest import decide
from tests.releases.test_release_recheck import (
    SHARED,
    approve_on_page,
    cable_a,
    cable_b,
    publish_both,
    reading_room,
)
from tests.rereview import reopen_for_rereview
from workflow.models import ReviewRound
from workflow.review import current_decisions, decision_record

# A site served without Django's admin (``ROOT_URLCONF`` pointing here): every other
# address as config/urls.py has it.
urlpatterns = [p for p in site_urls.urlpatterns if getattr(p, "app_name", None) != "admin"]


@pytest.mark.django_db
def test_a_new_version_is_not_served_while_the_other_cables_current_release_withholds_its_text(
    client, people, django_capture_on_commit_callbacks
):
    reviewer, authority, reader = people["reviewer"], people["authority"], people["reader"]
    # Given A's release was withdrawn because B's release withholds A's first paragraph
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks, {}, {2: ("withhold", "(b)(1)")}
    )
    assert reading_room(client, reader) == [b_release.pk]
    assert SHARED not in b_release.search_text
    # and B is reviewed again for a date, its reviewer drafting "release" for that
    # paragraph (nothing of it approved or published: B's release still withholds it)
    reopen_for_rereview(b)
    withheld = b.paragraphs.get(ordinal=2)
    decision_record(
        user=reviewer, paragraph=withheld, kind="release",
        based_on=current_decisions(b)[withheld.pk].pk,
    )  # fmt: skip

    # When A's round releases the paragraph again and its authority approves version 2
    decide(a, reviewer, {})
    second = approve_on_page(client, authority, a, django_capture_on_commit_callbacks)
    assert (second.version, second.status) == (2, Release.Status.PUBLISHED)
    assert SHARED.split(" before")[0] in second.search_text
    assert Release.objects.get(pk=b_release.pk).search_text == b_release.search_text

    # Then the reader is not served text that B's current release withholds
    assert second.pk not in reading_room(client, reader)
    assert token_client(reader).get(f"/api/releases/{second.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_re_check_the_broker_refused_is_run_by_the_publication_task_s_retry(
    client, people, django_capture_on_commit_callbacks, monkeypatch
):
    reader = people["reader"]
    a, b = cable_a(), cable_b()
    store.index_cables([a.pk, b.pk])
    decide(a, people["reviewer"], {})
    a_release = approve_on_page(client, people["authority"], a, django_capture_on_commit_callbacks)
    decide(b, people["reviewer"], {2: ("withhold", "(b)(1)")})
    pending = approve_on_page(
        client, people["authority"], b, django_capture_on_commit_callbacks, worker=False
    )

    # When the worker publishes B, but the broker is out of reach as the re-check is queued
    queue = services.queue_task

    def broker_down(name: str, *args: Any) -> None:
        if name == "releases.release_recheck":
            raise kombu.exceptions.OperationalError("connection refused")
        queue(name, *args)

    monkeypatch.setattr(services, "queue_task", broker_down)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for callback in pending.queued:
                callback()
    except kombu.exceptions.OperationalError:
        pass  # the task fails with it, and is retried (config/task_policy.py)
    monkeypatch.setattr(services, "queue_task", queue)
    pending.refresh_from_db()
    assert pending.status == Release.Status.PUBLISHED
    assert not ReviewRound.objects.filter(cable=a).exists()

    # and the task is retried once the broker is back
    with django_capture_on_commit_callbacks(execute=True):
        release_generate_task(pending.pk)

    # Then A's release, whose text B's release withholds, is withdrawn all the same
    assert reading_room(client, reader) == [pending.pk]
    assert a_release.pk not in reading_room(client, reader)


@pytest.mark.django_db
def test_a_site_served_without_the_admin_still_shows_its_pages_to_a_reader(client):
    reader = UserFactory(username="rhea")
    client.force_login(reader)

    with override_settings(ROOT_URLCONF=__name__):
        page = client.get(reverse("releases:reading_room"))

    assert page.status_code == 200
    assert reverse("releases:reading_room") in page.content.decode()
