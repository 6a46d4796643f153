"""Assignment batches as far as each person's grants and clearance go (``workflow.access``):
a supervisor lists every batch, yet reads of a cable outside her grants only that it is
there (counted, never named: not its reference, post, date, state nor the query that
chose it), cannot revoke work she could not have given (answered as a batch that does not
exist, nothing changed), and a batch's progress counts only the paragraphs the reader may
read.  A reviewer whose batch was revoked reads nothing more of the cables it gave her.

Each test is the person at the pages or the API, with their own login or token.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from tests.api.helpers import token_client
from tests.factories import CableFactory, ParagraphFactory, UserFactory, person
from workflow import assignment, permissions
from workflow.models import AssignmentBatch, CableStatus, ReviewState
from workflow.review import decision_record

pytestmark = pytest.mark.django_db

SEEN, ELSEWHERE = "06SEEN1", "06ELSEWHERE2"
URL = "/api/assignments/"


@pytest.fixture
def office() -> dict[str, Any]:
    """A superuser gives rita (reviewer, cleared CONFIDENTIAL) review of two cables:
    ``seen`` (SECRET: an unclassified paragraph she released, a SECRET one vera withheld),
    which the supervisor sue may view, and ``elsewhere``, which sue holds no grant on."""
    root = UserFactory(username="root", is_superuser=True)
    sue = person("sue", Level.TS, "supervisor")
    rita = person("rita", Level.C, "reviewer")
    vera = person("vera", Level.S, "reviewer")
    seen = CableFactory(
        reference_id=SEEN, origin="Embassy Seen", level=int(Level.S), review_state=ReviewState.DUE
    )
    open_part = ParagraphFactory(cable=seen, ordinal=1, level=int(Level.U), text="Talks.")
    secret = ParagraphFactory(cable=seen, ordinal=2, level=int(Level.S), text="Source.")
    elsewhere = CableFactory(
        reference_id=ELSEWHERE,
        origin="Embassy Elsewhere",
        level=int(Level.C),
        review_state=ReviewState.DUE,
    )
    ParagraphFactory(cable=elsewhere, ordinal=1, level=int(Level.C), text="Harvest.")
    permissions.grant(permissions.VIEW, sue, seen)
    permissions.grant(permissions.REVIEW, vera, seen)
    batch = assignment.assign(
        actor=root, assignee=rita, permission="review", cable_ids=[seen.pk, elsewhere.pk]
    )
    decision_record(user=rita, paragraph=open_part, kind="release", based_on=None)
    decision_record(user=vera, paragraph=secret, kind="withhold", based_on=None, label="(b)(1)")
    return {
        "root": root,
        "sue": sue,
        "rita": rita,
        "vera": vera,
        "seen": seen,
        "elsewhere": elsewhere,
        "batch": batch,
    }


def batch_page(client, user, batch) -> str:
    client.force_login(user)
    page = client.get(reverse("workflow:batch", args=[batch.pk]))
    assert page.status_code == 200
    return page.content.decode()


def listed(user, batch) -> dict[str, Any]:
    body = token_client(user).get(URL).json()
    return next(b for b in body["results"] if b["id"] == batch.pk)


# -- what a supervisor reads of a batch --------------------------------------------------


def test_the_batch_page_names_the_cable_she_may_view_and_counts_the_other(client, office):
    body = batch_page(client, office["sue"], office["batch"])

    assert SEEN in body and "Embassy Seen" in body
    assert ELSEWHERE not in body and "Embassy Elsewhere" not in body
    assert "1 other cable you may not view" in body
    assert "1 cable, due soonest first" in body
    # Progress: the one cable she may view, both its paragraphs (she is cleared TS).
    assert "0 of 1 cables reviewed; 2 of 2 paragraphs decided" in body
    # She could not have given the other cable: she cannot take the batch back.
    assert "Revoke this batch" not in body


def test_the_batch_list_counts_the_other_cable_in_the_batchs_row(client, office):
    client.force_login(office["sue"])

    body = client.get(reverse("workflow:batches"), {"all": "1"}).content.decode()

    row = next(r for r in body.split("<tr>") if f"Batch {office['batch'].pk}<" in r)
    assert '<span class="batch-reviewed">0 of 1</span>' in row
    assert "1 other cable you may not view" in row
    assert ELSEWHERE not in body


def test_the_api_counts_the_other_cable_and_reads_only_what_she_may(office):
    shown = listed(office["sue"], office["batch"])

    assert shown["progress"] == {
        "cables": 1,
        "reviewed": 0,
        "paragraphs": 2,
        "decided": 2,
        "hidden": 1,
    }
    assert shown["cable_count"] == 2 and shown["query"] == {}


def test_the_query_that_chose_a_cable_outside_her_grants_is_not_shown(client, office):
    """The query describes the cables it chose (here: their post): shown only to those
    who may view every one of them."""
    batch = assignment.assign(
        actor=office["root"],
        assignee=office["rita"],
        permission="view",
        query=assignment.CableQuery(post="Embassy Elsewhere"),
    )

    body = batch_page(client, office["sue"], batch)

    assert "Embassy Elsewhere" not in body and ELSEWHERE not in body
    assert "by a query not shown here" in body
    assert listed(office["sue"], batch)["query"] is None
    # The reviewer, who may view it, reads the query and the cable.
    body = batch_page(client, office["rita"], batch)
    assert "post Embassy Elsewhere" in body and ELSEWHERE in body
    assert listed(office["rita"], batch)["query"] == {"post": "Embassy Elsewhere"}


def test_a_batch_she_may_view_whole_shows_every_row_and_she_revokes_it(client, office):
    sue, seen = office["sue"], office["seen"]
    other = CableFactory(reference_id="06SEEN3", origin="Embassy Seen", level=int(Level.C))
    permissions.grant(permissions.VIEW, sue, other)
    nina = person("nina", Level.C, "reviewer")
    batch = assignment.assign(
        actor=office["root"], assignee=nina, permission="view", cable_ids=[seen.pk, other.pk]
    )

    body = batch_page(client, sue, batch)

    assert SEEN in body and "06SEEN3" in body and "you may not view" not in body
    assert "2 cables, due soonest first" in body and "Revoke this batch" in body
    assert listed(sue, batch)["progress"]["hidden"] == 0
    answer = token_client(sue).post(f"{URL}{batch.pk}/revoke/")
    assert answer.status_code == 200
    assert answer.json() == {"count": 2, "references": [SEEN, "06SEEN3"]}
    assert not permissions.has_cable_perm(nina, permissions.VIEW, other)


# -- revoking work outside one's grants ----------------------------------------------------


def test_revoking_a_batch_with_a_cable_outside_her_grants_is_a_404_and_changes_nothing(office):
    sue, rita, batch = office["sue"], office["rita"], office["batch"]
    api = token_client(sue)
    missing = api.post(f"{URL}{batch.pk + 1000}/revoke/")

    answer = api.post(f"{URL}{batch.pk}/revoke/")

    # The answer for a batch that does not exist, word for word.
    assert (answer.status_code, answer.json()) == (404, missing.json())
    assert missing.status_code == 404
    assert SEEN not in answer.content.decode() and ELSEWHERE not in answer.content.decode()
    for cable in (office["seen"], office["elsewhere"]):
        assert permissions.has_cable_perm(rita, permissions.REVIEW, cable)
    batch.refresh_from_db()
    assert batch.revoked_at is None and not batch.rows.filter(revoked_at__isnull=False)
    assert not AuditEvent.objects.filter(action="assignment.revoked").exists()
    (refused,) = AuditEvent.objects.filter(action="assignment.refused")
    assert refused.actor_name == "sue" and refused.after["batch"] == batch.pk
    assert ELSEWHERE not in str(refused.after)


def test_the_revoke_button_posted_anyway_is_a_404_and_changes_nothing(client, office):
    client.force_login(office["sue"])
    batch = office["batch"]

    answer = client.post(reverse("workflow:batch_revoke", args=[batch.pk]))
    missing = client.post(reverse("workflow:batch_revoke", args=[batch.pk + 1000]))

    assert answer.status_code == missing.status_code == 404
    assert ELSEWHERE not in answer.content.decode()
    assert permissions.has_cable_perm(office["rita"], permissions.REVIEW, office["elsewhere"])
    assert AssignmentBatch.objects.get(pk=batch.pk).revoked_at is None


def test_the_command_line_answers_as_for_a_batch_that_does_not_exist(office):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError) as refused:
        call_command("grant", "--revoke", "--batch", str(office["batch"].pk), "--as", "sue")

    assert str(refused.value) == f"no batch {office['batch'].pk}"
    assert permissions.has_cable_perm(office["rita"], permissions.REVIEW, office["elsewhere"])


# -- progress over the paragraphs the reader may read -------------------------------------


def test_progress_counts_only_the_paragraphs_the_reviewer_may_read(client, office):
    """rita (CONFIDENTIAL) reads the unclassified paragraph of ``seen`` and the one of
    ``elsewhere``: whether vera has decided the SECRET paragraph is not hers to know."""
    rita, batch = office["rita"], office["batch"]

    progress = listed(rita, batch)["progress"]
    body = batch_page(client, rita, batch)

    assert progress == {"cables": 2, "reviewed": 0, "paragraphs": 2, "decided": 1, "hidden": 0}
    assert "1 of 2 paragraphs decided" in body
    seen_row = next(r for r in body.split("<tr>") if f">{SEEN}</a>" in r)
    assert "<td>1 of 1</td>" in seen_row
    # The whole batch, as the superuser reads it: three paragraphs, two decided.
    assert listed(office["root"], batch)["progress"]["paragraphs"] == 3
    assert listed(office["root"], batch)["progress"]["decided"] == 2


# -- a revoked batch, to its former assignee ------------------------------------------------


def test_a_revoked_batch_tells_its_former_reviewer_nothing_more_of_its_cables(client, office):
    rita, batch, seen = office["rita"], office["batch"], office["seen"]
    sam = person("sam", Level.TS, "supervisor")
    permissions.grant(permissions.VIEW, sam, [seen, office["elsewhere"]])
    permissions.grant(permissions.VIEW, rita, seen)  # she keeps view on one, by another grant
    assignment.revoke_batch(actor=sam, batch=batch)
    CableStatus.objects.filter(cable=office["elsewhere"]).update(review_state=ReviewState.APPROVED)

    body = batch_page(client, rita, batch)
    progress = listed(rita, batch)["progress"]

    assert SEEN in body and ELSEWHERE not in body and "Embassy Elsewhere" not in body
    assert "Approved for release" not in body
    assert "1 other cable you may not view" in body
    assert progress == {"cables": 1, "reviewed": 0, "paragraphs": 1, "decided": 1, "hidden": 1}


# -- the same few queries whatever the batch ------------------------------------------------


def test_the_batch_pages_take_the_same_queries_for_a_few_cables_or_many(client, office):
    sue, rita, root = office["sue"], office["rita"], office["root"]
    small, large = [], []
    for n, into in ((2, small), (30, large)):
        cables = [CableFactory(level=int(Level.C)) for _ in range(n)]
        for cable in cables:
            ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C))
        permissions.grant(permissions.VIEW, sue, cables[: n // 2])
        into.append(
            assignment.assign(
                actor=root, assignee=rita, permission="view", cable_ids=[c.pk for c in cables]
            )
        )
    client.force_login(sue)

    def queries(url: str) -> int:
        client.get(url)  # the first: the session and the user's permissions
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    assert queries(reverse("workflow:batch", args=[small[0].pk])) == queries(
        reverse("workflow:batch", args=[large[0].pk])
    )
    few = queries(reverse("workflow:batches") + "?all=1")
    for _ in range(10):
        assignment.assign(
            actor=root, assignee=rita, permission="view", cable_ids=[CableFactory().pk]
        )
    assert queries(reverse("workflow:batches") + "?all=1") == few


def test_nobody_signed_in_or_inactive_reads_any_cable_of_a_batch(office):
    """Default deny, as ``workflow.access``: every cable counted, none listed."""
    from django.contrib.auth.models import AnonymousUser

    rita, batch = office["rita"], office["batch"]
    rita.is_active = False

    for viewer in (AnonymousUser(), rita):
        progress = assignment.batch_progress([batch.pk], viewer)[batch.pk]
        assert (progress.cables, progress.paragraphs, progress.hidden) == (0, 0, 2)
        assert not progress.query_shown
        assert not assignment.batch_cables(batch, viewer).exists()
