"""Assignment as a feature (issue 12): batches of cables given and taken back, by query
and by selection, in a few queries whatever their size, audited, with the separation of
duties and role checks.  The pages, the API and the command are tested as their users
use them (tests/e2e/test_assignment_browser.py, tests/api/test_assignments.py,
tests/workflow/test_assignment_command.py); here, what those rely on.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from cables.markings import Level
from cables.models import Cable
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import assignment, permissions
from workflow.assignment import AssignmentError, CableQuery, NotAllowed
from workflow.models import (
    AssignmentBatch,
    CableStatus,
    CableUserObjectPermission,
    Clearance,
    QueueEntry,
    ReviewState,
)
from workflow.permissions import SelfChangeRefused

pytestmark = pytest.mark.django_db
TODAY = date(2026, 12, 7)


def person(username: str, *roles: str, level: Level = Level.S):
    user = UserFactory(username=username)
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    Clearance.objects.create(user=user, level=int(level))
    return user


def give_scope(supervisor) -> None:
    """An assigner hands out only cables they may view: a superuser gives the supervisor
    view on every cable there is (as an office would, once)."""
    root = UserFactory(username="root", is_superuser=True)
    assignment.assign(actor=root, assignee=supervisor, permission="view", query=CableQuery())


def many_cables(n: int, *, state: str = ReviewState.DUE, first_due: date = TODAY) -> list[int]:
    """``n`` cables in one insert (the database gives each its status row), due one a
    day from ``first_due``, in ``state``."""
    now = timezone.now()
    rows = []
    for i in range(n):
        ref = f"99BULK{i:05d}"
        raw = f"synthetic cable {ref}"
        rows.append(
            Cable(
                reference_id=ref,
                sent_at=datetime(2006, 1, 1, tzinfo=UTC),
                origin="Embassy Bulktown",
                level=int(Level.C),
                raw_text=raw,
                sha256=hashlib.sha256(raw.encode()).hexdigest(),
                imported_at=now,
                declass_date=first_due + timedelta(days=i),
            )
        )
    ids = [c.pk for c in Cable.objects.bulk_create(rows)]
    CableStatus.objects.filter(cable_id__in=ids).update(review_state=state)
    return ids


def test_a_2000_cable_batch_takes_the_same_few_queries_as_a_20_cable_one():
    supervisor = person("sam", "supervisor")
    rita = person("rita", "reviewer")
    nina, olga = person("nina", "reviewer"), person("olga", "reviewer")
    many_cables(2040)
    give_scope(supervisor)

    batches = {}

    def queries(who, limit: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            batches[who] = assignment.assign(
                actor=supervisor,
                assignee=who,
                permission="review",
                query=CableQuery(state=ReviewState.DUE),
                limit=limit,
                today=TODAY,
            )
        assert batches[who].cable_count == limit
        return len(captured.captured_queries)

    def revoking(who) -> int:
        with CaptureQueriesContext(connection) as captured:
            assignment.revoke_batch(actor=supervisor, batch=batches[who])
        return len(captured.captured_queries)

    queries(olga, 20)  # the process's first: permission ids and the user's permissions
    small, large = queries(nina, 20), queries(rita, 2000)

    assert large == small <= 12, (small, large)
    assert CableUserObjectPermission.objects.filter(user=rita).count() == 2000
    # The queue's index followed the bulk insert (statement triggers).
    assert QueueEntry.objects.filter(holder_kind="u", holder_id=rita.pk).count() == 2000

    small, large = revoking(nina), revoking(rita)

    assert large == small <= 12, (small, large)
    assert not CableUserObjectPermission.objects.filter(user=rita).exists()
    assert not QueueEntry.objects.filter(holder_kind="u", holder_id=rita.pk).exists()


def test_the_next_n_due_cables_skip_those_the_reviewer_already_holds():
    supervisor = person("sam", "supervisor")
    rita = person("rita", "reviewer")
    ids = many_cables(10)
    give_scope(supervisor)
    first = assignment.assign(
        actor=supervisor, assignee=rita, permission="review",
        query=CableQuery(state=ReviewState.DUE), limit=3, today=TODAY,
    )  # fmt: skip
    second = assignment.assign(
        actor=supervisor, assignee=rita, permission="review",
        query=CableQuery(state=ReviewState.DUE), limit=3, today=TODAY,
    )  # fmt: skip

    assert [r.cable_id for r in first.rows.order_by("cable_id")] == ids[:3]
    assert [r.cable_id for r in second.rows.order_by("cable_id")] == ids[3:6]


def test_not_yet_assigned_leaves_out_cables_someone_else_reviews():
    supervisor = person("sam", "supervisor")
    rita, nina = person("rita", "reviewer"), person("nina", "reviewer")
    ids = many_cables(4)
    give_scope(supervisor)
    assignment.assign(
        actor=supervisor, assignee=nina, permission="review", cable_ids=ids[:2], today=TODAY
    )

    batch = assignment.assign(
        actor=supervisor, assignee=rita, permission="review",
        query=CableQuery(assigned="no"), today=TODAY,
    )  # fmt: skip

    assert sorted(r.cable_id for r in batch.rows.all()) == ids[2:]


def test_revoking_a_batch_takes_back_what_it_gave_and_no_more():
    supervisor = person("sam", "supervisor")
    rita = person("rita", "reviewer")
    ids = many_cables(6)
    give_scope(supervisor)
    given_by_hand = ids[5]
    permissions.grant(permissions.REVIEW, rita, Cable.objects.get(pk=given_by_hand))
    batch = assignment.assign(
        actor=supervisor, assignee=rita, permission="review", cable_ids=ids, today=TODAY
    )
    assert batch.cable_count == 5  # the cable she held already is not the batch's

    revoked = assignment.revoke_batch(actor=supervisor, batch=batch)

    assert revoked.count == 5
    assert set(
        permissions.cables_for_user(rita, permissions.REVIEW).values_list("pk", flat=True)
    ) == {given_by_hand}
    batch.refresh_from_db()
    assert batch.revoked_at is not None and batch.revoked_by == supervisor
    event = AuditEvent.objects.get(action="assignment.revoked")
    assert event.after["from"] == "rita" and len(event.after["cables"]) == 5
    with pytest.raises(AssignmentError, match="revoked already"):
        assignment.revoke_batch(actor=supervisor, batch=batch)


def test_revoking_by_query_marks_the_batches_and_revokes_an_emptied_batch():
    supervisor = person("sam", "supervisor")
    rita = person("rita", "reviewer")
    ids = many_cables(4)
    give_scope(supervisor)
    batch = assignment.assign(
        actor=supervisor, assignee=rita, permission="review", cable_ids=ids[:2], today=TODAY
    )
    other = assignment.assign(
        actor=supervisor, assignee=rita, permission="review", cable_ids=ids[2:], today=TODAY
    )

    done = assignment.revoke(
        actor=supervisor, assignee=rita, permission="review", cable_ids=ids[1:3], today=TODAY
    )

    assert done.count == 2
    held = set(permissions.cables_for_user(rita, permissions.REVIEW).values_list("pk", flat=True))
    assert held == {ids[0], ids[3]}
    assert assignment.batch_progress([batch.pk, other.pk])[batch.pk].cables == 1
    done = assignment.revoke(
        actor=supervisor, assignee=rita, permission="review", cable_ids=[ids[0]], today=TODAY
    )
    batch.refresh_from_db()
    assert batch.revoked_at is not None


def test_progress_counts_decided_paragraphs_and_reviewed_cables():
    supervisor = person("sam", "supervisor")
    rita = person("rita", "reviewer")
    a = CableFactory(review_state=ReviewState.DUE)
    b = CableFactory(review_state=ReviewState.REVIEWED)
    for cable in (a, b):
        ParagraphFactory(cable=cable, ordinal=1)
        ParagraphFactory(cable=cable, ordinal=2)
    give_scope(supervisor)
    batch = assignment.assign(
        actor=supervisor, assignee=rita, permission="review", cable_ids=[a.pk, b.pk]
    )
    from workflow.review import decision_record

    decision_record(user=rita, paragraph=a.paragraphs.first(), kind="release", based_on=None)

    progress = assignment.batch_progress([batch.pk])[batch.pk]
    assert (progress.cables, progress.reviewed, progress.paragraphs, progress.decided) == (
        2,
        1,
        4,
        1,
    )


def test_nobody_assigns_to_themselves_and_the_refusal_is_audited():
    sam = person("sam", "supervisor", "reviewer")
    ids = many_cables(2)

    with pytest.raises(SelfChangeRefused):
        assignment.assign(actor=sam, assignee=sam, permission="review", cable_ids=ids)
    with pytest.raises(SelfChangeRefused):
        assignment.assign(
            actor=sam, assignee=Group.objects.get(name="reviewer"), permission="review",
            cable_ids=ids,
        )  # fmt: skip

    assert not CableUserObjectPermission.objects.exists()
    refused = AuditEvent.objects.filter(action="assignment.refused")
    assert refused.count() == 2 and refused.first().actor_name == "sam"


def test_the_assignee_must_hold_the_role_the_permission_needs():
    supervisor = person("sam", "supervisor")
    viewer = person("vic", "auditor")
    ids = many_cables(1)
    give_scope(supervisor)

    with pytest.raises(AssignmentError, match="does not hold the reviewer role"):
        assignment.assign(actor=supervisor, assignee=viewer, permission="review", cable_ids=ids)
    with pytest.raises(AssignmentError, match="release authority role"):
        assignment.assign(actor=supervisor, assignee=viewer, permission="release", cable_ids=ids)
    # Viewing needs no role.
    assignment.assign(actor=supervisor, assignee=viewer, permission="view", cable_ids=ids)
    assert permissions.cables_for_user(viewer).count() == 1


def test_only_supervisors_and_admins_assign():
    rita, nina = person("rita", "reviewer"), person("nina", "reviewer")
    ids = many_cables(1)

    with pytest.raises(NotAllowed):
        assignment.assign(actor=rita, assignee=nina, permission="review", cable_ids=ids)
    admin = person("ada", "admin")
    admin.is_superuser = True  # cables a non-superuser admin may view: their grants
    admin.save()
    assert assignment.assign(actor=admin, assignee=nina, permission="review", cable_ids=ids)


def test_an_assigner_hands_out_only_cables_they_may_view():
    supervisor = person("sam", "supervisor")
    rita = person("rita", "reviewer")
    mine, other = many_cables(2)
    permissions.grant(permissions.VIEW, supervisor, Cable.objects.get(pk=mine))

    shown = assignment.preview(
        actor=supervisor, assignee=rita, permission="review", query=CableQuery()
    )
    assert shown.count == 1 and shown.references == ["99BULK00000"]
    with pytest.raises(AssignmentError, match="not yours to assign"):
        assignment.assign(actor=supervisor, assignee=rita, permission="review", cable_ids=[other])


def test_preview_counts_without_assigning():
    supervisor = person("sam", "supervisor")
    rita = person("rita", "reviewer", level=Level.U)
    ids = many_cables(30)
    give_scope(supervisor)
    assignment.assign(
        actor=supervisor, assignee=rita, permission="review", cable_ids=ids[:5], today=TODAY
    )

    shown = assignment.preview(
        actor=supervisor, assignee=rita, permission="review",
        query=CableQuery(state=ReviewState.DUE, due_within_days=19), limit=10, today=TODAY,
    )  # fmt: skip

    # Due within 19 days: 20 cables; 5 held already; the batch: the next 10.
    assert (shown.matching, shown.already_held, shown.count) == (20, 5, 10)
    assert shown.references[0] == "99BULK00005"
    assert shown.above_clearance == 10  # CONFIDENTIAL cables, an UNCLASSIFIED reviewer
    assert AssignmentBatch.objects.filter(assignee_user=rita).count() == 1


def test_workload_counts_each_reviewers_cables_by_state():
    rita, nina = person("rita", "reviewer"), person("nina", "reviewer")
    ids = many_cables(5, first_due=TODAY - timedelta(days=2))  # two overdue
    supervisor = person("sam", "supervisor")
    give_scope(supervisor)
    CableStatus.objects.filter(cable_id=ids[1]).update(review_state=ReviewState.IN_REVIEW)
    CableStatus.objects.filter(cable_id=ids[4]).update(review_state=ReviewState.REVIEWED)
    assignment.assign(actor=supervisor, assignee=rita, permission="review", cable_ids=ids[:3])
    # nina reviews through a group of hers
    team = Group.objects.create(name="team rome")
    nina.groups.add(team)
    assignment.assign(actor=supervisor, assignee=team, permission="review", cable_ids=ids[3:])

    rows = {w.username: w for w in assignment.workload(today=TODAY)}

    assert (rows["rita"].assigned, rows["rita"].waiting, rows["rita"].in_review) == (3, 2, 1)
    assert rows["rita"].overdue == 2  # the first two, one of them in review
    assert (rows["nina"].assigned, rows["nina"].reviewed, rows["nina"].overdue) == (2, 1, 0)
    assert "sam" not in rows
