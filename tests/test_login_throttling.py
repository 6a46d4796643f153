"""Guessing passwords: after DECLASS_LOGIN_FAILURE_LIMIT (10) failed logins for one
username from one address, that pair is refused for DECLASS_LOGIN_COOLOFF_MINUTES, the
right password included (django-axes); the API's password login is also throttled by
address, every attempt counted before the password is checked (DRF)."""

from __future__ import annotations

import base64

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from rest_framework.test import APIClient
from rest_framework.throttling import UserRateThrottle

from api.throttling import LoginRateThrottle
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"  # tests.factories.UserFactory's
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def alice():
    return UserFactory(username="alice")


def form_login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def api_login(username: str, password: str, address: str = "127.0.0.1"):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=basic(username, password))
    return client.post("/api/auth/login/")


def test_limits_are_the_documented_defaults():
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_forty_wrong_passwords_lock_the_login_page_right_password_included(alice):
    guesser = Client()

    answers = [form_login(guesser, "alice", f"guess-{i}").status_code for i in range(40)]
    right = form_login(guesser, "alice", PASSWORD)

    assert answers[: LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, with its error
    assert set(answers[LIMIT:]) == {429}
    assert right.status_code == 429
    assert not logged_in(guesser)


def test_the_lockout_is_for_that_user_from_that_address_only(alice):
    bob = UserFactory(username="bob")
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(LIMIT):
        form_login(guesser, "alice", f"guess-{i}")

    from_elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert form_login(from_elsewhere, "alice", PASSWORD).status_code == 302
    assert logged_in(from_elsewhere)
    other_user = Client(REMOTE_ADDR="203.0.113.9")
    assert form_login(other_user, bob.username, PASSWORD).status_code == 302


def test_a_success_before_the_limit_clears_the_count(alice):
    client = Client()
    for i in range(LIMIT - 1):
        form_login(client, "alice", f"typo-{i}")
    assert form_login(client, "alice", PASSWORD).status_code == 302
    client.logout()

    for i in range(LIMIT - 1):
        assert form_login(client, "alice", f"typo-again-{i}").status_code == 200
    assert form_login(client, "alice", PASSWORD).status_code == 302


def test_the_admin_login_is_locked_too(alice):
    alice.is_staff = True
    alice.save()
    guesser = Client()
    for i in range(LIMIT):
        guesser.post("/admin/login/", {"username": "alice", "password": f"guess-{i}"})

    response = guesser.post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 429
    assert not logged_in(guesser)


def test_the_api_password_login_is_throttled_by_address_json_429(alice):
    # Many usernames from one address (no one of them reaches its own lockout).
    answers = [api_login(f"user{i}", f"guess-{i}") for i in range(40)]

    statuses = [r.status_code for r in answers]
    assert statuses[:10] == [401] * 10  # rate "login": 10 a minute
    assert set(statuses[10:]) == {429}
    assert answers[-1]["Content-Type"] == "application/json"
    assert "throttled" in answers[-1].json()["detail"]
    assert int(answers[-1]["Retry-After"]) > 0
    assert api_login("alice", PASSWORD).status_code == 429


def test_the_api_password_login_counts_towards_the_lockout(alice, monkeypatch):
    # With the address throttle out of the way, django-axes still refuses the right
    # password after LIMIT failures for alice from this address: JSON, 429.
    monkeypatch.setattr(
        LoginRateThrottle, "THROTTLE_RATES", {**LoginRateThrottle.THROTTLE_RATES, "login": None}
    )
    for i in range(LIMIT - 1):
        assert api_login("alice", f"guess-{i}").status_code == 401
    assert api_login("alice", f"guess-{LIMIT}").status_code == 429  # the one that locks

    response = api_login("alice", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed logins" in response.json()["detail"]
    assert int(response["Retry-After"]) == 15 * 60
    assert api_login("alice", PASSWORD, address="198.51.100.7").status_code == 200


def test_api_requests_are_throttled_per_user_json_429(alice, monkeypatch):
    monkeypatch.setattr(
        UserRateThrottle, "THROTTLE_RATES", {**UserRateThrottle.THROTTLE_RATES, "user": "5/minute"}
    )
    client = APIClient()
    client.force_authenticate(alice)

    statuses = [client.get("/api/cables/").status_code for _ in range(7)]

    assert statuses == [200] * 5 + [429] * 2
    assert client.get("/api/cables/").json()["detail"].startswith("Request was throttled")


def test_a_forged_forwarded_for_does_not_escape_the_throttle(alice):
    # No proxy in front in tests (DECLASS_PROXY_COUNT 0): X-Forwarded-For is ignored.
    statuses = []
    for i in range(12):
        client = APIClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
        client.credentials(HTTP_AUTHORIZATION=basic("alice", f"guess-{i}"))
        statuses.append(client.post("/api/auth/login/").status_code)

    assert statuses[-1] == 429


def test_the_test_clients_password_login_needs_a_request(alice):
    # django-axes' backend needs the request; the test client passes it when asked to.
    client = Client()
    assert client.login(username="alice", password=PASSWORD, request=RequestFactory().post("/"))
