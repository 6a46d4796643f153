"""Approving, publishing and versioning releases: permissions, audit, manifest, index."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.http import Http404

from audit.models import AuditEvent
from cables.markings import Level
from releases.models import Release, ReleaseFile
from releases.services import ReleaseError, release_request
from releases.tasks import release_generate_task
from tests.releases.conftest import MINISTER, P1, P2, cleared, decide, files_of, standard_plan
from tests.rereview import reopen_for_rereview
from workflow import permissions
from workflow.models import ReviewState
from workflow.review import cable_transition
from workflow.states import TransitionError

pytestmark = pytest.mark.django_db


def state(cable):
    cable.status.refresh_from_db()
    return cable.status.review_state


def test_approval_publishes_version_1_and_releases_the_cable(published):
    assert (published.status, published.version) == (Release.Status.PUBLISHED, 1)
    assert state(published.cable) == ReviewState.RELEASED
    assert published.stamp == "RELEASED IN PART B1, 1.4(C), B6"
    assert published.exemptions == ["(b)(1) 1.4(c), (b)(6)"]
    assert published.reference_id == published.cable.reference_id
    assert MINISTER not in published.search_text
    assert "harbor talks open in June" in published.search_text


def test_a_second_release_of_the_same_cable_is_version_2_and_the_first_is_kept(
    published, reviewer, authority, publish
):
    # Given the released cable comes back (e.g. an exemption ran out) and is reviewed again
    cable = published.cable
    reopen_for_rereview(cable)
    decide(cable, reviewer, {1: ("release", None), 2: ("withhold", "(b)(1) 1.4(c)")})

    # When it is approved again
    second = publish(cable, authority)

    # Then a new version is published beside the untouched first one
    assert second.version == 2
    assert second.stamp == "RELEASED IN PART B1, 1.4(C)"
    first = Release.objects.get(pk=published.pk)
    assert (first.version, first.manifest_sha256) == (1, published.manifest_sha256)
    assert MINISTER in files_of(second)["release.txt"].decode()
    assert MINISTER not in files_of(first)["release.txt"].decode()
    assert "RELEASE VERSION: 2\n" in files_of(second)["release.txt"].decode()


def test_the_manifest_lists_every_file_with_its_stored_checksum(published):
    files = files_of(published)
    manifest = json.loads(files["manifest.json"])

    assert hashlib.sha256(files["manifest.json"]).hexdigest() == published.manifest_sha256
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == {"release.txt", "release.html", "release.pdf", "withholding-index.json"}
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert entry["bytes"] == len(files[name])
    for stored in published.files.all():
        assert stored.sha256 == hashlib.sha256(bytes(stored.content)).hexdigest()
    assert manifest["version"] == 1
    assert manifest["doc_no"] == f"C{published.pk:08d}"
    assert manifest["verification"]["passed"] is True
    assert manifest["verification"]["fragments_checked"] > 0
    assert {d["decision_id"] for d in manifest["decisions"]} == {d for _, d in published.decisions}


def test_the_withholding_index_lists_each_withheld_item_where_and_why(published):
    start = P1.index(MINISTER)
    expected = [
        {"paragraph": "1", "ordinal": 1, "kind": "redaction", "start": start,
         "end": start + len(MINISTER), "characters": len(MINISTER), "exemption": "(b)(6)"},
        {"paragraph": "2", "ordinal": 2, "kind": "paragraph", "start": 0, "end": len(P2),
         "characters": len(P2), "exemption": "(b)(1) 1.4(c)"},
    ]  # fmt: skip

    assert published.withholding_index == expected
    assert json.loads(files_of(published)["withholding-index.json"]) == expected


def test_every_step_is_in_the_audit_trail(published, authority):
    events = list(AuditEvent.objects.filter(cable_id=published.cable_id).order_by("id"))
    actions = [(e.action, (e.after or {}).get("state")) for e in events]

    assert actions[-4:] == [
        ("state.changed", "approved"),
        ("release.approved", None),
        ("state.changed", "released"),
        ("release.published", None),
    ]
    approved, published_event = events[-3], events[-1]
    assert approved.actor_id == authority.pk
    assert approved.after["case_number"] == "F-2025-00123"
    assert published_event.after["version"] == 1
    assert published_event.after["manifest_sha256"] == published.manifest_sha256
    assert published_event.after["files"]["release.pdf"] == (
        published.files.get(name="release.pdf").sha256
    )


def test_the_task_takes_an_id_and_running_it_again_changes_nothing(
    reviewed, authority, django_capture_on_commit_callbacks
):
    permissions.grant(permissions.RELEASE, authority, reviewed)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        release = release_request(user=authority, cable=reviewed)
    assert len(queued) == 1  # generation is queued after commit, not run inline

    release_generate_task(release.pk)
    release_generate_task(release.pk)
    release_generate_task(999999)  # gone: nothing to do

    release.refresh_from_db()
    assert (release.status, release.version) == (Release.Status.PUBLISHED, 1)
    assert ReleaseFile.objects.count() == 5
    assert AuditEvent.objects.filter(action="release.published").count() == 1


def test_asking_again_while_a_release_is_pending_returns_it(reviewed, authority):
    permissions.grant(permissions.RELEASE, authority, reviewed)

    first = release_request(user=authority, cable=reviewed)
    second = release_request(user=authority, cable=reviewed)

    assert first.pk == second.pk
    assert Release.objects.count() == 1


def test_a_cable_cannot_be_released_by_hand(reviewed, authority):
    permissions.grant(permissions.RELEASE, authority, reviewed)
    cable_transition(user=authority, cable=reviewed, target=ReviewState.APPROVED)

    with pytest.raises(TransitionError, match="only by publishing its verified release"):
        cable_transition(user=authority, cable=reviewed, target=ReviewState.RELEASED)

    assert state(reviewed) == ReviewState.APPROVED


@pytest.mark.parametrize("who", ["nobody", "viewer", "reviewer"])
def test_only_holders_of_the_release_permission_can_approve(reviewed, reviewer, who):
    user = {"nobody": cleared("nadia"), "viewer": cleared("victor"), "reviewer": reviewer}[who]
    if who == "viewer":
        permissions.grant(permissions.VIEW, user, reviewed)

    with pytest.raises(Http404):
        release_request(user=user, cable=reviewed)

    assert not Release.objects.exists()
    assert state(reviewed) == ReviewState.REVIEWED


def test_the_two_person_rule_holds_for_releases(reviewed, reviewer):
    permissions.grant(permissions.RELEASE, reviewer, reviewed)

    with pytest.raises(TransitionError, match="two-person rule"):
        release_request(user=reviewer, cable=reviewed)

    assert not Release.objects.exists()


def test_an_authority_approving_through_the_queue_still_meets_the_two_person_rule(
    reviewed, reviewer, authority
):
    # Given a cable approved by another authority, and a reviewer who is also an authority
    permissions.grant(permissions.RELEASE, authority, reviewed)
    cable_transition(user=authority, cable=reviewed, target=ReviewState.APPROVED)
    permissions.grant(permissions.RELEASE, reviewer, reviewed)

    with pytest.raises(ReleaseError, match="two-person rule"):
        release_request(user=reviewer, cable=reviewed)


def test_an_authority_must_be_cleared_for_every_paragraph(reviewed):
    low = cleared("lena", Level.C)
    permissions.grant(permissions.RELEASE, low, reviewed)

    with pytest.raises(ReleaseError, match="1 paragraph.* above your clearance"):
        release_request(user=low, cable=reviewed)

    assert state(reviewed) == ReviewState.REVIEWED


def test_an_unreviewed_cable_cannot_be_released(cable, authority):
    permissions.grant(permissions.RELEASE, authority, cable)

    with pytest.raises(ReleaseError, match="only a reviewed or approved cable"):
        release_request(user=authority, cable=cable)


def test_a_bad_case_number_is_refused_naming_it(reviewed, authority):
    permissions.grant(permissions.RELEASE, authority, reviewed)

    with pytest.raises(ReleaseError, match="case number 'F 2025/1'"):
        release_request(user=authority, cable=reviewed, case_number="F 2025/1")


def test_a_release_whose_cable_was_returned_meanwhile_is_blocked(
    reviewed, authority, django_capture_on_commit_callbacks
):
    permissions.grant(permissions.RELEASE, authority, reviewed)
    with django_capture_on_commit_callbacks(execute=False):
        release = release_request(user=authority, cable=reviewed)
    cable_transition(user=authority, cable=reviewed, target=ReviewState.RETURNED)

    release_generate_task(release.pk)

    release.refresh_from_db()
    assert release.status == Release.Status.BLOCKED
    assert "moved or released while the release was made" in release.blocked_reason
    assert state(reviewed) == ReviewState.RETURNED


def test_standard_plan_is_what_the_fixture_decides(reviewed):
    kinds = {p.ordinal: p.decisions.order_by("-id").first().kind for p in reviewed.paragraphs.all()}
    assert kinds == {n: kind for n, (kind, _) in standard_plan().items()}


def test_the_admin_lists_releases_read_only(client, published):
    from django.urls import reverse

    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    listing = client.get(reverse("admin:releases_release_changelist"))
    change = client.get(reverse("admin:releases_release_change", args=[published.pk]))

    assert listing.status_code == 200 and published.reference_id in listing.content.decode()
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert client.get(reverse("admin:releases_release_add")).status_code == 403


def test_the_approval_page_runs_a_fixed_number_of_queries(
    client, authority, reviewer, django_assert_max_num_queries
):
    from django.urls import reverse

    from tests.factories import CableFactory, ParagraphFactory

    cable = CableFactory()
    for n in range(1, 61):
        ParagraphFactory(cable=cable, ordinal=n, text=f"Paragraph {n} of a long cable.")
    decide(cable, reviewer, {n: ("withhold", "(b)(6)") for n in range(1, 61, 3)})
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("releases:approval", args=[cable.pk]))

    assert response.status_code == 200
    assert response.content.decode().count("WITHHELD IN FULL: (b)(6)]") == 20


def test_the_sweep_does_not_reopen_a_cable_released_before_it_ran(reviewed, authority, publish):
    """A cable whose date had passed is released before any sweep flagged it: the
    sweep leaves it released (it comes back only when a new date is due)."""
    from datetime import date, timedelta

    from workflow.sweep import declass_due_sweep

    reviewed.declass_date = date.today() - timedelta(days=30)
    reviewed.save(update_fields=["declass_date"])
    publish(reviewed, authority)

    assert declass_due_sweep().flagged == 0
    assert state(reviewed) == ReviewState.RELEASED

    # A later date (an exemption ran out) brings it back as a re-review round; it stays
    # released.
    reviewed.declass_date = date.today() + timedelta(days=400)
    reviewed.save(update_fields=["declass_date"])
    assert declass_due_sweep(as_of=date.today() + timedelta(days=380)).flagged == 1
    assert state(reviewed) == ReviewState.RELEASED
    assert reviewed.review_rounds.get().number == 2
