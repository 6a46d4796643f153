"""The due sweep: set-based, idempotent, notifies reviewers, records its runs."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from cables.models import Cable
from tests.factories import CableFactory, UserFactory
from workflow import permissions
from workflow.models import CableStatus, Notification, ReviewRound, ReviewState, SweepRun
from workflow.sweep import declass_due_sweep

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 7, 1)


def make(declass_date, state=ReviewState.INGESTED, **kwargs):
    return CableFactory(declass_date=declass_date, review_state=state, **kwargs)


def test_it_flags_past_and_near_dates_and_nothing_else(django_assert_max_num_queries):
    past = make(date(2016, 1, 10))
    near = make(date(2025, 9, 1))  # within 90 days
    far = make(date(2026, 1, 1))
    undated = make(None)
    waiting = make(date(2016, 1, 10), state=ReviewState.IN_REVIEW)

    # a fixed number, whatever it flags (14: lost notices of returns and assignments too)
    with django_assert_max_num_queries(14):
        run = declass_due_sweep(as_of=AS_OF, horizon=90)

    assert run.flagged == 2
    assert run.status == SweepRun.Status.FINISHED
    due = CableStatus.objects.filter(review_state=ReviewState.DUE)
    assert set(due.values_list("cable_id", flat=True)) == {past.pk, near.pk}
    states = dict(CableStatus.objects.values_list("cable_id", "review_state"))
    assert states[far.pk] == states[undated.pk] == ReviewState.INGESTED
    assert states[waiting.pk] == ReviewState.IN_REVIEW


def test_running_twice_flags_nothing_twice():
    make(date(2016, 1, 10))
    first = declass_due_sweep(as_of=AS_OF, horizon=90)
    CableStatus.objects.update(review_state=ReviewState.REVIEWED)  # reviewed since

    second = declass_due_sweep(as_of=AS_OF, horizon=90)

    assert (first.flagged, second.flagged) == (1, 0)
    assert SweepRun.objects.count() == 2


def test_a_released_cable_whose_exemption_runs_out_gets_a_round_not_a_move():
    # Given a cable released earlier and then re-dated by a 25X exemption ending soon
    cable = make(date(2016, 1, 10), decl="25X1, 20581231", declass_rule="R-25X")
    declass_due_sweep(as_of=AS_OF, horizon=90)
    CableStatus.objects.filter(cable=cable).update(
        review_state=ReviewState.RELEASED, declass_date=date(2058, 12, 31)
    )
    assert declass_due_sweep(as_of=AS_OF, horizon=90).flagged == 0

    # When the exemption's end comes within the horizon
    run = declass_due_sweep(as_of=date(2058, 11, 1), horizon=90)

    # Then it is flagged again, by a round 2 that says why; its state is left alone
    assert run.flagged == 1
    status = CableStatus.objects.get(cable=cable)
    assert status.review_state == ReviewState.RELEASED
    assert status.due_for_date == date(2058, 12, 31)
    (opened,) = ReviewRound.objects.filter(cable=cable)
    assert (opened.number, opened.sweep_run_id, opened.closed_at) == (2, run.pk, None)
    assert (opened.exemption, opened.rule, opened.declass_date) == (
        "25X1",
        "R-25X",
        date(2058, 12, 31),
    )
    assert opened.handled_date == date(2016, 1, 10)
    assert opened.reason.startswith("the 25X1 exemption that dated it ends 2058-12-31")

    # And a later run, or one that finds the round open, opens nothing more
    assert declass_due_sweep(as_of=date(2058, 11, 2), horizon=90).flagged == 0
    assert ReviewRound.objects.count() == 1


@pytest.mark.parametrize(
    "held", [ReviewState.IN_REVIEW, ReviewState.REVIEWED, ReviewState.APPROVED]
)
def test_cables_a_person_holds_are_left_alone(held):
    cable = make(date(2016, 1, 10), state=held)

    assert declass_due_sweep(as_of=AS_OF, horizon=90).flagged == 0
    assert CableStatus.objects.get(cable=cable).review_state == held
    assert not ReviewRound.objects.exists()


def test_reviewers_of_flagged_cables_are_notified_in_app_and_by_email(
    django_capture_on_commit_callbacks,
):
    alice, bob, carol = UserFactory(username="alice"), UserFactory(username="bob"), UserFactory()
    c1, c2 = make(date(2016, 1, 10)), make(date(2017, 1, 10))
    not_due = make(date(2030, 1, 1))
    permissions.grant(permissions.REVIEW, alice, Cable.objects.filter(pk__in=[c1.pk, c2.pk]))
    permissions.grant(permissions.REVIEW, bob, c2)
    permissions.grant(permissions.REVIEW, carol, not_due)

    with django_capture_on_commit_callbacks(execute=True):
        run = declass_due_sweep(as_of=AS_OF, horizon=90)

    counts = dict(Notification.objects.values_list("user__username", "cable_count"))
    assert counts == {"alice": 2, "bob": 1}
    assert run.notified_users == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.org", "bob@example.org"]
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_deactivated_reviewer_is_not_notified():
    gone = UserFactory(username="gone", is_active=False)
    permissions.grant(permissions.REVIEW, gone, make(date(2016, 1, 10)))

    run = declass_due_sweep(as_of=AS_OF, horizon=90)

    assert run.flagged == 1
    assert not Notification.objects.exists()


def test_group_reviewers_are_notified_once_per_cable():
    from django.contrib.auth.models import Group

    team = Group.objects.create(name="reviewers-eur")
    dave = UserFactory(username="dave")
    dave.groups.add(team)
    cable = make(date(2016, 1, 10))
    permissions.grant(permissions.REVIEW, team, cable)
    permissions.grant(permissions.REVIEW, dave, cable)

    declass_due_sweep(as_of=AS_OF, horizon=90)

    assert list(Notification.objects.values_list("user__username", "cable_count")) == [("dave", 1)]


def test_a_user_sees_and_clears_only_their_own_notifications(client):
    from django.urls import reverse

    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    cable = make(date(2016, 1, 10))
    permissions.grant(permissions.REVIEW, alice, cable)
    permissions.grant(permissions.REVIEW, bob, cable)
    declass_due_sweep(as_of=AS_OF, horizon=90)
    client.force_login(alice)

    page = client.get(reverse("workflow:notifications"))
    client.post(reverse("workflow:notifications_read"))

    assert page.status_code == 200
    assert list(page.context["notifications"]) == list(Notification.objects.filter(user=alice))
    assert Notification.objects.get(user=alice).read_at is not None
    assert Notification.objects.get(user=bob).read_at is None


def test_the_postgresql_statement_flags_what_the_queryset_selects():
    from datetime import timedelta

    from django.utils import timezone

    from workflow.sweep import _flag, due_queryset

    reviewer = UserFactory()
    for days in (-4000, -10, 0, 30, 89, 91, 400):
        cable = make(AS_OF + timedelta(days=days))
        permissions.grant(permissions.REVIEW, reviewer, cable)
    make(AS_OF, state=ReviewState.DUE)
    already = make(AS_OF - timedelta(days=5))
    CableStatus.objects.filter(cable=already).update(due_for_date=AS_OF - timedelta(days=5))
    # Released cables: one whose date moved past the one its release handled, one
    # released before it had a date, one whose release handled its date, one with a
    # round open already, and a reviewed one (never flagged).
    released_later, released_unhandled, handled, reopened, reviewed = (
        make(AS_OF - timedelta(days=days), state=state)
        for days, state in [(1, "released"), (2, "released"), (3, "released"),
                            (4, "released"), (6, "reviewed")]
    )  # fmt: skip
    for cable, handled_on in [(released_later, -400), (handled, 0), (reopened, -400)]:
        CableStatus.objects.filter(cable=cable).update(due_for_date=AS_OF + timedelta(handled_on))
    ReviewRound.objects.create(
        cable=reopened, number=2, declass_date=AS_OF, opened_at=timezone.now()
    )
    for cable in (released_later, released_unhandled, handled, reopened, reviewed):
        permissions.grant(permissions.REVIEW, reviewer, cable)
    cutoff = AS_OF + timedelta(days=90)
    expected = set(due_queryset(cutoff=cutoff).values_list("cable_id", flat=True))
    run = SweepRun.objects.create(started_at=timezone.now(), as_of=AS_OF, horizon_days=90)

    flagged = _flag(run, cutoff=cutoff)

    got = set(CableStatus.objects.filter(due_run=run).values_list("cable_id", flat=True))
    assert got == expected and flagged.total == len(expected) == 7
    assert flagged.counts == {reviewer.pk: 7}
    assert flagged.round_counts == {reviewer.pk: 2}
    assert {ref for ref, _, _ in flagged.rounds} == {
        c.reference_id for c in (released_later, released_unhandled)
    }
    assert set(ReviewRound.objects.filter(sweep_run=run).values_list("cable_id", flat=True)) == {
        released_later.pk,
        released_unhandled.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_flag_each_cable_once():
    # Given due cables and two beat processes firing the sweep at the same moment
    import threading

    from django.db import connections

    for days in range(40):
        make(date(2016, 1, 1 + days % 28))
    barrier = threading.Barrier(2)
    runs: list[SweepRun] = []

    def sweep_in_thread() -> None:
        try:
            barrier.wait()
            runs.append(declass_due_sweep(as_of=AS_OF, horizon=90))
        finally:
            connections.close_all()

    # When both run
    threads = [threading.Thread(target=sweep_in_thread) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then every cable was flagged exactly once, by one run; the other did nothing
    assert sorted(r.flagged for r in runs) == [0, 40]
    assert {r.status for r in runs} <= {SweepRun.Status.FINISHED, SweepRun.Status.SKIPPED}
    assert CableStatus.objects.filter(review_state=ReviewState.DUE).count() == 40
    assert CableStatus.objects.values("due_run").distinct().count() == 1
