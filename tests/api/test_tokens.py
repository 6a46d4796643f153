"""API tokens (knox): issued with a password, a session or the management command,
stored only as digests, refused once expired, revoked by logging out."""

from __future__ import annotations

import base64
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from cables.markings import Level
from tests.factories import UserFactory
from workflow.models import Clearance

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"  # tests.factories.UserFactory's
TTL = timedelta(hours=720)  # DECLASS_API_TOKEN_TTL_HOURS' default


@pytest.fixture
def alice():
    user = UserFactory(username="alice")
    Clearance.objects.create(user=user, level=int(Level.TS))
    return user


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def login(username="alice", password=PASSWORD) -> str:
    """A token, asked for as a script would: POST /api/auth/login/ with the password."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic(username, password))
    response = client.post("/api/auth/login/")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_token_from_the_login_authenticates(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic("alice", PASSWORD))

    before = timezone.now()
    response = client.post("/api/auth/login/")

    assert response.status_code == 200, response.content
    body = response.json()
    expiry = timezone.datetime.fromisoformat(body["expiry"])
    assert before + TTL <= expiry <= timezone.now() + TTL
    assert with_token(body["token"]).get("/api/cables/").status_code == 200
    assert APIClient().get("/api/cables/").status_code == 401


def test_a_logged_in_session_may_ask_for_a_token(alice):
    browser = APIClient(enforce_csrf_checks=True)
    assert browser.login(username="alice", password=PASSWORD, request=RequestFactory().post("/"))
    browser.get("/login/")  # sets the CSRF cookie, as the page would
    csrf = browser.cookies["csrftoken"].value

    assert browser.post("/api/auth/login/").status_code == 403  # no CSRF token
    response = browser.post("/api/auth/login/", HTTP_X_CSRFTOKEN=csrf)

    assert response.status_code == 200, response.content
    assert with_token(response.json()["token"]).get("/api/cables/").status_code == 200


def test_a_wrong_password_gets_no_token(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic("alice", "not-her-password"))

    assert client.post("/api/auth/login/").status_code == 401
    assert not AuthToken.objects.exists()


def test_a_token_cannot_issue_itself_a_successor(alice):
    token = login()

    response = with_token(token).post("/api/auth/login/")

    assert response.status_code == 401
    assert AuthToken.objects.count() == 1


def test_the_database_holds_no_token_in_plain_text(alice):
    tokens = [login(), login()]

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t::text FROM {AuthToken._meta.db_table} t")
        rows = [row for (row,) in cursor.fetchall()]

    assert len(rows) == 2
    for token in tokens:
        assert len(token) == 64
        assert not [row for row in rows if token in row or token.upper() in row.upper()]


def test_an_expired_token_is_refused(alice):
    token = login()
    issued = timezone.now()

    with mock.patch("django.utils.timezone.now", return_value=issued + TTL - timedelta(minutes=1)):
        assert with_token(token).get("/api/cables/").status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=issued + TTL + timedelta(minutes=1)):
        response = with_token(token).get("/api/cables/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not AuthToken.objects.exists()  # and knox dropped it
    assert with_token(token).get("/api/cables/").status_code == 401


def test_logout_revokes_the_token_it_is_sent_with(alice):
    token, other = login(), login()

    assert with_token(token).post("/api/auth/logout/").status_code == 204

    assert with_token(token).get("/api/cables/").status_code == 401
    assert with_token(token).post("/api/auth/logout/").status_code == 401
    assert with_token(other).get("/api/cables/").status_code == 200


def test_logout_all_revokes_every_token_of_the_user_and_no_one_elses(alice):
    UserFactory(username="bob")
    tokens, bobs = [login(), login()], login("bob")

    assert with_token(tokens[0]).post("/api/auth/logoutall/").status_code == 204

    for token in tokens:
        assert with_token(token).get("/api/cables/").status_code == 401
    assert with_token(bobs).get("/api/cables/").status_code == 200


def test_a_lost_token_is_revoked_from_a_logged_in_session(alice):
    lost = login()
    browser = APIClient()
    assert browser.login(username="alice", password=PASSWORD, request=RequestFactory().post("/"))

    assert browser.post("/api/auth/logoutall/").status_code == 204

    assert with_token(lost).get("/api/cables/").status_code == 401


def test_logging_out_needs_a_token(alice):
    assert APIClient().post("/api/auth/logout/").status_code == 401
    assert APIClient().post("/api/auth/logoutall/").status_code == 401


def test_the_management_command_prints_a_working_token(alice):
    out, err = StringIO(), StringIO()

    call_command("api_token", "alice", stdout=out, stderr=err)

    token = out.getvalue().strip()
    assert len(token) == 64 and "\n" not in token
    assert with_token(token).get("/api/cables/").status_code == 200
    assert "alice" in err.getvalue() and token not in err.getvalue()
    (row,) = AuthToken.objects.filter(user=alice)
    assert timezone.now() + TTL - timedelta(minutes=1) <= row.expiry <= timezone.now() + TTL


def test_the_management_command_takes_a_lifetime(alice):
    out = StringIO()

    call_command("api_token", "alice", "--ttl-hours", "2", stdout=out, stderr=StringIO())

    token = out.getvalue().strip()
    (row,) = AuthToken.objects.filter(user=alice)
    assert timezone.now() + timedelta(hours=2) - timedelta(minutes=1) <= row.expiry
    assert row.expiry <= timezone.now() + timedelta(hours=2)
    later = timezone.now() + timedelta(hours=2, minutes=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert with_token(token).get("/api/cables/").status_code == 401


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody"], "No user 'nobody'"),
        (["alice", "--ttl-hours", "0"], "at least 1 hour"),
        (["alice", "--ttl-hours", "soon"], "whole number of hours"),
    ],
)
def test_the_management_command_refuses(alice, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("api_token", *args, stdout=StringIO(), stderr=StringIO())

    assert not AuthToken.objects.exists()


def test_an_inactive_user_gets_no_token(alice):
    alice.is_active = False
    alice.save()

    with pytest.raises(CommandError, match="inactive"):
        call_command("api_token", "alice", stdout=StringIO(), stderr=StringIO())


def test_a_token_issued_in_the_admin_must_expire(alice):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    browser = APIClient()
    browser.force_login(admin)
    url = "/admin/knox/authtoken/add/"

    refused = browser.post(url, {"user": alice.pk, "expiry_0": "", "expiry_1": ""})
    assert refused.status_code == 200 and not AuthToken.objects.exists()
    assert "expiry" in refused.context["adminform"].form.errors
    assert browser.get(url).status_code == 200  # the form offers one token lifetime

    later = timezone.localtime() + timedelta(days=7)
    issued = browser.post(
        url,
        {"user": alice.pk, "expiry_0": later.date().isoformat(), "expiry_1": "12:00:00"},
        follow=True,
    )
    assert issued.status_code == 200
    (token,) = [
        str(m).removeprefix("TOKEN ")
        for m in issued.context["messages"]
        if str(m).startswith("TOKEN ")
    ]
    assert with_token(token).get("/api/cables/").status_code == 200
