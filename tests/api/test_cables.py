"""Cable lists and pages over the API: filters, pagination, tokens and query counts."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from cables.markings import Level
from cables.models import CableTag
from redaction.models import ProposedRedaction, RedactionRule
from tests.api.helpers import token_client
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, ReviewState

pytestmark = pytest.mark.django_db


def make_cables(n, **kwargs):
    cables = [CableFactory(**kwargs) for _ in range(n)]
    CableTag.objects.bulk_create(CableTag(cable=c, tag=t) for c in cables for t in c.tags)
    return cables


@pytest.fixture
def reviewer():
    user = UserFactory(username="rev")
    Clearance.objects.create(user=user, level=int(Level.TS))
    return user


def test_a_token_authenticates_and_a_wrong_one_does_not(reviewer):
    good = token_client(reviewer)
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    assert good.get("/api/cables/").status_code == 200
    assert bad.get("/api/cables/").status_code == 401


def test_a_logged_in_browser_session_also_works(client, reviewer):
    client.force_login(reviewer)

    assert client.get("/api/cables/").status_code == 200


def test_lists_are_paginated(reviewer):
    permissions.grant(permissions.VIEW, reviewer, make_cables(120))
    api = token_client(reviewer)

    first = api.get("/api/cables/").json()
    last = api.get("/api/cables/", {"page": 3}).json()
    big = api.get("/api/cables/", {"page_size": 1000}).json()

    assert first["count"] == 120 and len(first["results"]) == 50
    assert first["next"].endswith("page=2") and first["previous"] is None
    assert len(last["results"]) == 20 and last["next"] is None
    assert len(big["results"]) == 120  # at most 200 a page
    ids = [
        c["id"]
        for page in (1, 2, 3)
        for c in api.get(f"/api/cables/?page={page}").json()["results"]
    ]
    assert len(set(ids)) == 120


def test_a_page_past_the_end_is_404(reviewer):
    permissions.grant(permissions.VIEW, reviewer, make_cables(3))

    assert token_client(reviewer).get("/api/cables/", {"page": 9}).status_code == 404


def test_cables_filter_like_the_web_queue(reviewer):
    valderra = make_cables(2, origin="Embassy Valderra")
    secret = make_cables(1, level=int(Level.S))
    due = make_cables(1, review_state=ReviewState.DUE)
    econ = make_cables(1, tags=["ECON"])
    permissions.grant(permissions.REVIEW, reviewer, [*valderra, *secret, *due, *econ])
    api = token_client(reviewer)

    def ids(**query):
        response = api.get("/api/cables/", query)
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()["results"]}

    assert ids(post="embassy VALDERRA") == {c.pk for c in valderra}
    assert ids(level=int(Level.S)) == {secret[0].pk}
    assert ids(state="due") == {due[0].pk}
    assert ids(tag="econ") == {econ[0].pk}
    assert ids(tag="ECON", state="due") == set()


def test_a_bad_filter_is_a_400_naming_it(reviewer):
    response = token_client(reviewer).get("/api/cables/", {"level": 9, "state": "lost"})

    assert response.status_code == 400
    assert set(response.json()) == {"level", "state"}


def test_cables_are_listed_due_soonest_first(reviewer):
    later = make_cables(1, declass_date=date(2031, 1, 1))[0]
    sooner = make_cables(1, declass_date=date(2029, 1, 1))[0]
    undated = make_cables(1)[0]
    permissions.grant(permissions.VIEW, reviewer, [later, sooner, undated])

    results = token_client(reviewer).get("/api/cables/").json()["results"]

    assert [c["id"] for c in results] == [sooner.pk, later.pk, undated.pk]
    assert results[0]["declass_date"] == "2029-01-01"
    assert results[0]["state"] == "ingested"


def test_the_cable_page_shows_header_and_status(reviewer):
    cable = make_cables(1, declass_date=date(2016, 2, 10))[0]
    ParagraphFactory(cable=cable, ordinal=1)
    permissions.grant(permissions.VIEW, reviewer, cable)

    body = token_client(reviewer).get(f"/api/cables/{cable.pk}/").json()

    assert body["reference_id"] == cable.reference_id
    assert body["classification"] == "C"
    assert body["tags"] == ["PREL", "XX"]
    assert body["declass_date"] == "2016-02-10"
    assert body["paragraphs_visible"] == 1 and body["paragraphs_hidden"] == 0


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_the_cable_list_is_a_fixed_number_of_queries(reviewer):
    api = token_client(reviewer)
    permissions.grant(permissions.VIEW, reviewer, make_cables(3))
    api.get("/api/cables/")  # warm the process-wide permission id cache
    few = queries(api, "/api/cables/")
    permissions.grant(permissions.VIEW, reviewer, make_cables(40))

    many = queries(api, "/api/cables/")

    # token + user, the user's tokens (knox drops expired ones), count, page, the page's
    # subject levels and the user's clearance (which subjects the user may read)
    assert few == many == 6


def review_world(reviewer, paragraphs):
    cable = make_cables(1, level=int(Level.S), review_state=ReviewState.IN_REVIEW)[0]
    permissions.grant(permissions.REVIEW, reviewer, cable)
    other = UserFactory(username="other")
    for i in range(paragraphs):
        p = ParagraphFactory(cable=cable, ordinal=i + 1, text="Alpha beta gamma.")
        first = Decision.objects.create(
            cable=cable, paragraph=p, kind="release", decided_by=reviewer,
            decided_at=cable.imported_at,
        )  # fmt: skip
        Decision.objects.create(
            cable=cable, paragraph=p, kind="refer", referral_agency="DOD", supersedes=first,
            decided_by=other, decided_at=cable.imported_at,
        )  # fmt: skip
        ProposedRedaction.objects.create(
            cable=cable, paragraph=p, start=0, end=5, action="redact", labels=["(b)(6)"],
            rules=[[1, 1]], created_at=cable.imported_at,
        )  # fmt: skip
    return cable


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # token, the user's tokens, clearance, cable (permission subquery), count, page
        ("paragraphs", 6),
        ("proposals", 6),
        # token, the user's tokens, cable, clearance, visible paragraph ids, current decisions
        ("decisions", 6),
    ],
)
def test_cable_sublists_are_a_fixed_number_of_queries(reviewer, path, expected):
    api = token_client(reviewer)
    small, big = review_world(reviewer, 2), review_world(reviewer, 30)
    api.get(f"/api/cables/{small.pk}/{path}/")  # warm the permission id cache

    counts = [queries(api, f"/api/cables/{c.pk}/{path}/") for c in (small, big)]

    assert counts == [expected, expected]


def test_the_current_decisions_are_the_latest_per_paragraph(reviewer):
    cable = review_world(reviewer, 3)

    results = token_client(reviewer).get(f"/api/cables/{cable.pk}/decisions/").json()["results"]

    assert [(d["kind"], d["agency"], d["decided_by"]) for d in results] == [
        ("refer", "DOD", "other")
    ] * 3


def test_a_paragraph_history_is_a_fixed_number_of_queries(reviewer):
    api = token_client(reviewer)
    cable = review_world(reviewer, 2)
    paragraph = cable.paragraphs.first()
    api.get(f"/api/paragraphs/{paragraph.pk}/decisions/")

    # token, the user's tokens, clearance, paragraph (permission subquery), count, page
    # with decider
    assert queries(api, f"/api/paragraphs/{paragraph.pk}/decisions/") == 6
    body = api.get(f"/api/paragraphs/{paragraph.pk}/decisions/").json()
    assert [d["kind"] for d in body["results"]] == ["release", "refer"]
    assert body["results"][1]["supersedes"] == body["results"][0]["id"]


def test_the_rule_list_is_a_fixed_number_of_queries(reviewer):
    from django.contrib.auth.models import Group

    from redaction.rule_services import rule_save

    reviewer.groups.add(Group.objects.get(name="rule editor"))
    api = token_client(reviewer)
    for i in range(3):
        rule_save(
            rule=RedactionRule(name=f"r{i}", kind="terms", terms="x", label="(b)(6)"), user=reviewer
        )
    api.get("/api/rules/")
    few = queries(api, "/api/rules/")
    for i in range(30):
        rule_save(
            rule=RedactionRule(name=f"s{i}", kind="terms", terms="y", label="(b)(6)"), user=reviewer
        )

    # token, the user's tokens, the user's model permissions, count, page with editors
    assert few == queries(api, "/api/rules/") == 5


def test_the_signature_is_sent_only_to_a_reader_of_every_paragraph(reviewer, client):
    """The signer's name is read from the end of the text, at times from the last
    paragraph itself: a reader not cleared for every paragraph gets none, over the API as
    on the cable's admin page."""
    cable = CableFactory(level=int(Level.S), signature="KARNER")
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="The talks resumed.")
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text="KARNER will resign.")
    low = UserFactory(username="low")
    Clearance.objects.create(user=low, level=int(Level.C))
    permissions.grant(permissions.VIEW, reviewer, cable)
    permissions.grant(permissions.VIEW, low, cable)

    full = token_client(reviewer).get(f"/api/cables/{cable.pk}/").json()
    partial = token_client(low).get(f"/api/cables/{cable.pk}/").json()

    assert full["signature"] == "KARNER"
    assert partial["signature"] is None and partial["paragraphs_hidden"] == 1
