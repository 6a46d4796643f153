"""Issue 11, item 10: the sweep only moves cables that wait.

Walked as the people who use it: an importer uploads the cable over the API, a
reviewer decides it over the API, a release authority approves it on the approval
page, the worker publishes it, beat runs the sweep, and a reader looks at the reading
room.  A released cable is never pulled back; when a 25X exemption that dated it runs
out, the sweep opens a re-review round instead, which ends in a new release that
supersedes the first one in the reading room (the first stays on record).
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from cables.models import Cable
from releases.models import Release
from tests.api.helpers import token_client
from tests.cables.cable_text import telegram
from tests.factories import UserFactory
from workflow import permissions
from workflow.models import (
    CableStatus,
    Clearance,
    Decision,
    Notification,
    QueueEntry,
    ReviewRound,
    ReviewState,
    SweepRun,
)
from workflow.sweep import declass_due_sweep, handled_date
from workflow.tasks import declass_due_sweep_task

pytestmark = pytest.mark.django_db

# A SECRET cable of 2008 whose E.O. 12958 line exempts it under 25X1 (no date: the rules
# engine dates it 50 years after origin, 2058-12-31, rule R-25X).  Paragraph 1 names the
# source the exemption protects; the reviewers withhold it under (b)(1) 25X1 until then.
SOURCE_PARAGRAPH = "1. (S) The liaison service passed the courier schedule for the northern route."
EXEMPTED = telegram(
    serial=58,
    year=2008,
    banner="S E C R E T",
    decl="E.O. 12958: DECL: 25X1",
    subject="(U) LIAISON TALKS",
    paragraphs=(
        SOURCE_PARAGRAPH,
        "2. (U) The embassy hosted a reception for the visiting trade delegation.",
        "3. (C) Comment: cooperation on border questions keeps improving. End comment.",
    ),
)
# The scenario 10: a CONFIDENTIAL cable of 2006 whose date (2016) has passed.
PASSED = telegram(serial=10, subject="(U) EXAMPLE TALKS RESUME")


def cleared(username: str) -> object:
    user = UserFactory(username=username)
    Clearance.objects.create(user=user, level=int(Level.TS))
    return user


@pytest.fixture
def people() -> dict[str, object]:
    importer = UserFactory(username="ines")
    importer.user_permissions.add(Permission.objects.get(codename="change_cable"))
    return {
        "importer": importer,
        "reviewer": cleared("rita"),
        "authority": cleared("amos"),
        "reader": UserFactory(username="rhea"),
    }


def import_over_api(importer, name: str, text: str) -> Cable:
    """The importer uploads the file (the date task it queues runs when the caller
    lets the captured on-commit callbacks run: the worker)."""
    response = token_client(importer).post(
        "/api/imports/",
        {"files": [SimpleUploadedFile(name, text.encode())]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    (ref,) = [c["reference_id"] for c in response.json()["cables"]]
    return Cable.objects.get(reference_id=ref)


def review_over_api(reviewer, cable: Cable, plan: dict[int, tuple[str, str]]) -> None:
    """The reviewer decides every paragraph (``plan``: ordinal -> kind, label; release
    by default) on top of the latest decision, then finishes the review."""
    api = token_client(reviewer)
    paragraphs = api.get(f"/api/cables/{cable.pk}/paragraphs/").json()["results"]
    assert paragraphs, "the reviewer sees the cable's paragraphs"
    for p in paragraphs:
        history = api.get(f"/api/paragraphs/{p['id']}/decisions/").json()["results"]
        kind, label = plan.get(p["ordinal"], ("release", ""))
        response = api.post(
            f"/api/paragraphs/{p['id']}/decisions/",
            {"kind": kind, "label": label, "based_on": history[-1]["id"] if history else None},
            format="json",
        )
        assert response.status_code == 201, response.content
    moved = api.post(f"/api/cables/{cable.pk}/transition/", {"target": "reviewed"}, format="json")
    assert moved.status_code == 200, moved.content


def approve_on_page(client, authority, cable: Cable, capture) -> Release:
    """The authority approves on the approval page; the worker then publishes."""
    client.force_login(authority)
    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()
    fields = {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page)
    }
    with capture(execute=True):
        response = client.post(reverse("releases:approve", args=[cable.pk]), fields)
    assert response.status_code == 302
    release = Release.objects.filter(cable=cable).order_by("-id").first()
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    return release


def reading_room(client, reader) -> list[Release]:
    client.force_login(reader)
    return list(client.get(reverse("releases:reading_room")).context["page"])


def queue_body(client, reviewer) -> str:
    client.force_login(reviewer)
    return client.get(reverse("workflow:queue")).content.decode()


def state(cable: Cable) -> str:
    return CableStatus.objects.get(cable=cable).review_state


@pytest.mark.parametrize("dated", ["dated at import", "dated after the release"])
def test_scenario_10_a_released_cable_stays_released_listed_and_out_of_the_queue(
    client, people, django_capture_on_commit_callbacks, dated
):
    """Import a cable whose date has passed, review, approve and publish it before the
    next sweep (with the worker's date computed at import, or only after the release);
    the sweep leaves it released, listed, out of the queue and out of the notices."""
    # Given a cable whose declassification date (2016) has passed, imported over the API
    with django_capture_on_commit_callbacks(execute=False) as queued:
        cable = import_over_api(people["importer"], "passed.txt", PASSED)
    if dated == "dated at import":
        for callback in queued:
            callback()
    permissions.grant(permissions.REVIEW, people["reviewer"], cable)
    permissions.grant(permissions.RELEASE, people["authority"], cable)

    # reviewed, approved and published before any sweep ran
    review_over_api(people["reviewer"], cable, {})
    release = approve_on_page(
        client, people["authority"], cable, django_capture_on_commit_callbacks
    )
    if dated == "dated after the release":
        for callback in queued:
            callback()  # the worker dates it only now
    cable.refresh_from_db()
    assert cable.declass_date == date(2016, 2, 10)

    # When beat runs the sweep
    with django_capture_on_commit_callbacks(execute=True):
        declass_due_sweep_task()

    # Then it is still released and the reading room still lists its release
    assert state(cable) == ReviewState.RELEASED
    assert [r.pk for r in reading_room(client, people["reader"])] == [release.pk]
    # and it is in nobody's queue, notice or round
    assert cable.reference_id not in queue_body(client, people["reviewer"])
    assert not QueueEntry.objects.filter(cable=cable, open=True).exists()
    assert not Notification.objects.exists()
    assert not ReviewRound.objects.exists()
    assert SweepRun.objects.get().flagged == 0
    # and nobody may move it back to due by hand either
    refused = token_client(people["authority"]).post(
        f"/api/cables/{cable.pk}/transition/", {"target": "due"}, format="json"
    )
    assert refused.status_code == 409
    assert state(cable) == ReviewState.RELEASED


def test_a_released_cable_whose_25x_exemption_runs_out_is_reviewed_again_in_round_2(
    client, people, django_capture_on_commit_callbacks
):
    reviewer, authority, reader = people["reviewer"], people["authority"], people["reader"]
    # Given a cable exempted under 25X1, released in part now (the source withheld)
    with django_capture_on_commit_callbacks(execute=True):
        cable = import_over_api(people["importer"], "liaison.txt", EXEMPTED)
    cable.refresh_from_db()
    assert (cable.declass_date, cable.declass_rule) == (date(2058, 12, 31), "R-25X")
    permissions.grant(permissions.REVIEW, reviewer, cable)
    permissions.grant(permissions.RELEASE, authority, cable)
    review_over_api(reviewer, cable, {1: ("withhold", "(b)(1) 25X1")})
    first = approve_on_page(client, authority, cable, django_capture_on_commit_callbacks)
    assert "courier schedule" not in first.search_text
    assert declass_due_sweep().flagged == 0  # today: its date is decades away

    # When the sweep runs as the exemption's end comes within the horizon
    with django_capture_on_commit_callbacks(execute=True):
        run = declass_due_sweep(as_of=date(2058, 11, 1))

    # Then the cable stays released, its release stays published and listed
    assert run.flagged == 1
    assert state(cable) == ReviewState.RELEASED
    assert [r.pk for r in reading_room(client, reader)] == [first.pk]
    # and a round 2 is open, in the reviewer's queue, marked as a re-review and why
    opened = ReviewRound.objects.get(cable=cable)
    assert (opened.number, opened.exemption, opened.closed_at) == (2, "25X1", None)
    body = queue_body(client, reviewer)
    assert cable.reference_id in body
    assert "re-review, round 2: the 25X1 exemption that dated it ends 2058-12-31" in body
    # and the reviewer was told, the re-review counted
    notice = Notification.objects.get(user=reviewer)
    assert notice.cable_count == 1
    assert "released cable opened for re-review" in notice.message
    # a superuser's queue (read from the status table, not the index) lists it too
    assert cable.reference_id in queue_body(client, UserFactory(is_superuser=True))
    # and the review page says which round it is
    client.force_login(reviewer)
    page = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()
    assert "re-review, round 2" in page

    # When the reviewer decides the cable again (the source may now be released),
    # and the authority approves the round's release
    review_over_api(reviewer, cable, {})
    assert state(cable) == ReviewState.REVIEWED
    second = approve_on_page(client, authority, cable, django_capture_on_commit_callbacks)

    # Then a version 2 is published and supersedes the first in the reading room
    assert second.version == 2
    assert "courier schedule for the northern route" in second.search_text
    assert [r.pk for r in reading_room(client, reader)] == [second.pk]
    # the first stays on record, unchanged, but only the current version is served
    kept = Release.objects.get(pk=first.pk)
    assert (kept.status, kept.version, kept.manifest_sha256) == (
        Release.Status.PUBLISHED, 1, first.manifest_sha256,
    )  # fmt: skip
    replaced = client.get(reverse("releases:download", args=[first.pk, "release.txt"]))
    assert replaced.status_code == 404
    download = client.get(reverse("releases:download", args=[second.pk, "release.txt"]))
    assert download.status_code == 200
    assert b"courier schedule for the northern route" in download.content
    # the round is closed by that release; decisions carry their round, the first kept
    opened.refresh_from_db()
    assert opened.closed_at is not None and opened.release_version == 2
    rounds = sorted(Decision.objects.filter(cable=cable).values_list("review_round", "kind"))
    assert rounds == [
        (1, "release"), (1, "release"), (1, "withhold"),
        (2, "release"), (2, "release"), (2, "release"),
    ]  # fmt: skip
    published = AuditEvent.objects.filter(action="release.published", cable_id=cable.pk)
    assert [(e.after["version"], e.after["round"], e.after["supersedes"]) for e in published] == [
        (1, 1, None),
        (2, 2, first.pk),
    ]
    # and it is out of the queue again, not flagged by the next sweep
    assert state(cable) == ReviewState.RELEASED
    assert cable.reference_id not in queue_body(client, reviewer)
    assert declass_due_sweep(as_of=date(2058, 11, 2)).flagged == 0


def test_a_released_cable_without_an_open_round_cannot_be_decided_or_reopened(
    client, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cable = import_over_api(people["importer"], "liaison.txt", EXEMPTED)
    permissions.grant(permissions.REVIEW, people["reviewer"], cable)
    permissions.grant(permissions.RELEASE, people["authority"], cable)
    review_over_api(people["reviewer"], cable, {1: ("withhold", "(b)(1) 25X1")})
    approve_on_page(client, people["authority"], cable, django_capture_on_commit_callbacks)
    api = token_client(people["reviewer"])
    paragraph = cable.paragraphs.order_by("ordinal").first()
    latest = Decision.objects.filter(paragraph=paragraph).order_by("-id").first()

    decided = api.post(
        f"/api/paragraphs/{paragraph.pk}/decisions/",
        {"kind": "release", "based_on": latest.pk},
        format="json",
    )
    reopened = api.post(
        f"/api/cables/{cable.pk}/transition/", {"target": "in_review"}, format="json"
    )

    assert decided.status_code == 400 and "decisions are closed" in decided.json()["detail"]
    assert reopened.status_code == 409 and "re-review round" in reopened.json()["detail"]
    assert state(cable) == ReviewState.RELEASED


def test_the_sweeps_audit_entry_and_admin_page_name_the_cables_it_flagged(
    client, people, django_capture_on_commit_callbacks
):
    # Given two cables whose date passed, and a released one whose 25X date comes due
    with django_capture_on_commit_callbacks(execute=True):
        passed = import_over_api(people["importer"], "passed.txt", PASSED)
        other = import_over_api(
            people["importer"], "other.txt", telegram(serial=11, subject="(U) OTHER")
        )
        exempted = import_over_api(people["importer"], "liaison.txt", EXEMPTED)
    permissions.grant(permissions.REVIEW, people["reviewer"], exempted)
    permissions.grant(permissions.RELEASE, people["authority"], exempted)
    review_over_api(people["reviewer"], exempted, {1: ("withhold", "(b)(1) 25X1")})
    approve_on_page(client, people["authority"], exempted, django_capture_on_commit_callbacks)
    first = declass_due_sweep()

    # When the sweep runs in 2058
    second = declass_due_sweep(as_of=date(2058, 11, 1))

    # Then each run's audit entry names what it flagged
    entries = {
        int(e.object_id): e.after
        for e in AuditEvent.objects.filter(action="sweep.flagged", object_type="SweepRun")
    }
    assert entries[first.pk]["cables"] == sorted([passed.reference_id, other.reference_id])
    assert entries[first.pk]["rounds"] == []
    assert entries[second.pk]["cables"] == []
    handled = handled_date(flagged_for=None)  # as of the release, today
    assert entries[second.pk]["rounds"] == [
        {
            "cable": exempted.reference_id,
            "round": 2,
            "reason": "the 25X1 exemption that dated it ends 2058-12-31 (rule R-25X); "
            f"its release covered dates through {handled}",
        }
    ]

    # and the sweep run's admin page lists them, naming only cables the viewer may view
    officer = UserFactory(username="otto", is_staff=True)
    officer.user_permissions.add(Permission.objects.get(codename="view_sweeprun"))
    permissions.grant(permissions.VIEW, officer, passed)
    client.force_login(officer)
    url = reverse("admin:workflow_sweeprun_change", args=[first.pk])
    page = client.get(url).content.decode()
    assert f'<span class="flagged-due">{passed.reference_id}</span>' in page
    assert other.reference_id not in page
    assert "1 other cable you may not view" in page
    client.force_login(people["reviewer"])
    people["reviewer"].is_staff = True
    people["reviewer"].save(update_fields=["is_staff"])
    people["reviewer"].user_permissions.add(Permission.objects.get(codename="view_sweeprun"))
    page = client.get(reverse("admin:workflow_sweeprun_change", args=[second.pk])).content.decode()
    assert f"<li>{exempted.reference_id}: round 2 (the 25X1 exemption" in page
