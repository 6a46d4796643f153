"""The layout's links and the Jinja2 ``url()`` are worked out once a process
(config/layout.py, config/jinja2.py): they must still be the addresses ``reverse`` and
``static`` give, under whatever prefix the site is served, for each request."""

from __future__ import annotations

import re

import pytest
from django.templatetags.static import static
from django.test import override_settings
from django.urls import clear_script_prefix, reverse, set_script_prefix

from cables.markings import Level
from config.jinja2 import url
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, ReviewState

NAV = ("workflow:queue", "workflow:forecast", "workflow:batches", "releases:reading_room",
       "workflow:notifications", "logout")  # fmt: skip


@pytest.fixture
def reviewer():
    user = UserFactory(username="nadia", is_staff=True)
    Clearance.objects.create(user=user, level=int(Level.S))
    cable = CableFactory(level=int(Level.C), review_state=ReviewState.DUE)
    permissions.grant(permissions.REVIEW, user, cable)
    return user


def _hrefs(body: str) -> set[str]:
    return set(re.findall(r'(?:href|action|src)="([^"]+)"', body))


@pytest.mark.django_db
def test_the_layout_links_what_reverse_and_static_give(client, reviewer):
    client.force_login(reviewer)

    body = client.get(reverse("workflow:queue")).content.decode()

    links = _hrefs(body)
    for name in (*NAV, "home", "admin:index"):
        assert reverse(name) in links, name
    assert static("css/declass.css") in links
    assert static("js/htmx.min.js") in links


@pytest.mark.django_db
def test_a_site_served_under_a_prefix_links_under_it_and_the_next_request_does_not(
    client, reviewer
):
    client.force_login(reviewer)

    # What gunicorn's WSGI handler does for a request under SCRIPT_NAME=/declass.
    set_script_prefix("/declass/")
    try:
        prefixed = client.get("/workflow/queue/").content.decode()
    finally:
        clear_script_prefix()
    plain = client.get("/workflow/queue/").content.decode()

    for name in NAV:
        assert "/declass" + reverse(name) in _hrefs(prefixed), name
        assert reverse(name) in _hrefs(plain), name
    # The queue's own Jinja2 links (url()) follow the prefix too, and then leave it.
    assert "/declass" + reverse("workflow:batches") in _hrefs(prefixed)
    assert not any(h.startswith("/declass") for h in _hrefs(plain))


def test_another_url_configuration_is_not_answered_from_the_first():
    assert url("workflow:queue") == reverse("workflow:queue")  # remembered

    with override_settings(ROOT_URLCONF="tests.urls_moved"):
        assert url("workflow:queue") == "/moved/queue/"

    assert url("workflow:queue") == reverse("workflow:queue")


def test_an_argument_that_cannot_key_the_cache_is_reversed_all_the_same():
    class Unhashable(int):
        __hash__ = None  # type: ignore[assignment]

    assert url("workflow:review", Unhashable(7)) == reverse("workflow:review", args=[7])
