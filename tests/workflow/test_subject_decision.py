"""The subject line as a portion reviewers decide (``workflow.subject``), used as a person
would: the review page's Release / Withhold subject forms (plain posts and htmx), the
"Mark review finished" move, the API, and the database as the application role."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from releases.services import ReleaseError, release_request
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, ReviewState, SubjectDecision
from workflow.states import TransitionError

pytestmark = pytest.mark.django_db

CANARY = "SUBJQUAILFINCH"


def person(name: str, level: Level, *grants: str, cable=None):
    user = UserFactory(username=name)
    Clearance.objects.create(user=user, level=int(level))
    for codename in grants:
        permissions.grant(codename, user, cable)
    return user


@pytest.fixture
def cable():
    """A SECRET cable whose subject is marked (S), with two CONFIDENTIAL paragraphs."""
    cable = CableFactory(
        level=int(Level.S), subject=f"{CANARY} HARBOR TALKS", subject_level=int(Level.S)
    )
    ParagraphFactory(cable=cable, ordinal=1, number="1", level=int(Level.C), text="Talks open.")
    ParagraphFactory(cable=cable, ordinal=2, number="2", level=int(Level.C), text="Thanks.")
    return cable


def decide_paragraphs(client, cable) -> None:
    for p in cable.paragraphs.order_by("ordinal"):
        response = client.post(reverse("workflow:decide", args=[p.pk]), {"kind": "release"})
        assert response.status_code == 302


def finish(client, cable):
    client.post(
        reverse("workflow:transition", args=[cable.pk]), {"target": "reviewed", "next": "/"}
    )
    cable.status.refresh_from_db()
    return cable.status.review_state


def review_page(client, cable) -> str:
    response = client.get(reverse("workflow:review", args=[cable.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_reviewer_cleared_for_the_subject_decides_it_on_the_review_page(client, cable):
    sam = person("sam", Level.S, permissions.REVIEW, cable=cable)
    client.force_login(sam)

    page = review_page(client, cable)
    assert 'id="subject-portion"' in page
    assert CANARY in page and "Not decided" in page
    assert "Withhold subject" in page and "Release subject" in page

    # Over htmx, the answer is the portion with its decision.
    response = client.post(
        reverse("workflow:decide_subject", args=[cable.pk]),
        {"kind": "withhold", "label": "(b)(1) 1.4(d)", "based_on": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert 'id="subject-portion"' in fragment
    assert "Withhold in full (b)(1) 1.4(d) · sam" in fragment
    first = SubjectDecision.objects.get(cable=cable)
    assert (first.kind, first.label, first.decided_by) == ("withhold", "(b)(1) 1.4(d)", sam)
    assert first.subject_level == int(Level.S)
    cable.status.refresh_from_db()
    assert cable.status.review_state == ReviewState.IN_REVIEW  # the first decision opens it

    # A change is a new row superseding the first, audited without the subject's text.
    client.post(
        reverse("workflow:decide_subject", args=[cable.pk]),
        {"kind": "release", "based_on": str(first.pk)},
    )
    second = SubjectDecision.objects.order_by("-id").first()
    assert (second.kind, second.supersedes_id) == ("release", first.pk)
    events = AuditEvent.objects.filter(action="subject_decision.recorded", cable_id=cable.pk)
    assert [e.after["kind"] for e in events.order_by("id")] == ["withhold", "release"]
    assert events.order_by("id").last().before["id"] == first.pk
    assert all(CANARY not in str(e.after) + str(e.before) for e in events)

    # A post from a stale page (based on the first) is refused, nothing recorded.
    stale = client.post(
        reverse("workflow:decide_subject", args=[cable.pk]),
        {"kind": "withhold", "label": "(b)(1)", "based_on": str(first.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert stale.status_code == 409
    assert "while you were looking" in stale.content.decode()
    assert SubjectDecision.objects.count() == 2


def test_a_withholding_needs_a_valid_exemption(client, cable):
    client.force_login(person("sam", Level.S, permissions.REVIEW, cable=cable))
    response = client.post(
        reverse("workflow:decide_subject", args=[cable.pk]),
        {"kind": "withhold", "label": "because", "based_on": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert not SubjectDecision.objects.exists()


def test_a_c_cleared_reviewer_is_not_offered_the_subject_and_cannot_decide_it(client, cable):
    cora = person("cora", Level.C, permissions.REVIEW, cable=cable)
    client.force_login(cora)

    page = review_page(client, cable)
    assert CANARY not in page
    assert "Release subject" not in page and "Withhold subject" not in page
    assert "Above your clearance" in page

    web = client.post(
        reverse("workflow:decide_subject", args=[cable.pk]), {"kind": "release", "based_on": ""}
    )
    assert web.status_code == 404
    api = client.post(
        f"/api/cables/{cable.pk}/subject/decisions/",
        {"kind": "release", "based_on": None},
        content_type="application/json",
    )
    assert api.status_code == 404
    assert client.get(f"/api/cables/{cable.pk}/subject/decisions/").status_code == 404
    assert not SubjectDecision.objects.exists()


def test_a_user_who_does_not_review_the_cable_cannot_decide_its_subject(client, cable):
    client.force_login(person("vera", Level.TS, permissions.VIEW, cable=cable))
    response = client.post(
        reverse("workflow:decide_subject", args=[cable.pk]), {"kind": "release", "based_on": ""}
    )
    assert response.status_code == 404
    assert not SubjectDecision.objects.exists()


def test_the_review_cannot_be_finished_until_the_subject_is_decided(client, cable):
    client.force_login(person("sam", Level.S, permissions.REVIEW, cable=cable))
    decide_paragraphs(client, cable)

    assert finish(client, cable) == ReviewState.IN_REVIEW
    assert "the subject has no decision yet" in review_page(client, cable)

    client.post(
        reverse("workflow:decide_subject", args=[cable.pk]), {"kind": "release", "based_on": ""}
    )
    assert finish(client, cable) == ReviewState.REVIEWED
    # Once reviewed, decisions are closed, the subject's too.
    late = client.post(
        reverse("workflow:decide_subject", args=[cable.pk]),
        {"kind": "withhold", "label": "(b)(1)", "based_on": str(SubjectDecision.objects.get().pk)},
        HTTP_HX_REQUEST="true",
    )
    assert late.status_code == 422
    assert "decisions are closed" in late.content.decode()


def test_an_unclassified_subject_needs_no_decision(client):
    cable = CableFactory(level=int(Level.C), subject="(U) TRADE FAIR", subject_level=int(Level.U))
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="A fair.")
    client.force_login(person("sam", Level.S, permissions.REVIEW, cable=cable))

    assert 'id="subject-portion"' not in review_page(client, cable)
    decide_paragraphs(client, cable)
    assert finish(client, cable) == ReviewState.REVIEWED
    refused = client.post(
        f"/api/cables/{cable.pk}/subject/decisions/",
        {"kind": "release", "based_on": None},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "needs no decision" in refused.json()["detail"]


def test_the_api_records_and_lists_the_subject_decisions(client, cable):
    sam = person("sam", Level.S, permissions.REVIEW, cable=cable)
    client.force_login(sam)
    url = f"/api/cables/{cable.pk}/subject/decisions/"

    created = client.post(
        url, {"kind": "withhold", "label": "(b)(3)", "based_on": None}, "application/json"
    )
    assert created.status_code == 201, created.content
    first = created.json()
    assert (first["kind"], first["label"], first["decided_by"]) == ("withhold", "(b)(3)", "sam")
    conflict = client.post(url, {"kind": "release", "based_on": None}, "application/json")
    assert conflict.status_code == 409
    client.post(url, {"kind": "release", "based_on": first["id"]}, "application/json")

    listed = client.get(url).json()["results"]
    assert [d["kind"] for d in listed] == ["withhold", "release"]
    assert listed[1]["supersedes"] == first["id"]
    # A release authority cleared for the subject reads the chain; one not cleared does not.
    client.force_login(person("amos", Level.TS, permissions.RELEASE, cable=cable))
    assert client.get(url).json()["count"] == 2
    client.force_login(person("cal", Level.C, permissions.RELEASE, cable=cable))
    assert client.get(url).status_code == 404


def test_who_decided_the_subject_may_not_approve_the_release(client, cable):
    """The two-person rule counts the subject's decision: Sam decides only the subject,
    Rita the paragraphs (and finishes); Sam, also a release authority, may not approve."""
    sam = person("sam", Level.TS, permissions.REVIEW, permissions.RELEASE, cable=cable)
    rita = person("rita", Level.TS, permissions.REVIEW, cable=cable)
    client.force_login(sam)
    client.post(
        reverse("workflow:decide_subject", args=[cable.pk]), {"kind": "release", "based_on": ""}
    )
    client.force_login(rita)
    decide_paragraphs(client, cable)
    assert finish(client, cable) == ReviewState.REVIEWED
    assert not Decision.objects.filter(decided_by=sam).exists()

    with pytest.raises((ReleaseError, TransitionError), match="you decided this cable's subject"):
        release_request(user=sam, cable=cable)
    cable.status.refresh_from_db()
    assert cable.status.review_state == ReviewState.REVIEWED


def test_the_database_refuses_to_change_or_remove_subject_decisions(cable):
    """As the application role (the tests' connection): INSERT and SELECT only."""
    sam = person("sam", Level.S, permissions.REVIEW, cable=cable)
    from workflow.subject import subject_decision_record

    decision = subject_decision_record(
        user=sam, cable=cable, kind="withhold", label="(b)(1)", based_on=None
    )
    for sql in (
        "UPDATE workflow_subjectdecision SET kind = 'release', label = '' WHERE id = %s",
        "DELETE FROM workflow_subjectdecision WHERE id = %s",
        "TRUNCATE workflow_subjectdecision CASCADE",
    ):
        with pytest.raises(DatabaseError, match="permission denied"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [decision.pk] if "%s" in sql else None)
    assert SubjectDecision.objects.get().kind == "withhold"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'workflow_subjectdecision'::regclass "
            "AND NOT tgisinternal ORDER BY tgname"
        )
        triggers = [row[0] for row in cursor.fetchall()]
    assert triggers == [
        "workflow_subjectdecision_no_truncate",
        "workflow_subjectdecision_no_update",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_triggers_refuse_even_a_role_that_holds_the_privileges(cable):
    """Defence in depth: the superuser (triggers on) is refused too."""
    from tests.db_roles import superuser_connection
    from workflow.subject import subject_decision_record

    sam = person("sam", Level.S, permissions.REVIEW, cable=cable)
    decision = subject_decision_record(user=sam, cable=cable, kind="release", based_on=None)
    with superuser_connection() as conn:
        for sql, params, message in (
            ("UPDATE workflow_subjectdecision SET kind = 'withhold' WHERE id = %s", [decision.pk],
             "append-only"),
            ("DELETE FROM workflow_subjectdecision WHERE id = %s", [decision.pk], "append-only"),
            ("TRUNCATE workflow_subjectdecision CASCADE", None, "never truncated"),
        ):  # fmt: skip
            with pytest.raises(Exception, match=message):
                conn.execute(sql, params)
    assert SubjectDecision.objects.get(pk=decision.pk).kind == "release"
