"""Assignments through the API, as each persona would use it with their own token:
a supervisor previews and assigns by query and by ids, and revokes; the reviewer then
reads the cables and sees the batch with its progress; a reviewer cannot assign, nobody
assigns to themselves, and the assignee must hold the role (issue 12)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from tests.api.helpers import token_client
from tests.workflow.test_assignment import give_scope, many_cables, person
from workflow.models import AssignmentBatch, ReviewState

pytestmark = pytest.mark.django_db

URL = "/api/assignments/"


@pytest.fixture
def office():
    """Ten due cables (one a day from today, the day the API's "due within" counts from),
    a supervisor whose scope is all of them, two reviewers and an auditor."""
    ids = many_cables(10, first_due=timezone.localdate())
    sam = person("sam", "supervisor")
    give_scope(sam)
    return {
        "ids": ids,
        "sam": sam,
        "rita": person("rita", "reviewer"),
        "nina": person("nina", "reviewer"),
        "vic": person("vic", "auditor"),
    }


def visible_cables(user) -> set[int]:
    body = token_client(user).get("/api/cables/?page_size=200").json()
    return {c["id"] for c in body["results"]}


def test_a_supervisor_previews_then_assigns_the_next_due_cables(office):
    sam = token_client(office["sam"])
    asked = {"user": "rita", "permission": "review", "query": {"state": "due"}, "limit": 4}

    preview = sam.post(URL, {**asked, "preview": True}, format="json")

    assert preview.status_code == 200, preview.json()
    assert preview.json()["count"] == 4 and preview.json()["matching"] == 10
    assert preview.json()["references"] == [
        "99BULK00000",
        "99BULK00001",
        "99BULK00002",
        "99BULK00003",
    ]
    assert not AssignmentBatch.objects.filter(assignee_user=office["rita"]).exists()
    assert visible_cables(office["rita"]) == set()

    made = sam.post(URL, asked, format="json")

    assert made.status_code == 201, made.json()
    batch = made.json()
    assert batch["to"] == "rita" and batch["cable_count"] == 4 and batch["permission"] == "review"
    assert visible_cables(office["rita"]) == set(office["ids"][:4])
    event = AuditEvent.objects.get(action="assignment.created", object_id=str(batch["id"]))
    assert event.actor_name == "sam" and event.after["cables"] == preview.json()["references"]

    # The reviewer sees the batch and its progress; the other reviewer does not.
    mine = token_client(office["rita"]).get(URL).json()["results"]
    assert [b["id"] for b in mine] == [batch["id"]]
    assert mine[0]["progress"]["cables"] == 4 and mine[0]["progress"]["reviewed"] == 0
    assert token_client(office["nina"]).get(URL).json()["results"] == []


def test_assigning_by_ids_to_a_group(office):
    sam = token_client(office["sam"])

    made = sam.post(
        URL,
        {"group": "reviewer", "permission": "review", "cable_ids": office["ids"][5:7]},
        format="json",
    )

    assert made.status_code == 201, made.json()
    assert made.json()["to"] == "group:reviewer"
    for reviewer in ("rita", "nina"):
        assert visible_cables(office[reviewer]) == set(office["ids"][5:7])


def test_a_reviewer_cannot_assign(office):
    rita = token_client(office["rita"])

    answer = rita.post(
        URL, {"user": "nina", "permission": "review", "cable_ids": office["ids"]}, format="json"
    )

    assert answer.status_code == 403
    assert visible_cables(office["nina"]) == set()


def test_nobody_assigns_to_themselves(office):
    boss = person("bea", "supervisor", "reviewer")
    give_scope(boss)
    bea = token_client(boss)

    answer = bea.post(
        URL, {"user": "bea", "permission": "review", "query": {"state": "due"}}, format="json"
    )

    assert answer.status_code == 403
    assert "Separation of duties" in answer.json()["detail"]
    assert AuditEvent.objects.filter(action="assignment.refused", actor_name="bea").exists()
    assert not AssignmentBatch.objects.filter(assignee_user=boss, permission="review").exists()


def test_the_assignee_must_hold_the_role(office):
    sam = token_client(office["sam"])

    answer = sam.post(
        URL, {"user": "vic", "permission": "review", "cable_ids": office["ids"][:1]}, format="json"
    )

    assert answer.status_code == 400
    assert "vic does not hold the reviewer role" in answer.json()["detail"]
    assert visible_cables(office["vic"]) == set()


def test_revoking_a_batch_takes_the_cables_back(office):
    sam = token_client(office["sam"])
    batch = sam.post(
        URL, {"user": "rita", "permission": "review", "cable_ids": office["ids"][:3]}, format="json"
    ).json()
    cable = office["ids"][0]
    assert token_client(office["rita"]).get(f"/api/cables/{cable}/").status_code == 200

    # Another reviewer cannot revoke it (not even see it), the supervisor can.
    assert token_client(office["nina"]).post(f"{URL}{batch['id']}/revoke/").status_code == 404
    answer = sam.post(f"{URL}{batch['id']}/revoke/")

    assert answer.status_code == 200 and answer.json()["count"] == 3
    assert token_client(office["rita"]).get(f"/api/cables/{cable}/").status_code == 404
    listed = token_client(office["rita"]).get(URL).json()["results"][0]
    assert listed["revoked_at"] is not None
    again = sam.post(f"{URL}{batch['id']}/revoke/")
    assert again.status_code == 400 and "revoked already" in again.json()["detail"]


def test_revoking_by_query(office):
    sam = token_client(office["sam"])
    sam.post(URL, {"user": "rita", "permission": "review", "query": {}}, format="json")
    asked = {"user": "rita", "permission": "review", "query": {"due_within_days": 2}}

    counted = sam.post(f"{URL}revoke/", {**asked, "preview": True}, format="json")
    assert counted.status_code == 200 and counted.json()["count"] == 3
    assert len(visible_cables(office["rita"])) == 10
    done = sam.post(f"{URL}revoke/", asked, format="json")

    assert done.status_code == 200 and done.json()["count"] == 3
    assert visible_cables(office["rita"]) == set(office["ids"][3:])


def test_bad_requests_say_what_is_wrong(office):
    sam = token_client(office["sam"])

    both = sam.post(
        URL,
        {"user": "rita", "permission": "review", "cable_ids": [1], "query": {}},
        format="json",
    )
    nobody = sam.post(URL, {"user": "zed", "permission": "review", "query": {}}, format="json")
    nothing = sam.post(
        URL,
        {"user": "rita", "permission": "review", "query": {"state": ReviewState.RELEASED}},
        format="json",
    )

    assert both.status_code == 400 and "either cable_ids or a query" in str(both.json())
    assert nobody.status_code == 400 and "no user named 'zed'" in nobody.json()["detail"]
    assert nothing.status_code == 400 and "no cable to assign" in nothing.json()["detail"]


def test_the_schema_documents_the_assignment_operations(client):
    schema = client.get("/api/schema/?format=json").json()

    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/assignments/"])
    assert "post" in paths["/api/assignments/{id}/revoke/"]
    assert "post" in paths["/api/assignments/revoke/"]
    body = paths["/api/assignments/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/AssignmentInputRequest")
