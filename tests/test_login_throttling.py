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


# The counts are shared by every process that answers (gunicorn's workers, several web
# pods): kept in Redis, or without Redis in a folder on the one machine (settings.CACHES),
# never in one process's memory, where 4 workers would give a client 4 times the attempts.

_CHILD_LOGINS = """
import base64, json, sys
import django
django.setup()
from django.test.utils import setup_test_environment
from rest_framework.test import APIClient
setup_test_environment()  # what pytest-django does: the test client's host is allowed
statuses = []
for username, password in json.loads(sys.argv[2]):
    client = APIClient(REMOTE_ADDR=sys.argv[1])
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION="Basic " + auth)
    statuses.append(client.post("/api/auth/login/").status_code)
print(json.dumps(statuses))
"""


def _logins_in_another_process(address: str, logins: list[tuple[str, str]]) -> list[int]:
    """The API password logins ``(username, password)`` from ``address``, made by a
    separate Python process on the same settings, database and cache, as a second
    gunicorn worker would answer them; their statuses."""
    import json
    import subprocess
    import sys

    from tests.integration.services import REPO, child_env

    proc = subprocess.run(
        [sys.executable, "-c", _CHILD_LOGINS, address, json.dumps(logins)],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_counts_live_where_every_process_sees_them():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in (
        "config.cache.PrefixedRedisCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    )
    if settings.CELERY_BROKER_URL.startswith("redis"):
        assert backend == "config.cache.PrefixedRedisCache"
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"


@pytest.mark.django_db(transaction=True)
def test_login_throttle_counts_are_shared_across_processes():
    # A username of its own for each attempt: no one of them reaches axes' lockout.
    address = "203.0.113.77"
    here = [api_login(f"user{i}", f"guess-{i}", address=address).status_code for i in range(6)]

    there = _logins_in_another_process(address, [(f"other{i}", "guess") for i in range(6)])

    # 10 a minute from one address, whichever process answers: the other process
    # sees this one's 6 and refuses its 5th; this one then sees the other's.
    assert here == [401] * 6
    assert there == [401] * 4 + [429] * 2
    assert api_login("user-last", "guess", address=address).status_code == 429
    # Another address is counted apart, in both processes.
    assert _logins_in_another_process("198.51.100.23", [("someone", "guess")]) == [401]


@pytest.mark.django_db(transaction=True)
def test_failed_logins_lock_out_across_processes(alice, monkeypatch):
    # The address throttle out of the way here (the other process keeps its own rate,
    # and makes only LIMIT - 5 attempts): django-axes' count alone.
    monkeypatch.setattr(
        LoginRateThrottle, "THROTTLE_RATES", {**LoginRateThrottle.THROTTLE_RATES, "login": None}
    )
    address = "203.0.113.78"
    for i in range(5):
        assert api_login("alice", f"guess-{i}", address=address).status_code == 401

    there = _logins_in_another_process(
        address, [("alice", f"guess-there-{i}") for i in range(LIMIT - 5)] + [("alice", PASSWORD)]
    )

    # The other process's last failure is alice's LIMITth from this address: locked
    # there (the right password included) and here.
    assert there == [401] * (LIMIT - 6) + [429, 429]
    assert api_login("alice", PASSWORD, address=address).status_code == 429
