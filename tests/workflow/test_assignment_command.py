"""``manage.py grant``, as an operator runs it: assign the next N due cables, preview,
revoke by query and by batch; refusals end with a message and change nothing."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from tests.workflow.test_assignment import give_scope, many_cables, person
from workflow import permissions
from workflow.models import AssignmentBatch, CableStatus, ReviewState

pytestmark = pytest.mark.django_db


def grant(*args: str) -> str:
    out = StringIO()
    call_command("grant", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def office():
    """Six cables due one a day, the first of them still ingested (not due); an admin
    whose scope is all of them; a reviewer."""
    ids = many_cables(6)
    CableStatus.objects.filter(cable_id=ids[0]).update(review_state=ReviewState.INGESTED)
    admin = person("admin", "admin")
    give_scope(admin)
    return {"ids": ids, "rita": person("rita", "reviewer")}


def reviewable(user) -> set[int]:
    return set(permissions.cables_for_user(user, permissions.REVIEW).values_list("pk", flat=True))


def test_the_readme_example_assigns_the_next_due_cables(office):
    out = grant(
        "--to", "rita", "--perm", "review", "--state", "due", "--limit", "3", "--as", "admin"
    )

    batch = AssignmentBatch.objects.get(assignee_user=office["rita"])
    assert out.strip() == f"Batch {batch.pk}: review on 3 cables assigned to rita."
    # the first cable is ingested, not due: the next three due are the 2nd to 4th
    assert reviewable(office["rita"]) == set(office["ids"][1:4])
    assert (
        AuditEvent.objects.get(action="assignment.created", object_id=str(batch.pk)).actor_name
        == "admin"
    )


def test_preview_changes_nothing(office):
    out = grant(
        "--to", "rita", "--perm", "review", "--state", "due", "--preview", "--json",
        "--as", "admin",
    )  # fmt: skip

    report = json.loads(out)
    assert report["action"] == "preview" and report["count"] == 5
    assert report["cables"][0] == "99BULK00001"
    assert reviewable(office["rita"]) == set()


def test_by_reference_then_revoked_by_query_and_by_batch(office):
    grant(
        "--to",
        "rita",
        "--perm",
        "review",
        "--cables",
        "99BULK00004",
        "99BULK00005",
        "--as",
        "admin",
    )
    grant("--to", "rita", "--perm", "review", "--state", "due", "--limit", "1", "--as", "admin")
    assert reviewable(office["rita"]) == {office["ids"][1], *office["ids"][4:]}

    out = grant(
        "--to", "rita", "--perm", "review", "--cables", "99BULK00005", "--revoke", "--as", "admin"
    )
    assert out.strip() == "Revoked review on 1 cables from rita."
    first = AssignmentBatch.objects.filter(assignee_user=office["rita"]).order_by("pk").first()
    out = grant("--revoke", "--batch", str(first.pk), "--as", "admin")

    assert out.strip() == f"Batch {first.pk} revoked: 1 cables taken back from rita."
    assert reviewable(office["rita"]) == {office["ids"][1]}


def test_refusals_are_errors_and_change_nothing(office):
    with pytest.raises(CommandError, match="rita does not hold the release authority role"):
        grant("--to", "rita", "--perm", "release", "--state", "due", "--as", "admin")
    with pytest.raises(CommandError, match="Only a supervisor or an admin"):
        grant("--to", "admin", "--perm", "view", "--state", "due", "--as", "rita")
    with pytest.raises(CommandError, match="Separation of duties"):
        grant("--to", "admin", "--perm", "view", "--state", "due", "--as", "admin")
    with pytest.raises(CommandError, match="no such cable: 99NOSUCH"):
        grant("--to", "rita", "--perm", "review", "--cables", "99NOSUCH", "--as", "admin")
    with pytest.raises(CommandError, match="no user named 'zed'"):
        grant("--to", "zed", "--perm", "review", "--state", "due", "--as", "admin")

    assert reviewable(office["rita"]) == set()
