"""Which rule proposed a redaction goes with the cable's TAGS (``access.proposal_rules_for``).

A rule may be scoped by TAGS, and a rule editor reads every rule's scope. A reviewer who
also edits rules, cleared below a cable's subject (so below its TAGS, which repeat the
subject's words), would otherwise read on the review page's proposal, or in the API's,
"rule 7 v1": rule 7 reaches only cables tagged with the operation's codename, so the cable
carries it. The proposal itself (its span, action and exemption) is still shown; only the
rules that made it are left out, on the page, in the API and in the admin's proposals. A
reviewer cleared for the subject reads them as before.
"""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from cables.markings import Level
from cables.models import Cable, CableTag
from redaction.models import ProposedRedaction, RedactionRule
from redaction.rule_services import rule_save
from tests.factories import CableFactory, ParagraphFactory, person
from tests.test_review_side_channels import grant
from tests.test_review_side_channels_3 import READABLE, SUBJECT_CODENAME, api

pytestmark = pytest.mark.django_db

WORD = "harvest"


@pytest.fixture
def proposed_by_a_tag_rule() -> dict[str, Any]:
    """07HARBOR12 (SECRET, subject and TAGS naming the codename) with a CONFIDENTIAL
    paragraph on which a rule scoped to the codename's TAG proposed a redaction and a
    withholding, as the rule engine stores them."""
    editor = person("eddie", Level.TS, "rule editor")
    rule = RedactionRule(
        name="harvest in the operation", kind="terms", terms=WORD, label="(b)(6)",
        scope_tags=[SUBJECT_CODENAME],
    )  # fmt: skip
    rule_save(rule=rule, user=editor)
    cable: Cable = CableFactory(
        reference_id="07HARBOR12",
        level=int(Level.S),
        subject=f"(S) OPERATION {SUBJECT_CODENAME}: TALKS WITH THE PALACE",
        subject_level=int(Level.S),
        tags=["PREL", SUBJECT_CODENAME],
    )
    CableTag.objects.bulk_create(CableTag(cable=cable, tag=t) for t in cable.tags)
    paragraph = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    start = READABLE.index(WORD)
    for action, end in (("redact", start + len(WORD)), ("withhold", len(READABLE))):
        ProposedRedaction.objects.create(
            cable=cable, paragraph=paragraph, start=start if action == "redact" else 0,
            end=end, action=action, labels=["(b)(6)"], rules=[[rule.pk, 1]],
            created_at=timezone.now(),
        )  # fmt: skip
    # Reviewers of the cable who also edit rules: one cleared CONFIDENTIAL, one SECRET.
    lena = person("lena", Level.C, "reviewer", "rule editor")
    sid = person("sid", Level.S, "reviewer", "rule editor")
    for reviewer in (lena, sid):
        grant("review", reviewer, cable)
        reviewer.is_staff = True  # rule editors work in the admin
        reviewer.save(update_fields=["is_staff"])
    return {"cable": cable, "rule": rule, "lena": lena, "sid": sid}


def review_page(client: Any, user: Any, cable: Cable) -> str:
    client.force_login(user)
    response = client.get(reverse("workflow:review", args=[cable.pk]))
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def api_rules(user: Any, cable: Cable) -> list[list[list[int]]]:
    answer = api(user).get(f"/api/cables/{cable.pk}/proposals/")
    assert answer.status_code == 200, answer.content
    proposals = answer.json()
    proposals = proposals.get("results", proposals) if isinstance(proposals, dict) else proposals
    assert len(proposals) == 2  # both proposals are shown to both reviewers
    return [p["rules"] for p in proposals]


def test_a_reviewer_below_the_subject_is_not_told_which_rule_proposed(
    client, proposed_by_a_tag_rule
):
    world = proposed_by_a_tag_rule
    cable, rule, lena = world["cable"], world["rule"], world["lena"]
    # The rule's scope, which she reads as a rule editor, names the codename
    answer = api(lena).get(f"/api/rules/{rule.pk}/")
    assert answer.status_code == 200 and SUBJECT_CODENAME in str(answer.json())

    page = review_page(client, lena, cable)

    assert "was late this year in the northern provinces." in page  # her paragraph
    assert "proposed: withhold (b)(6)</span>" in page  # and the proposals on it
    assert f'title="proposed: redact the span (b)(6)">{WORD}</mark>' in page
    assert f"rule {rule.pk} v1" not in page  # but not the rule that made them
    assert SUBJECT_CODENAME not in page
    assert api_rules(lena, cable) == [[], []]


def test_a_reviewer_cleared_for_the_subject_is_told_which_rule_proposed(
    client, proposed_by_a_tag_rule
):
    world = proposed_by_a_tag_rule
    cable, rule, sid = world["cable"], world["rule"], world["sid"]

    page = review_page(client, sid, cable)

    assert f'title="rule {rule.pk} v1"' in page  # the withholding's tag
    assert f"proposed: redact the span (b)(6) (rule {rule.pk} v1)" in page  # the span's
    assert api_rules(sid, cable) == [[[rule.pk, 1]], [[rule.pk, 1]]]


def decide_on_page(client: Any, user: Any, cable: Cable, kind: str) -> str:
    """The reviewer decides the paragraph on the review page (htmx): the paragraph the
    page swaps in."""
    client.force_login(user)
    paragraph = cable.paragraphs.get(ordinal=1)
    response = client.post(
        reverse("workflow:decide", args=[paragraph.pk]),
        {"kind": kind, "based_on": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content
    return html.unescape(response.content.decode())


@pytest.mark.parametrize(("who", "told"), [("lena", False), ("sid", True)])
def test_the_paragraph_swapped_in_after_a_decision_shows_the_rule_as_the_page_does(
    client, proposed_by_a_tag_rule, who, told
):
    world = proposed_by_a_tag_rule
    cable, rule = world["cable"], world["rule"]

    swapped_in = decide_on_page(client, world[who], cable, "release")

    assert "Release in full" in swapped_in or "decided-release" in swapped_in
    assert (f"rule {rule.pk} v1" in swapped_in) is told


@pytest.mark.parametrize(("who", "told"), [("lena", False), ("sid", True)])
def test_the_admins_proposals_show_the_rules_as_the_page_does(
    client, proposed_by_a_tag_rule, who, told
):
    world = proposed_by_a_tag_rule
    rule = world["rule"]
    client.force_login(world[who])
    proposal = ProposedRedaction.objects.filter(cable=world["cable"]).first()

    listing = client.get(reverse("admin:redaction_proposedredaction_changelist"))
    opened = client.get(reverse("admin:redaction_proposedredaction_change", args=[proposal.pk]))

    assert listing.status_code == opened.status_code == 200
    assert len(listing.context["cl"].result_list) == 2  # both proposals are listed to both
    for page in (listing, opened):
        assert (f"{rule.pk} v1" in page.content.decode()) is told
