"""A cable returned for rework reaches its reviewers, and a batch of work its assignees.

Returned: every active holder of review on the cable (directly or through a group) is
notified, naming the cable and who returned it, never the note (a notice is e-mailed,
and a note may quote the cable); the review page shows who returned it, when, and the
note to a reviewer cleared for the whole cable, until the review is finished again.
Assigned: the assignee (each active member of a group) reads who gave which permission
on how many cables, and My batches to open; never a reference id.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, person
from workflow import assignment, permissions
from workflow.models import Decision, Notification, ReviewState
from workflow.review import cable_transition, latest_return

pytestmark = pytest.mark.django_db

NOTE = "Paragraph 2 needs the codename redacted under 1.4(c)"


@pytest.fixture
def office():
    """A CONFIDENTIAL cable reviewed, with a SECRET second paragraph: rita (SECRET)
    reviews it; lena (CONFIDENTIAL) reviews it through the reviewer group's grant; olga
    held review but has left; amos releases it."""
    cable = CableFactory(level=int(Level.S), review_state=ReviewState.REVIEWED)
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="Weather was fine.")
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text="Operation Lanternfish.")
    rita = person("rita", Level.S, "reviewer")
    lena = person("lena", Level.C)
    olga = person("olga", Level.S, "reviewer")
    amos = person("amos", Level.S, "release authority")
    lena.groups.add(Group.objects.get(name="reviewer"))
    crew = Group.objects.create(name="kestrel desk")
    lena.groups.add(crew)
    permissions.grant(permissions.REVIEW, rita, cable)
    permissions.grant(permissions.REVIEW, olga, cable)
    permissions.grant(permissions.REVIEW, crew, cable)
    permissions.grant(permissions.RELEASE, amos, cable)
    olga.is_active = False
    olga.save()
    return {"cable": cable, "rita": rita, "lena": lena, "olga": olga, "amos": amos}


def returned(office, note: str = NOTE) -> None:  # type: ignore[no-untyped-def]
    cable_transition(
        user=office["amos"], cable=office["cable"], target=ReviewState.RETURNED, note=note
    )


def test_returning_a_cable_notifies_its_active_reviewers_without_the_note(
    office, django_capture_on_commit_callbacks
):
    cable = office["cable"]

    with django_capture_on_commit_callbacks(execute=True):
        returned(office)

    notices = Notification.objects.filter(kind=Notification.Kind.RETURNED)
    assert sorted(n.user.username for n in notices) == ["lena", "rita"]  # not olga, not amos
    for notice in notices:
        assert notice.message == (
            f"{cable.reference_id} was returned for rework by amos with a note, on its review page."
        )
        assert NOTE not in notice.message and "Lanternfish" not in notice.message
        assert notice.link == reverse("workflow:review", args=[cable.pk])
        assert notice.cable_count == 1 and notice.sweep_run is None
        assert notice.emailed_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["lena@example.org", "rita@example.org"]
    assert {m.subject for m in mail.outbox} == {"A cable you review was returned for rework"}
    assert all(NOTE not in m.body for m in mail.outbox)


def test_a_rolled_back_return_notifies_nobody(office, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            returned(office)
            raise RuntimeError("the request failed after the move")

    assert not Notification.objects.exists()
    assert mail.outbox == []


def test_a_return_notice_whose_e_mail_was_lost_is_sent_by_the_next_sweep(
    office, django_capture_on_commit_callbacks, settings
):
    """The e-mail is a task queued after the commit; a broker down at that moment loses
    it, and the due sweep queues again every notice not e-mailed yet."""
    from workflow.sweep import declass_due_sweep

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False):  # the queued task is lost
        returned(office)
    assert mail.outbox == []
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        declass_due_sweep(as_of=timezone.localdate(), horizon=90)

    assert sorted(m.to[0] for m in mail.outbox) == ["lena@example.org", "rita@example.org"]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


def test_a_lost_notice_of_someone_deactivated_since_is_not_e_mailed(
    office, django_capture_on_commit_callbacks, settings
):
    from workflow.sweep import declass_due_sweep

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=False):  # the queued task is lost
        returned(office)
    office["lena"].is_active = False
    office["lena"].save()

    with django_capture_on_commit_callbacks(execute=True):
        declass_due_sweep(as_of=timezone.localdate(), horizon=90)

    assert [m.to[0] for m in mail.outbox] == ["rita@example.org"]


def test_the_notifications_page_links_the_returned_cable(client, office):
    returned(office)
    client.force_login(office["rita"])

    body = client.get(reverse("workflow:notifications")).content.decode()

    link = reverse("workflow:review", args=[office["cable"].pk])
    assert f'<a href="{link}">Open the cable</a>' in body
    assert NOTE not in body


def test_the_review_page_shows_the_note_to_a_reviewer_cleared_for_the_whole_cable(client, office):
    returned(office)
    client.force_login(office["rita"])

    body = client.get(reverse("workflow:review", args=[office["cable"].pk])).content.decode()

    note = body[body.index('id="return-note"') :].split("</dd>")[0]
    assert "for rework by amos on" in note
    assert f"<q>{NOTE}</q>" in note


def test_a_reviewer_not_cleared_for_every_paragraph_reads_who_returned_it_not_the_note(
    client, office
):
    returned(office)
    client.force_login(office["lena"])

    body = client.get(reverse("workflow:review", args=[office["cable"].pk])).content.decode()

    note = body[body.index('id="return-note"') :].split("</dd>")[0]
    assert "for rework by amos on" in note
    assert "cleared for every paragraph and the subject" in note
    assert NOTE not in body


def test_the_note_stays_through_the_rework_and_goes_once_the_review_is_finished(office):
    cable, rita = office["cable"], office["rita"]
    returned(office)
    for paragraph in cable.paragraphs.all():  # the rework: the cable is in review again
        Decision.objects.create(
            cable=cable,
            paragraph=paragraph,
            kind="release",
            decided_by=rita,
            decided_at=timezone.now(),
        )
    cable_transition(user=rita, cable=cable, target=ReviewState.IN_REVIEW)
    cable.refresh_from_db()
    assert latest_return(rita, cable).note == NOTE

    cable_transition(user=rita, cable=cable, target=ReviewState.REVIEWED)
    cable.refresh_from_db()

    assert latest_return(rita, cable) is None


def test_a_return_without_a_note_says_so(client, office):
    returned(office, note="")
    client.force_login(office["rita"])

    body = client.get(reverse("workflow:review", args=[office["cable"].pk])).content.decode()

    assert "no note." in body[body.index('id="return-note"') :].split("</dd>")[0]
    notice = Notification.objects.get(user=office["rita"])
    assert notice.message.endswith("was returned for rework by amos.")


def test_the_review_page_outside_rework_reads_no_return(client, office):
    client.force_login(office["rita"])
    url = reverse("workflow:review", args=[office["cable"].pk])
    client.get(url)  # per-process caches warm

    with CaptureQueriesContext(connection) as captured:
        body = client.get(url).content.decode()

    assert 'id="return-note"' not in body
    assert not [q for q in captured.captured_queries if "audit_auditevent" in q["sql"]]


def test_a_batch_assigned_notifies_its_assignee_with_a_count_and_my_batches(
    office, django_capture_on_commit_callbacks
):
    sam = person("sam", Level.S, "supervisor")
    cables = [
        CableFactory(review_state=ReviewState.DUE, reference_id=f"07SECRETREF{n}") for n in range(3)
    ]
    permissions.grant(permissions.VIEW, sam, cables)

    with django_capture_on_commit_callbacks(execute=True):
        batch = assignment.assign(
            actor=sam, assignee=office["rita"], permission="review",
            cable_ids=[c.pk for c in cables],
        )  # fmt: skip

    notice = Notification.objects.get(kind=Notification.Kind.ASSIGNED)
    assert notice.user == office["rita"]
    assert (
        notice.message
        == f"sam assigned you review on 3 cables (batch {batch.pk}): open My batches."
    )
    assert notice.link == reverse("workflow:batches") and notice.cable_count == 3
    assert "07SECRETREF" not in notice.message
    [sent] = mail.outbox
    assert sent.to == ["rita@example.org"] and sent.subject == "Work assigned to you"
    assert "07SECRETREF" not in sent.body


def test_a_batch_given_to_a_group_notifies_each_active_member(office):
    sam = person("sam", Level.S, "supervisor")
    cable = CableFactory(review_state=ReviewState.DUE)
    permissions.grant(permissions.VIEW, sam, cable)
    reviewers = Group.objects.get(name="reviewer")

    batch = assignment.assign(
        actor=sam, assignee=reviewers, permission="review", cable_ids=[cable.pk]
    )

    notices = Notification.objects.filter(kind=Notification.Kind.ASSIGNED)
    assert sorted(n.user.username for n in notices) == ["lena", "rita"]  # olga has left
    assert {n.message for n in notices} == {
        f"sam assigned your group reviewer review on 1 cable (batch {batch.pk}): open My batches."
    }


def test_a_batch_page_links_each_cable_to_the_page_its_viewer_may_open(client, office):
    sam = person("sam", Level.S, "supervisor")
    cable = CableFactory(review_state=ReviewState.DUE)
    permissions.grant(permissions.VIEW, sam, cable)
    batch = assignment.assign(
        actor=sam, assignee=office["rita"], permission="review", cable_ids=[cable.pk]
    )
    release = assignment.assign(
        actor=sam, assignee=office["amos"], permission="release", cable_ids=[cable.pk]
    )
    pages = {
        "sam": reverse("cables:detail", args=[cable.pk]),
        "rita": reverse("workflow:review", args=[cable.pk]),
        "amos": reverse("releases:approval", args=[cable.pk]),
    }
    for who, shown in (("sam", batch), ("rita", batch), ("amos", release), ("sam", release)):
        user = sam if who == "sam" else office[who]
        client.force_login(user)
        body = client.get(reverse("workflow:batch", args=[shown.pk])).content.decode()
        assert f'<a href="{pages[who]}">{cable.reference_id}</a>' in body, who
        assert client.get(pages[who]).status_code == 200, who


def test_every_signed_in_person_has_the_reading_room_in_the_menu(client):
    reader = person("rhea", Level.U)
    client.force_login(reader)

    body = client.get(reverse("workflow:queue")).content.decode()

    menu = body[body.index('<nav aria-label="Main">') :].split("</nav>")[0]
    assert f'<a href="{reverse("releases:reading_room")}">Reading room</a>' in menu
    assert client.get(reverse("releases:reading_room")).status_code == 200
