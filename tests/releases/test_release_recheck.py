"""A published release is re-checked when another cable's release later withholds its text.

Cable A's release publishes a paragraph; later cable B's reviewers withhold a
near-duplicate of it and B's release authority publishes B on the approval page.  The
worker then re-checks A's release against what B withholds (``releases.recheck``): A's
release is withdrawn (not in the reading room, its page, files and API answer 404
saying it is withdrawn for re-review), A is back in its reviewers' queue as a
re-review round that says why, and the audit trail names both cables.  Walked as the
release authority (approval page), a reader (reading room, pages, files, API) and A's
reviewers (the queue).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from cables.models import Cable
from cables.similarity import store
from releases.models import Release
from releases.recheck import WITHDRAWN, Recheck, release_recheck
from releases.tasks import release_recheck_task
from tests.api.helpers import token_client
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import cleared, decide
from tests.rereview import reopen_for_rereview
from workflow import permissions, rounds
from workflow.models import CableStatus, ReviewRound, ReviewState

pytestmark = pytest.mark.django_db

SHARED = (
    "The interior minister told the political officer that the army will move two "
    "brigades to the northern border before the elections in March."
)
NAME = "Colonel Amadou Diallo"
NAMED = (
    f"The defence attache met {NAME} at the barracks on Friday; he said the army "
    "would stay neutral during the coming election campaign."
)
A_OTHER = "The embassy will report further as the government announces its plans in the capital."
B_OTHER = "Post hosted a lunch for visiting parliamentarians from the agriculture committee."
WITHDRAWN_TEXT = "withdrawn for re-review"


def cable_a(first: str = SHARED) -> Cable:
    """A CONFIDENTIAL cable whose first paragraph another cable repeats."""
    cable = CableFactory(reference_id="07ALPHATOWN101", level=int(Level.C))
    ParagraphFactory(cable=cable, ordinal=1, number="1", level=int(Level.C), text=first)
    ParagraphFactory(cable=cable, ordinal=2, number="2", level=int(Level.U), text=A_OTHER)
    return cable


def cable_b(second: str = SHARED) -> Cable:
    """A SECRET cable repeating it in its SECRET second paragraph."""
    cable = CableFactory(reference_id="08BRAVOTOWN202", level=int(Level.S))
    ParagraphFactory(cable=cable, ordinal=1, number="1", level=int(Level.U), text=B_OTHER)
    ParagraphFactory(cable=cable, ordinal=2, number="2", level=int(Level.S), text=second)
    return cable


def name_redacted(text: str = NAMED) -> list[dict[str, Any]]:
    start = text.index(NAME)
    return [{"start": start, "end": start + len(NAME), "label": "(b)(6)"}]


def approval_fields(client: Any, authority: Any, cable: Cable) -> dict[str, str]:
    """The approval form's hidden fields, as the authority's page carries them."""
    if not permissions.has_cable_perm(authority, permissions.RELEASE, cable):
        permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)
    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()
    return {
        k: html.unescape(v)
        for k, v in re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page)
    }


def approve_on_page(
    client: Any, authority: Any, cable: Cable, capture: Callable, *, worker: bool = True
) -> Release:
    """The authority approves on the approval page; the worker publishes, then re-checks
    (the on-commit callbacks run as the worker would; ``worker=False``: they wait, and
    are returned as ``release.queued``)."""
    fields = approval_fields(client, authority, cable)
    with capture(execute=worker) as queued:
        response = client.post(reverse("releases:approve", args=[cable.pk]), fields)
    assert response.status_code == 302
    release = Release.objects.filter(cable=cable).order_by("-id").first()
    if worker:
        assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    release.queued = list(queued)
    return release


def reading_room(client: Any, reader: Any) -> list[int]:
    client.force_login(reader)
    return [r.pk for r in client.get(reverse("releases:reading_room")).context["page"]]


def queue_body(client: Any, user: Any) -> str:
    client.force_login(user)
    return html.unescape(client.get(reverse("workflow:queue")).content.decode())


def as_reader(client: Any, reader: Any, release: Release) -> dict[str, Any]:
    """Everything a reader can ask about a release: its page, a file, and the API's."""
    client.force_login(reader)
    api = token_client(reader)
    return {
        "page": client.get(reverse("releases:detail", args=[release.pk])),
        "file": client.get(reverse("releases:download", args=[release.pk, "release.txt"])),
        "api": api.get(f"/api/releases/{release.pk}/"),
        "api_file": api.get(f"/api/releases/{release.pk}/files/release.txt"),
        "api_list": api.get("/api/releases/").json(),
    }


def withdrawals(cable: Cable) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=WITHDRAWN, cable_id=cable.pk))


def publish_both(
    client: Any, people: dict[str, Any], capture: Callable, plan_a: dict, plan_b: dict,
    *, a_first: str = SHARED, b_second: str = SHARED, before_b: Callable | None = None,
) -> tuple[Cable, Release, Cable, Release]:  # fmt: skip
    """A is reviewed and published, then B; both indexed as the importer does.
    ``before_b(a)`` runs between the two publications."""
    a, b = cable_a(a_first), cable_b(b_second)
    store.index_cables([a.pk, b.pk])
    decide(a, people["reviewer"], plan_a)
    a_release = approve_on_page(client, people["authority"], a, capture)
    if before_b is not None:
        before_b(a)
    decide(b, people["reviewer"], plan_b)
    b_release = approve_on_page(client, people["authority"], b, capture)
    return a, a_release, b, b_release


def test_a_release_whose_text_another_cable_withholds_is_withdrawn_and_reviewed_again(
    client, people, django_capture_on_commit_callbacks
):
    reader, reviewer, authority = people["reader"], people["reviewer"], people["authority"]
    # Given A's release published paragraph 1, and the reader finds it in the reading room
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks, {}, {2: ("withhold", "(b)(1) 1.4(d)")}
    )
    assert SHARED.split(" before")[0] in a_release.search_text

    # When B's release, withholding the same paragraph, was published on the approval page
    # Then A's release is no longer served: not listed, its page says it is withdrawn
    assert reading_room(client, reader) == [b_release.pk]
    seen = as_reader(client, reader, a_release)
    assert seen["page"].status_code == 404
    page = html.unescape(seen["page"].content.decode())
    assert WITHDRAWN_TEXT in page.lower() and a_release.reference_id in page
    assert SHARED not in page
    # its files are not served, and the API says it is withdrawn
    assert seen["file"].status_code == 404
    assert seen["api"].status_code == 404
    assert seen["api"].json()["detail"].startswith("Withdrawn for re-review")
    assert seen["api_file"].status_code == 404
    assert "Withdrawn for re-review" in seen["api_file"].json()["detail"]
    assert [r["id"] for r in seen["api_list"]["results"]] == [b_release.pk]
    # and nothing a reader sees says which cable withholds the text
    for answer in (seen["page"], seen["file"], seen["api"], seen["api_file"]):
        assert b.reference_id.encode() not in answer.content
    # the release itself stays published, unchanged, on record
    kept = Release.objects.get(pk=a_release.pk)
    assert (kept.status, kept.manifest_sha256) == (
        Release.Status.PUBLISHED,
        a_release.manifest_sha256,
    )

    # A is in its reviewer's queue as a re-review round, saying why
    opened = ReviewRound.objects.get(cable=a)
    assert (opened.number, opened.closed_at, opened.declass_date) == (2, None, None)
    assert (opened.withdrawn_release_id, opened.withheld_in_id, opened.withheld_release_id) == (
        a_release.pk, b.pk, b_release.pk,
    )  # fmt: skip
    assert CableStatus.objects.get(cable=a).review_state == ReviewState.RELEASED
    body = queue_body(client, reviewer)
    assert a.reference_id in body
    # the queue's mark names B to a reviewer who may read what B withholds, and so does
    # the review page
    mark = (
        f"re-review, round 2: text withheld in {b.reference_id}; its release is withdrawn "
        "until this round's release is published"
    )
    assert mark in body
    assert rounds.queue_marks([a.pk], reviewer)[a.pk] == mark
    review = client.get(reverse("workflow:review", args=[a.pk])).content.decode()
    assert f'<strong class="rereview">{mark}</strong>' in html.unescape(review)
    # and the audit trail records the withdrawal, naming both cables
    (event,) = withdrawals(a)
    assert (event.cable_ref, event.object_type, event.object_id) == (
        a.reference_id, "ReviewRound", str(opened.pk),
    )  # fmt: skip
    assert event.after["withheld_in"] == b.reference_id
    assert (event.after["release"], event.after["withheld_release"]) == (a_release.pk, b_release.pk)
    assert event.after["round"] == 2 and event.after["opened"] is True
    assert [c["paragraph"] for c in event.after["conflicts"]] == ["1"]
    assert SHARED.split(" ")[4:8] and " ".join(SHARED.split(" ")[4:8]) not in str(event.after)

    # and A's approval page tells the authority why version 1 is not served
    client.force_login(authority)
    approval = html.unescape(client.get(reverse("releases:approval", args=[a.pk])).content.decode())
    assert "Version 1 is withdrawn for re-review" in approval

    # When A's reviewer withholds the paragraph in the round, and the authority releases it
    decide(a, reviewer, {1: ("withhold", "(b)(1) 1.4(d)")})
    second = approve_on_page(client, authority, a, django_capture_on_commit_callbacks)

    # Then version 2 is served, the round is closed by it, and version 1 stays unserved
    assert second.version == 2 and SHARED not in second.search_text
    assert sorted(reading_room(client, reader)) == sorted([b_release.pk, second.pk])
    opened.refresh_from_db()
    assert opened.closed_at is not None and opened.release_version == 2
    client.force_login(reader)
    old = client.get(reverse("releases:detail", args=[a_release.pk]))
    assert old.status_code == 302 and old.url == reverse("releases:detail", args=[second.pk])
    assert (
        client.get(reverse("releases:download", args=[a_release.pk, "release.txt"])).status_code
        == 404
    )
    assert (
        client.get(reverse("releases:download", args=[second.pk, "release.txt"])).status_code == 200
    )
    assert a.reference_id not in queue_body(client, reviewer)
    assert len(withdrawals(a)) == 1
    client.force_login(authority)
    approval = client.get(reverse("releases:approval", args=[a.pk])).content.decode()
    assert "withdrawn for re-review" not in approval


def test_a_near_duplicate_that_b_releases_too_leaves_a_served(
    client, people, django_capture_on_commit_callbacks
):
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks, {}, {}
    )

    assert sorted(reading_room(client, people["reader"])) == sorted([a_release.pk, b_release.pk])
    seen = as_reader(client, people["reader"], a_release)
    assert (seen["page"].status_code, seen["file"].status_code) == (200, 200)
    assert seen["api"].status_code == 200
    assert not ReviewRound.objects.exists()
    assert withdrawals(a) == []
    assert release_recheck(release_id=b_release.pk) == Recheck([], 0)  # B withholds nothing


def test_text_a_redacts_itself_leaves_a_served_when_b_redacts_it_too(
    client, people, django_capture_on_commit_callbacks
):
    # A redacts the name in its paragraph; B, later, redacts the same name in its copy
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks,
        {1: ("redact", name_redacted())}, {2: ("redact", name_redacted())},
        a_first=NAMED, b_second=NAMED,
    )  # fmt: skip

    assert NAME not in a_release.search_text
    assert sorted(reading_room(client, people["reader"])) == sorted([a_release.pk, b_release.pk])
    assert as_reader(client, people["reader"], a_release)["api"].status_code == 200
    assert not ReviewRound.objects.exists()
    assert withdrawals(a) == []
    # A's release was checked against B's redaction, and kept
    assert release_recheck(release_id=b_release.pk) == Recheck([], 1)


def test_a_name_a_published_and_b_redacts_withdraws_a(
    client, people, django_capture_on_commit_callbacks
):
    """The same paragraph, with the name left in A's release and redacted in B's: the
    name alone is the exposed text."""
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks,
        {}, {2: ("redact", name_redacted())}, a_first=NAMED, b_second=NAMED,
    )  # fmt: skip

    assert reading_room(client, people["reader"]) == [b_release.pk]
    (event,) = withdrawals(a)
    (conflict,) = event.after["conflicts"]
    start = NAMED.index(NAME)
    assert conflict["exposed"] == [[start, start + len(NAME)]]


def test_a_release_published_after_another_that_withholds_its_text_is_withdrawn(
    client, people, django_capture_on_commit_callbacks
):
    """A is approved while nobody withholds the paragraph, but the worker publishes it
    only after B's release, which withholds it, was published (whose re-check found A
    still pending): A's own re-check withdraws it."""
    a, b = cable_a(), cable_b()
    store.index_cables([a.pk, b.pk])
    decide(a, people["reviewer"], {})
    pending = approve_on_page(
        client, people["authority"], a, django_capture_on_commit_callbacks, worker=False
    )
    assert pending.status == Release.Status.PENDING and pending.queued
    decide(b, people["reviewer"], {2: ("withhold", "(b)(1)")})
    b_release = approve_on_page(client, people["authority"], b, django_capture_on_commit_callbacks)
    assert not ReviewRound.objects.exists()  # A was not published yet

    with django_capture_on_commit_callbacks(execute=True):
        for callback in pending.queued:
            callback()  # the worker gets to A's release now

    pending.refresh_from_db()
    assert pending.status == Release.Status.PUBLISHED
    assert reading_room(client, people["reader"]) == [b_release.pk]
    (opened,) = ReviewRound.objects.filter(cable=a)
    assert (opened.withdrawn_release_id, opened.withheld_release_id) == (pending.pk, b_release.pk)
    (event,) = withdrawals(a)
    assert event.after["withheld_in"] == b.reference_id


def test_a_conflict_the_authority_acknowledged_leaves_the_release_served(
    client, people, django_capture_on_commit_callbacks
):
    """B's reviewers withheld the paragraph before A's authority approved A; she saw the
    conflict and released it anyway: B's publication later reopens nothing."""
    a, b = cable_a(), cable_b()
    store.index_cables([a.pk, b.pk])
    decide(b, people["reviewer"], {2: ("withhold", "(b)(1)")})
    decide(a, people["reviewer"], {})
    fields = approval_fields(client, people["authority"], a)
    assert fields["conflicts_digest"]  # the page shows the conflict, to be confirmed
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("releases:approve", args=[a.pk]), {**fields, "acknowledge_conflicts": "on"}
        )
    a_release = Release.objects.get(cable=a)
    assert a_release.status == Release.Status.PUBLISHED and a_release.conflicts_acknowledged

    b_release = approve_on_page(client, people["authority"], b, django_capture_on_commit_callbacks)

    assert sorted(reading_room(client, people["reader"])) == sorted([a_release.pk, b_release.pk])
    assert not ReviewRound.objects.exists()


def test_running_the_recheck_again_opens_no_second_round_nor_audit_entry(
    client, people, django_capture_on_commit_callbacks
):
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks, {}, {2: ("withhold", "(b)(1)")}
    )
    assert ReviewRound.objects.filter(cable=a).count() == 1  # the worker ran it once

    # When the task is delivered twice more (a retry, a second worker)
    release_recheck_task(b_release.pk)
    release_recheck_task(b_release.pk)

    # Then there is still one round and one audit entry, and A stays withdrawn
    assert ReviewRound.objects.filter(cable=a).count() == 1
    assert len(withdrawals(a)) == 1
    assert reading_room(client, people["reader"]) == [b_release.pk]
    # and a release that is not published changes nothing
    release_recheck_task(a_release.pk + b_release.pk + 1000)
    assert ReviewRound.objects.count() == 1


def test_a_round_open_for_a_date_is_extended_with_the_withdrawal(
    client, people, django_capture_on_commit_callbacks
):
    """A's release is being re-reviewed because a date came due (the sweep's round, which
    leaves the release served): B's withholding withdraws it within the same round."""
    a, b = cable_a(), cable_b()
    store.index_cables([a.pk, b.pk])
    decide(a, people["reviewer"], {})
    a_release = approve_on_page(client, people["authority"], a, django_capture_on_commit_callbacks)
    dated = reopen_for_rereview(a)
    assert reading_room(client, people["reader"]) == [a_release.pk]

    decide(b, people["reviewer"], {2: ("withhold", "(b)(1)")})
    b_release = approve_on_page(client, people["authority"], b, django_capture_on_commit_callbacks)

    (kept,) = ReviewRound.objects.filter(cable=a)
    assert (kept.pk, kept.number, kept.declass_date) == (dated.pk, 2, dated.declass_date)
    assert (kept.withdrawn_release_id, kept.withheld_in_id) == (a_release.pk, b.pk)
    assert reading_room(client, people["reader"]) == [b_release.pk]
    (event,) = withdrawals(a)
    assert event.after["opened"] is False and event.after["round"] == 2
    mark = rounds.queue_marks([a.pk], people["reviewer"])[a.pk]
    assert "came due" in mark or "exemption" in mark
    assert f"text withheld in {b.reference_id}" in mark


def test_the_cable_that_withholds_is_named_to_nobody_not_cleared_for_what_it_withholds(
    client, people, django_capture_on_commit_callbacks
):
    """A reviewer of A cleared CONFIDENTIAL (A's level, below B's SECRET paragraph) sees A
    as a re-review, and never which cable withholds its text; nor does a reader."""
    low = cleared("lou", Level.C)
    a, a_release, b, b_release = publish_both(
        client, people, django_capture_on_commit_callbacks, {}, {2: ("withhold", "(b)(1)")}
    )
    permissions.grant(permissions.REVIEW, low, a)
    permissions.grant(permissions.VIEW, low, b)  # a grant on B, but not the clearance

    body = queue_body(client, low)
    assert a.reference_id in body
    assert "text withheld in another cable" in body
    assert b.reference_id not in body
    assert rounds.queue_marks([a.pk], low)[a.pk].startswith(
        "re-review, round 2: text withheld in another cable"
    )
    review = html.unescape(client.get(reverse("workflow:review", args=[a.pk])).content.decode())
    assert "re-review, round 2: text withheld in another cable" in review
    assert b.reference_id not in review
    # without a grant on B either, whatever the clearance
    ungranted = cleared("tess", Level.TS)
    permissions.grant(permissions.REVIEW, ungranted, a)
    assert b.reference_id not in rounds.queue_marks([a.pk], ungranted)[a.pk]
    # and a reader, whatever asks, is told it is withdrawn, never by which cable
    seen = as_reader(client, people["reader"], a_release)
    for answer in (seen["page"], seen["file"], seen["api"], seen["api_file"]):
        assert answer.status_code == 404
        assert b.reference_id.encode() not in answer.content
        assert SHARED.encode() not in answer.content
