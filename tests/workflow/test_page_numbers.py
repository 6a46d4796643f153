"""Page numbers nobody could reach by the pager: a 404, never a server error nor
another page than the one asked for (the queue, the audit trail, the reading room, the
API's lists)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from cables.markings import Level
from tests.api.helpers import published_release, token_client
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, ReviewState

pytestmark = pytest.mark.django_db

IMPOSSIBLE = ["9999999999999999999", "99999999999999999999999999", "abc", "-1", "0", "1.5", "٣"]


@pytest.fixture
def rita():
    """A reviewer with 3 cables waiting: one page."""
    user = UserFactory(username="rita")
    Clearance.objects.create(user=user, level=int(Level.TS))
    for _ in range(3):
        permissions.grant(
            permissions.REVIEW, user, CableFactory(review_state=ReviewState.DUE, level=int(Level.C))
        )
    return user


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.parametrize("number", [*IMPOSSIBLE, "2"])
def test_queue_page_beyond_the_last_or_not_a_number_is_404(rita, number):
    response = logged_in(rita).get(reverse("workflow:queue"), {"page": number})

    assert response.status_code == 404


@pytest.mark.parametrize("number", IMPOSSIBLE)
def test_queue_impossible_page_is_404_as_superuser_too(number):
    # the superuser's queue is read from the status table, not the queue index
    admin = UserFactory(username="ada", is_superuser=True, is_staff=True)

    response = logged_in(admin).get(reverse("workflow:queue"), {"page": number})

    assert response.status_code == 404


def test_queue_first_page_and_no_page_still_answer(rita):
    client = logged_in(rita)

    assert client.get(reverse("workflow:queue")).status_code == 200
    assert client.get(reverse("workflow:queue"), {"page": "1"}).status_code == 200
    assert client.get(reverse("workflow:queue"), {"page": ""}).status_code == 200


def test_an_empty_queue_has_its_first_page():
    nobody = UserFactory(username="newcomer")

    response = logged_in(nobody).get(reverse("workflow:queue"), {"page": "1"})

    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


@pytest.mark.parametrize("number", [*IMPOSSIBLE, "2"])
def test_audit_page_beyond_the_last_or_not_a_number_is_404(number):
    auditor = UserFactory(username="audrey")
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client = logged_in(auditor)

    assert client.get(reverse("workflow:audit")).status_code == 200
    assert client.get(reverse("workflow:audit"), {"page": number}).status_code == 404


@pytest.mark.parametrize("number", [*IMPOSSIBLE, "2"])
def test_reading_room_page_beyond_the_last_or_not_a_number_is_404(number):
    reader = UserFactory(username="reader")
    published_release(CableFactory(), UserFactory(username="amos"))
    client = logged_in(reader)

    assert client.get(reverse("releases:reading_room")).status_code == 200
    assert client.get(reverse("releases:reading_room"), {"page": number}).status_code == 404


@pytest.mark.parametrize("number", [*IMPOSSIBLE, "2"])
@pytest.mark.parametrize("path", ["/api/cables/", "/api/releases/", "/api/rules/"])
def test_api_list_page_beyond_the_last_or_not_a_number_is_404_json(rita, path, number):
    rita.user_permissions.add(Permission.objects.get(codename="view_redactionrule"))
    api = token_client(rita)
    api.raise_request_exception = False

    response = api.get(path, {"page": number})

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_audit_pager_keeps_the_filters():
    """Newer/Older must page through the filtered trail, not drop back to all of it."""
    from django.db import transaction

    from audit.trail import audit_record

    auditor = UserFactory(username="audrey")
    auditor.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    with transaction.atomic():
        for i in range(120):
            audit_record(actor=None, action="test.kept", after={"i": i})
        for i in range(30):
            audit_record(actor=None, action="test.other", after={"i": i})
    client = logged_in(auditor)
    first = client.get(reverse("workflow:audit"), {"action": "test.kept"})
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert 'href="?action=test.kept&amp;page=2">Older</a>' in html
    second = client.get(reverse("workflow:audit"), {"action": "test.kept", "page": 2})
    html = second.content.decode()
    assert "Page 2 of 2" in html
    assert "test.other" not in html.split("<tbody>")[1]
    assert 'href="?action=test.kept&amp;page=1">Newer</a>' in html
