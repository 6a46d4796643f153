"""A review of what the service lets people infer: counts, figures, orders and pages that
answer from cable text, decisions or cables the person may not read.

The promise (``workflow.access``): nobody reads a paragraph or a subject above their
clearance, nor anything of a cable they hold no grant on, and nothing withheld leaves.
Reading includes inferring: a figure computed from a paragraph the user may not read,
which differs as that paragraph's text differs, tells them about the text; a page that
lists a cable the user holds no grant on tells them it exists and what it is.

Each test is written as the person who would exploit the defect, through the pages or
the API they use, and asserts what a sound service answers.  Each failed on the leaked
figure or name until its defect was fixed (it was marked ``xfail(strict=True)`` while it
stood); now each guards its fix.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from cables.markings import Level
from cables.similarity import store
from tests.api.helpers import token_client
from tests.factories import CableFactory, ParagraphFactory, UserFactory, person
from tests.workflow.test_decide_once_pages import (  # a model trained on 60 decisions
    released_text,
    trained,  # noqa: F401  (the fixture)
    withheld_text,
)
from workflow import assignment, permissions
from workflow.models import CableStatus, ReviewState

pytestmark = pytest.mark.django_db


# -- 1. Predicted sensitivity computed over paragraphs above the reader's clearance ------
#
# ``workflow.triage.cable_triage`` ranks a cable by the model's prediction over *all* its
# undecided paragraphs (``_undecided`` reads every paragraph of the cable), and the
# queue sorted by sensitivity, the read-and-confirm batch and ``GET cables/{id}/triage/``
# show the result to whoever reviews the cable, whatever their clearance.  A reviewer
# cleared UNCLASSIFIED thus learns what the model makes of a CONFIDENTIAL paragraph's
# text: two cables that look the same to her (the same unclassified paragraph, one
# CONFIDENTIAL paragraph she may not read) get different figures, and only the hidden
# text differs.

TWINS_VISIBLE = released_text(2)


@pytest.fixture
def twins(trained) -> dict[str, Any]:  # noqa: F811  (the imported fixture)
    """Two CONFIDENTIAL cables alike to a reviewer cleared UNCLASSIFIED: the same
    unclassified paragraph, and a CONFIDENTIAL one she may not read, a wheat report in
    ``calm`` and a confidence the model has learned to withhold in ``hot``."""
    uma = person("uma", Level.U, "reviewer")
    cables = {}
    for name, hidden in (("calm", released_text(4)), ("hot", withheld_text(5))):
        cable = CableFactory(
            level=int(Level.C), review_state=ReviewState.IN_REVIEW, subject_level=int(Level.U)
        )
        ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U), text=TWINS_VISIBLE)
        ParagraphFactory(cable=cable, ordinal=2, level=int(Level.C), text=hidden)
        store.index_cables([cable.pk])
        permissions.grant(permissions.REVIEW, uma, cable)
        cables[name] = cable
    return {"uma": uma, **cables}


def test_twins_look_the_same_to_the_reviewer_cleared_unclassified(client, twins):
    """The companion of the tests below: the two cables' review pages show her the same
    paragraph and the same count above her clearance, so any figure that differs
    between them comes from the paragraph she may not read."""
    client.force_login(twins["uma"])
    pages = [client.get(reverse("workflow:review", args=[twins[n].pk])) for n in ("calm", "hot")]
    for page in pages:
        body = page.content.decode()
        assert TWINS_VISIBLE in body
        assert released_text(4) not in body and withheld_text(5) not in body
    assert [page.context["page"].hidden for page in pages] == [1, 1]


def test_the_api_triage_does_not_tell_a_reviewer_about_a_paragraph_above_her_clearance(twins):
    api = token_client(twins["uma"])

    calm = api.get(f"/api/cables/{twins['calm'].pk}/triage/").json()
    hot = api.get(f"/api/cables/{twins['hot'].pk}/triage/").json()

    # Computed from what she may read, the answers are the same for both cables (one
    # undecided paragraph, the same text); as it stands ``hot`` reads far more sensitive.
    assert (hot["sensitivity"], hot["undecided"]) == (calm["sensitivity"], calm["undecided"])
    assert hot["undecided"] == 1


def _shown_sensitivity(body: str, reference_id: str) -> int | None:
    row = next((r for r in body.split("<tr>") if f">{reference_id}</a>" in r), "")
    found = re.search(r"sensitivity (\d+)%", row)
    return int(found.group(1)) if found else None


def test_the_queue_by_sensitivity_does_not_rank_by_a_paragraph_above_her_clearance(client, twins):
    client.force_login(twins["uma"])

    body = client.get(reverse("workflow:queue"), {"sort": "sensitivity"}).content.decode()

    calm = _shown_sensitivity(body, twins["calm"].reference_id)
    hot = _shown_sensitivity(body, twins["hot"].reference_id)
    assert calm is not None  # the page does show the figure
    assert hot == calm


def test_the_triage_batch_does_not_sort_twins_by_their_hidden_paragraphs(client, twins):
    client.force_login(twins["uma"])

    body = client.get(reverse("workflow:triage")).content.decode()

    # Alike to her, both cables are offered or neither is (she cannot confirm either:
    # each has a paragraph she may not read); as it stands only ``calm`` is listed.
    offered = {n for n in ("calm", "hot") if twins[n].reference_id in body}
    assert offered in (set(), {"calm", "hot"})


# -- 2. Assignment batches show cables outside the viewer's grants -----------------------
#
# ``workflow.assignment.batches_for`` gives supervisors and admins every batch, and the
# batch page (``assignment_views.batch``) lists each batch's cables: reference id, post,
# declassification date, state and paragraphs decided.  An assigner's scope is itself a
# grant ("an assigner hands out only cables they may view"), yet a supervisor opens the
# batches others made and reads the cables they hold no grant on, which every other page
# answers with a 404, as if the cable did not exist.

HIDDEN_REF = "06ELSEWHERE42"


@pytest.fixture
def batch_elsewhere() -> dict[str, Any]:
    """A superuser gives rita review of a SECRET cable no supervisor holds a grant on."""
    root = UserFactory(username="root", is_superuser=True)
    rita = person("rita", Level.S, "reviewer")
    sue = person("sue", Level.TS, "supervisor")
    cable = CableFactory(
        reference_id=HIDDEN_REF,
        origin="Embassy Elsewhere",
        level=int(Level.S),
        review_state=ReviewState.DUE,
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.S), text="Secret text.")
    batch = assignment.assign(actor=root, assignee=rita, permission="review", cable_ids=[cable.pk])
    return {"sue": sue, "rita": rita, "cable": cable, "batch": batch}


def test_the_supervisor_holds_no_grant_on_the_cable(client, batch_elsewhere):
    """The companion: every page of the cable answers her with a 404."""
    client.force_login(batch_elsewhere["sue"])
    cable = batch_elsewhere["cable"]
    assert client.get(reverse("cables:detail", args=[cable.pk])).status_code == 404
    assert not permissions.cables_for_user(batch_elsewhere["sue"]).filter(pk=cable.pk).exists()


def test_a_supervisor_reads_no_cable_outside_her_grants_on_the_batch_pages(client, batch_elsewhere):
    client.force_login(batch_elsewhere["sue"])
    batch = batch_elsewhere["batch"]

    page = client.get(reverse("workflow:batch", args=[batch.pk]))

    body = page.content.decode() if page.status_code == 200 else ""
    assert HIDDEN_REF not in body
    assert "Embassy Elsewhere" not in body


def test_a_revoked_batch_stops_telling_its_reviewer_about_its_cables(client, batch_elsewhere):
    rita, cable, batch = (batch_elsewhere[k] for k in ("rita", "cable", "batch"))
    sam = person("sam", Level.TS, "supervisor")
    permissions.grant(permissions.VIEW, sam, cable)
    assignment.revoke_batch(actor=sam, batch=batch)
    assert not permissions.cables_for_user(rita).filter(pk=cable.pk).exists()
    # After the revocation the cable moves on without her.
    CableStatus.objects.filter(cable=cable).update(review_state=ReviewState.APPROVED)
    client.force_login(rita)

    page = client.get(reverse("workflow:batch", args=[batch.pk]))

    body = page.content.decode() if page.status_code == 200 else ""
    assert "<td>Approved for release</td>" not in body


def test_a_supervisor_cannot_revoke_work_on_cables_outside_her_grants(batch_elsewhere):
    sue, rita, cable, batch = (batch_elsewhere[k] for k in ("sue", "rita", "cable", "batch"))
    api = token_client(sue)

    answer = api.post(f"/api/assignments/{batch.pk}/revoke/")

    # She could not have given this work (``_chosen`` reads her grants): she cannot take
    # it back either, nor learn what it was; as it stands the answer is 200, naming it.
    assert HIDDEN_REF not in answer.content.decode()
    assert permissions.has_cable_perm(rita, permissions.REVIEW, cable)
    assert answer.status_code == 404


# -- 3. Whether a paragraph above the reader's clearance has been decided ----------------
#
# ``workflow.triage.batch_release_confirm`` reads the cable's undecided paragraphs, all of
# them, before it checks which the reviewer may read, and refuses with a different reason
# as the hidden paragraphs are decided or not: "every paragraph of this cable is decided
# already" against "some paragraphs are above your clearance".  The same figure is the
# ``undecided`` of the triage answer and the "paragraphs decided" of the batch pages.  The
# review page and ``GET cables/{id}/decisions/`` keep the decisions of those paragraphs
# from her; these answers tell her whether a reviewer cleared for them has decided them.


@pytest.fixture
def decided_elsewhere() -> dict[str, Any]:
    """Two CONFIDENTIAL cables, each with an unclassified paragraph uma (cleared
    UNCLASSIFIED) has released and a CONFIDENTIAL one; a reviewer cleared for it has
    withheld the hidden paragraph of ``decided`` and not yet looked at ``open``'s."""
    from workflow.review import decision_record

    uma = person("uma", Level.U, "reviewer")
    vera = person("vera", Level.S, "reviewer")
    cables = {}
    for name in ("decided", "open"):
        cable = CableFactory(
            level=int(Level.C), review_state=ReviewState.IN_REVIEW, subject_level=int(Level.U)
        )
        seen = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U), text="Open text.")
        hidden = ParagraphFactory(cable=cable, ordinal=2, level=int(Level.C), text="Hidden.")
        for user in (uma, vera):
            permissions.grant(permissions.REVIEW, user, cable)
        decision_record(user=uma, paragraph=seen, kind="release", based_on=None)
        if name == "decided":
            decision_record(
                user=vera, paragraph=hidden, kind="withhold", based_on=None, label="(b)(1)"
            )
        cables[name] = cable
    return {"uma": uma, **cables}


def test_the_hidden_paragraphs_decisions_are_not_listed_to_her(decided_elsewhere):
    """The companion: the decisions she may see are the same on both cables."""
    api = token_client(decided_elsewhere["uma"])
    kinds = [
        [
            d["kind"]
            for d in api.get(f"/api/cables/{decided_elsewhere[n].pk}/decisions/").json()["results"]
        ]
        for n in ("decided", "open")
    ]
    assert kinds == [["release"], ["release"]]


def test_the_batch_release_refusal_does_not_tell_whether_hidden_paragraphs_are_decided(
    decided_elsewhere,
):
    api = token_client(decided_elsewhere["uma"])

    answers = [
        api.post(
            f"/api/cables/{decided_elsewhere[n].pk}/batch-release/", {"shown": []}, format="json"
        )
        for n in ("decided", "open")
    ]

    assert [a.status_code for a in answers] == [400, 400]
    # One refusal for both; as it stands: "every paragraph of this cable is decided
    # already" for one, "some paragraphs are above your clearance" for the other.
    assert answers[0].json() == answers[1].json()


def test_the_approval_form_does_not_tell_whether_hidden_paragraphs_are_decided(
    client, decided_elsewhere
):
    ursa = person("ursa", Level.U, "release authority")
    shown = {}
    for name in ("decided", "open"):
        cable = decided_elsewhere[name]
        CableStatus.objects.filter(cable=cable).update(review_state=ReviewState.REVIEWED)
        permissions.grant(permissions.RELEASE, ursa, cable)
    client.force_login(ursa)
    for name in ("decided", "open"):
        body = client.get(
            reverse("releases:approval", args=[decided_elsewhere[name].pk])
        ).content.decode()
        found = re.search(r'name="decisions_shown" value="([^"]*)"', body)
        assert found is not None  # the approval form is on her page
        # One "<paragraph id>:<its decision's id, or 0>" a paragraph, in order.
        shown[name] = [pair.split(":")[1] != "0" for pair in found.group(1).split(",")]

    # Alike for both cables (what she can see of them is alike); as it stands the
    # hidden paragraph reads decided on one and undecided on the other.
    assert shown["decided"] == shown["open"]


# -- 4. A blocked release's reasons, shown to an authority not cleared for the cable -------
#
# The approval page (``templates/releases/approval.html``) prints the latest release's
# ``blocked_reason`` line by line to whoever holds release on the cable.  Verification's
# reasons name the portions whose text leaked and the decision on each ("text of paragraph
# 2, withheld in full ((b)(1) 1.4(c))").  A release authority not cleared for paragraph 2
# learns how it was decided and under which exemption, which neither the review page nor
# the API's decisions tell her.

BLOCKED_REASON = (
    "plain text: text of paragraph 2, withheld in full ((b)(1) 1.4(c)) appears in it\n"
    "HTML page text: text of paragraph 2, withheld in full ((b)(1) 1.4(c)) appears in it"
)


@pytest.fixture
def blocked_release() -> dict[str, Any]:
    """A SECRET cable (CONFIDENTIAL ¶1, SECRET ¶2 withheld under (b)(1) 1.4(c)) whose
    release, approved by amos (cleared SECRET), verification blocked."""
    from django.utils import timezone

    from releases.models import Release
    from workflow.review import decision_record

    cable = CableFactory(
        level=int(Level.S), review_state=ReviewState.IN_REVIEW, subject_level=int(Level.U)
    )
    first = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="Open talks.")
    second = ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text="Source text.")
    rita = person("rita", Level.S, "reviewer")
    permissions.grant(permissions.REVIEW, rita, cable)
    decision_record(user=rita, paragraph=first, kind="release", based_on=None)
    decision_record(
        user=rita, paragraph=second, kind="withhold", based_on=None, label="(b)(1) 1.4(c)"
    )
    CableStatus.objects.filter(cable=cable).update(review_state=ReviewState.APPROVED)
    amos = person("amos", Level.S, "release authority")
    release = Release.objects.create(
        cable=cable,
        approved_by=amos,
        approved_at=timezone.now(),
        review_authority="amos",
        decisions_digest="0" * 64,
    )
    Release.objects.filter(pk=release.pk).update(status="blocked", blocked_reason=BLOCKED_REASON)
    cora = person("cora", Level.C, "release authority")
    permissions.grant(permissions.RELEASE, cora, cable)
    return {"cable": cable, "amos": amos, "cora": cora}


def test_the_cleared_authority_reads_why_the_release_was_blocked(client, blocked_release):
    """The companion: amos, cleared for every paragraph, is told the reasons."""
    permissions.grant(permissions.RELEASE, blocked_release["amos"], blocked_release["cable"])
    client.force_login(blocked_release["amos"])
    body = client.get(reverse("releases:approval", args=[blocked_release["cable"].pk]))
    assert "withheld in full ((b)(1) 1.4(c))" in body.content.decode()


def test_an_uncleared_authority_is_not_told_how_a_hidden_paragraph_was_decided(
    client, blocked_release
):
    client.force_login(blocked_release["cora"])

    body = client.get(reverse("releases:approval", args=[blocked_release["cable"].pk]))

    assert body.status_code == 200
    assert "Source text." not in body.content.decode()  # the paragraph itself stays hidden
    assert "withheld in full ((b)(1) 1.4(c))" not in body.content.decode()


# -- 5. The audit trail names, to the admin role, the cables outside its grants -----------
#
# The admin role holds ``audit.view_auditevent`` (``workflow.roles``) beside its
# per-cable grants.  The sweep run's admin page names the cables a run flagged only where
# the viewer may view them ("a reference id of a cable outside one's grants is counted,
# not named": ``workflow.rounds.run_flagged``), but it reads them from the run's audit
# entry, and the audit page (``review_views.audit``) shows every entry whole to every
# holder of that permission, whatever their grants: the same admin reads there the names
# the sweep page counts.  So too every decision, grant and move on cables they may not view.

GRANTED_REF, UNGRANTED_REF = "06GRANTED1", "06NOTGRANTED2"


@pytest.fixture
def swept() -> dict[str, Any]:
    """A sweep flagged two cables; adam (the admin role) may view only the first."""
    from datetime import date

    from workflow.sweep import declass_due_sweep

    granted = CableFactory(reference_id=GRANTED_REF, declass_date=date(2016, 1, 10))
    CableFactory(reference_id=UNGRANTED_REF, declass_date=date(2016, 1, 10))
    adam = person("adam", Level.TS, "admin")
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    permissions.grant(permissions.VIEW, adam, granted)
    run = declass_due_sweep(as_of=date(2025, 7, 1), horizon=90)
    return {"adam": adam, "run": run}


def test_the_sweep_page_counts_the_cable_outside_adams_grants(client, swept):
    """The companion: the sweep run's page names the cable he may view, counts the other."""
    client.force_login(swept["adam"])
    page = client.get(reverse("admin:workflow_sweeprun_change", args=[swept["run"].pk]))
    body = page.content.decode()
    assert GRANTED_REF in body and UNGRANTED_REF not in body
    assert "1 other cable you may not view" in body


def test_the_audit_page_does_not_name_to_adam_what_the_sweep_page_counts(client, swept):
    """The trail is the auditors' (``workflow.roles``, migration 0015): the admin role is
    refused the page, which names every cable."""
    client.force_login(swept["adam"])

    page = client.get(reverse("workflow:audit"), {"action": "sweep.flagged"})

    assert page.status_code == 403
    assert UNGRANTED_REF not in page.content.decode()
