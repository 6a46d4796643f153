"""Decide once, through the pages as each persona uses them: a suggestion pre-filled on
the review page and accepted with one key (recorded with its source and the model's
version), a supervisor's propagation after its preview, the blind second look and the
approval it holds back, agreement rates, the queue by predicted sensitivity and the
read-and-confirm batch that needs every paragraph shown."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cables.markings import Level
from cables.similarity import store
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.learning import service as learning
from workflow.models import (
    CableStatus,
    Clearance,
    Decision,
    DecisionOrigin,
    QCReview,
    ReviewState,
    SuggestionShown,
)
from workflow.review import decision_record

pytestmark = pytest.mark.django_db

NAME = "Rosa Quint"
QUOTED = (
    f"The political counselor met {NAME} of the opposition council on Tuesday; she said "
    "the council would boycott the vote unless the electoral commission published the "
    "voter rolls, and asked that the embassy raise the matter with the interior minister."
)
EDITED = QUOTED.replace("on Tuesday", "on Wednesday")


def person(name, level=Level.TS, *, supervisor=False):
    user = UserFactory(username=name)
    Clearance.objects.create(user=user, level=int(level))
    if supervisor:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="workflow", codename="supervise_review")
        )
    return user


def cable_with(*texts, level=Level.C, state=ReviewState.IN_REVIEW):
    # An unclassified subject: nothing to decide but the paragraphs.
    cable = CableFactory(level=int(level), review_state=state, subject_level=int(Level.U))
    for n, text in enumerate(texts, 1):
        ParagraphFactory(cable=cable, ordinal=n, level=int(level), text=text)
    store.index_cables([cable.pk])
    return cable


def decide(paragraph, kind, by, **fields):
    return Decision.objects.create(
        cable=paragraph.cable,
        paragraph=paragraph,
        kind=kind,
        decided_by=by,
        decided_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def redacted_elsewhere():
    """wanda redacted Rosa Quint's name in cable A; cable B quotes the paragraph."""
    wanda = person("wanda")
    a = cable_with(QUOTED)
    start = QUOTED.index(NAME)
    source = decide(
        a.paragraphs.get(),
        "redact",
        wanda,
        spans=[{"start": start, "end": start + len(NAME), "label": "(b)(6)"}],
    )
    b = cable_with(EDITED, "The weather was fine and nothing else was said at the meeting today.")
    return {"a": a, "b": b, "source": source}


def test_the_review_page_prefills_a_near_duplicates_decision_naming_it_only_to_who_may_read_it(
    client, redacted_elsewhere
):
    a, b = redacted_elsewhere["a"], redacted_elsewhere["b"]
    rita = person("rita")
    permissions.grant(permissions.REVIEW, rita, b)
    sam = person("sam")
    permissions.grant(permissions.REVIEW, sam, b)
    permissions.grant(permissions.VIEW, sam, a)
    target = b.paragraphs.get(ordinal=1)

    client.force_login(rita)
    for_rita = client.get(reverse("workflow:review", args=[b.pk])).content.decode()
    client.force_login(sam)
    for_sam = client.get(reverse("workflow:review", args=[b.pk])).content.decode()

    for body in (for_rita, for_sam):
        assert "Suggested: Release with redactions" in body
        assert "«Rosa Quint»</span> (b)(6)" in body  # the carried-over redaction
        assert re.search(r'class="similarity">similarity (7|8|9)\d%</span>', body)
        assert 'data-key="s"' in body and "<kbd>s</kbd> accept" in body  # key help
        assert body.count('class="suggestion"') == 1  # the unrelated paragraph has none
    assert a.reference_id not in for_rita and "wanda" not in for_rita
    assert "a near-duplicate in another cable" in for_rita
    assert f"{a.reference_id} ¶1, decided by wanda" in for_sam
    assert SuggestionShown.objects.filter(user=rita, paragraph=target, source="reuse").count() == 1


def test_accepting_the_suggestion_records_it_with_its_source(client, redacted_elsewhere):
    b, source = redacted_elsewhere["b"], redacted_elsewhere["source"]
    rita = person("rita")
    permissions.grant(permissions.REVIEW, rita, b)
    target = b.paragraphs.get(ordinal=1)
    client.force_login(rita)
    client.get(reverse("workflow:review", args=[b.pk]))

    response = client.post(
        reverse("workflow:accept_suggestion", args=[target.pk]),
        {"accept": "reuse", "based_on": ""},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    decision = Decision.objects.get(paragraph=target)
    assert decision.kind == "redact" and decision.decided_by == rita
    assert [target.text[s["start"] : s["end"]] for s in decision.spans] == [NAME]
    assert decision.origin.via == DecisionOrigin.Via.REUSE
    assert decision.origin.source_decision == source
    assert "Release with redactions" in response.content.decode()


def test_accepting_twice_is_refused_like_any_stale_decision(client, redacted_elsewhere):
    b = redacted_elsewhere["b"]
    rita = person("rita")
    permissions.grant(permissions.REVIEW, rita, b)
    target = b.paragraphs.get(ordinal=1)
    client.force_login(rita)
    url = reverse("workflow:accept_suggestion", args=[target.pk])
    client.post(url, {"accept": "reuse", "based_on": ""}, HTTP_HX_REQUEST="true")

    again = client.post(url, {"accept": "reuse", "based_on": ""}, HTTP_HX_REQUEST="true")

    assert again.status_code == 409
    assert Decision.objects.filter(paragraph=target).count() == 1


def test_the_suggestions_cost_the_same_queries_for_two_paragraphs_or_twelve(client):
    wanda = person("wanda")
    rita = person("rita")

    def world(n):
        texts = [f"{QUOTED} Item {i} of the list, about the district number {i}." for i in range(n)]
        source = cable_with(*texts)
        for p in source.paragraphs.all():
            decide(p, "withhold", wanda, label="(b)(1) 1.4(d)")
        target = cable_with(*[t.replace("on Tuesday", "on Monday") for t in texts])
        permissions.grant(permissions.REVIEW, rita, target)
        return target

    small, large = world(2), world(12)
    client.force_login(rita)
    client.get(reverse("workflow:review", args=[small.pk]))  # per-process caches warm
    counts = {}
    for cable in (small, large):
        with CaptureQueriesContext(connection) as queries:
            body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()
        counts[cable.pk] = len(queries)
        assert body.count('class="suggestion"') == cable.paragraphs.count()

    assert counts[small.pk] == counts[large.pk]


# -- the model's suggestions -------------------------------------------------------------

PLACES = ["Harare", "Ankara", "Colombo", "Kathmandu", "Brasilia", "Rome", "Ottawa", "Lima"]
PEOPLE = ["Okkan", "Pearson", "Diallo", "Quint", "Mugabe", "Ecevit", "Tsvangirai", "Ruiz"]


def released_text(i):
    return (
        f"The wheat harvest around {PLACES[i % 8]} is expected to fall by a tenth this year "
        f"after the dry spring, and the ministry plans grain imports (note {i})."
    )


def withheld_text(i):
    return (
        f"Ambassador {PEOPLE[i % 8]} told the station chief in confidence that the minister "
        f"would resign before the vote and asked us to keep his name out of it ({i})."
    )


@pytest.fixture
def trained(settings):
    """A model trained on 60 decisions, half released wheat reports, half withheld
    confidences; confident from 60% for the tests' small sets."""
    settings.DECLASS_LEARNING_MIN_DECISIONS = 40
    settings.DECLASS_LEARNING_CONFIDENCE_PCT = 60
    earlier = person("earlier")
    for i in range(60):
        cable = CableFactory(level=int(Level.S), review_state=ReviewState.IN_REVIEW)
        if i % 2:
            p = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.S), text=withheld_text(i))
            decide(p, "withhold", earlier, label="(b)(1) 1.4(d)")
        else:
            p = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U), text=released_text(i))
            decide(p, "release", earlier)
    return learning.retrain()


def test_the_models_confident_suggestion_shows_its_version_and_is_recorded_when_accepted(
    client, trained
):
    rita = person("rita")
    cable = cable_with(released_text(3), level=Level.U)
    permissions.grant(permissions.REVIEW, rita, cable)
    paragraph = cable.paragraphs.get()
    client.force_login(rita)

    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    assert f"Suggested by the model</strong> v{trained.pk}: Release in full" in body
    assert 'class="confidence">confidence ' in body
    assert f"Learned suggestions from model v{trained.pk}" in body
    client.post(
        reverse("workflow:accept_suggestion", args=[paragraph.pk]),
        {"accept": "learned", "based_on": ""},
    )
    decision = Decision.objects.get(paragraph=paragraph)
    assert decision.kind == "release"
    assert decision.origin.via == DecisionOrigin.Via.LEARNED
    assert decision.origin.model_version == trained


def test_a_decision_of_ones_own_while_the_model_was_shown_records_its_version(client, trained):
    rita = person("rita")
    cable = cable_with(released_text(5), level=Level.U)
    permissions.grant(permissions.REVIEW, rita, cable)
    paragraph = cable.paragraphs.get()
    client.force_login(rita)
    client.get(reverse("workflow:review", args=[cable.pk]))

    client.post(
        reverse("workflow:decide", args=[paragraph.pk]),
        {"kind": "withhold", "label": "(b)(6)", "based_on": ""},
    )

    decision = Decision.objects.get(paragraph=paragraph)
    assert decision.kind == "withhold"  # the person decides, not the model
    assert decision.origin.via == DecisionOrigin.Via.SHOWN
    assert decision.origin.model_version == trained


def test_without_a_model_the_page_says_the_suggestions_are_off(client):
    rita = person("rita")
    cable = cable_with(released_text(1))
    permissions.grant(permissions.REVIEW, rita, cable)
    client.force_login(rita)

    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    assert "Learned suggestions are off: no model is trained yet" in body
    assert 'class="suggestion"' not in body


# -- a supervisor's propagation ----------------------------------------------------------


def test_propagation_preview_then_apply_and_each_cable_still_needs_another_approver(client):
    wanda = person("wanda")
    home = cable_with(QUOTED)
    source = decide(home.paragraphs.get(), "withhold", wanda, label="(b)(1) 1.4(d)")
    b = cable_with(EDITED, state=ReviewState.DUE)
    c = cable_with(QUOTED)
    not_hers = cable_with(QUOTED)
    sue = person("sue", supervisor=True)
    permissions.grant(permissions.VIEW, sue, home)
    for cable in (b, c):
        permissions.grant(permissions.REVIEW, sue, cable)
    rita = person("rita")
    permissions.grant(permissions.VIEW, rita, home)
    url = reverse("workflow:propagate", args=[source.pk])

    client.force_login(rita)
    assert client.get(url).status_code == 404  # supervisors only
    client.force_login(sue)
    preview = client.get(url).content.decode()

    assert "Withhold in full (b)(1) 1.4(d)</strong> on " + home.reference_id in preview
    assert b.reference_id in preview and c.reference_id in preview
    assert not_hers.reference_id not in preview
    assert "2 near-duplicates, 2 to decide" in preview
    assert not Decision.objects.exclude(pk=source.pk).exists()  # a preview records nothing

    values = [f"{p.pk}:" for p in (b.paragraphs.get(), c.paragraphs.get())]
    response = client.post(url, {"target": values}, follow=True)

    assert "Recorded 2 decisions as yours" in response.content.decode()
    recorded = Decision.objects.exclude(pk=source.pk)
    assert {d.cable_id for d in recorded} == {b.pk, c.pk}
    assert all(d.decided_by == sue and d.origin.source_decision == source for d in recorded)
    # the two-person rule: sue decided, so sue may not approve b
    permissions.grant(permissions.RELEASE, sue, b)
    CableStatus.objects.filter(cable=b).update(review_state=ReviewState.REVIEWED)
    refused = client.post(
        reverse("workflow:transition", args=[b.pk]), {"target": "approved"}, follow=True
    )
    assert "two-person rule" in refused.content.decode()
    assert CableStatus.objects.get(cable=b).review_state == ReviewState.REVIEWED


def test_a_decided_paragraph_links_supervisors_to_its_propagation(client):
    sue = person("sue", supervisor=True)
    rita = person("rita")
    cable = cable_with(QUOTED)
    for user in (sue, rita):
        permissions.grant(permissions.REVIEW, user, cable)
    decision = decide(cable.paragraphs.get(), "release", rita)
    link = reverse("workflow:propagate", args=[decision.pk])

    client.force_login(sue)
    assert link in client.get(reverse("workflow:review", args=[cable.pk])).content.decode()
    client.force_login(rita)
    assert link not in client.get(reverse("workflow:review", args=[cable.pk])).content.decode()


# -- quality control -----------------------------------------------------------------------


@pytest.fixture
def sampled(settings):
    settings.DECLASS_QC_SAMPLE_PCT = 100  # every decision: the test is exact
    first, second, amos = person("first"), person("second"), person("amos")
    cable = cable_with("The source named in this paragraph met the ambassador twice.")
    for user in (first, second):
        permissions.grant(permissions.REVIEW, user, cable)
    permissions.grant(permissions.RELEASE, amos, cable)
    decision = decision_record(
        user=first,
        paragraph=cable.paragraphs.get(),
        kind="withhold",
        label="(b)(1) 1.4(c)",
        based_on=None,
    )
    CableStatus.objects.filter(cable=cable).update(review_state=ReviewState.REVIEWED)
    return {"cable": cable, "decision": decision, "second": second, "amos": amos}


def test_the_second_look_shows_the_text_only_and_records_the_blind_redecision(client, sampled):
    client.force_login(sampled["second"])

    page = client.get(reverse("workflow:second_look")).content.decode()

    assert "The source named in this paragraph met the ambassador twice." in page
    samples = page.split('id="samples"', 1)[1]
    assert "1.4(c)" not in samples and "first" not in samples  # nor who decided first
    assert "Withhold in full" not in page  # the first decision is never shown
    response = client.post(
        reverse("workflow:second_look_decide", args=[sampled["decision"].pk]),
        {"kind": "withhold", "label": "(b)(1) 1.4(c)"},
        follow=True,
    )
    assert "Second look recorded." in response.content.decode()
    review = QCReview.objects.get()
    assert review.reviewer == sampled["second"] and review.agrees
    assert 'id="no-samples"' in response.content.decode()


def test_approval_waits_for_the_second_look_on_every_path(client, sampled):
    from rest_framework.test import APIClient

    cable, amos = sampled["cable"], sampled["amos"]
    client.force_login(amos)

    by_page = client.post(
        reverse("workflow:transition", args=[cable.pk]), {"target": "approved"}, follow=True
    )
    api = APIClient()
    api.force_authenticate(amos)
    by_api = api.post(
        reverse("api:cable-transition", args=[cable.pk]), {"target": "approved"}, format="json"
    )
    approval_page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()

    assert "quality control: 1 decision(s) of this cable are sampled" in by_page.content.decode()
    assert by_api.status_code == 409 and "quality control" in by_api.json()["detail"]
    assert "wait for a second reviewer" in approval_page
    from releases.services import release_request
    from workflow.states import TransitionError

    with pytest.raises(TransitionError, match="quality control"):
        release_request(user=amos, cable=cable)  # the release authority's approval
    assert CableStatus.objects.get(cable=cable).review_state == ReviewState.REVIEWED

    client.force_login(sampled["second"])
    client.post(
        reverse("workflow:second_look_decide", args=[sampled["decision"].pk]),
        {"kind": "release"},
    )
    client.force_login(amos)
    client.post(reverse("workflow:transition", args=[cable.pk]), {"target": "approved"})
    assert CableStatus.objects.get(cable=cable).review_state == ReviewState.APPROVED


def test_agreement_rates_are_the_supervisors_page(client, sampled):
    client.force_login(sampled["second"])
    client.post(
        reverse("workflow:second_look_decide", args=[sampled["decision"].pk]), {"kind": "release"}
    )
    url = reverse("workflow:qc_agreement")
    assert client.get(url).status_code == 404
    sue = person("sue", supervisor=True)
    permissions.grant(permissions.VIEW, sue, sampled["cable"])
    client.force_login(sue)

    page = client.get(url).content.decode()

    assert '<tr><td>first</td><td><span class="rate">0%</span> (0 of 1)' in page
    assert '<tr><td>(b)(1) 1.4(c)</td><td><span class="rate">0%</span> (0 of 1)' in page


# -- triage --------------------------------------------------------------------------------


@pytest.fixture
def triaged(trained):
    rita = person("rita")
    calm = cable_with(released_text(2), released_text(4), level=Level.U)
    hot = cable_with(withheld_text(5), level=Level.S)
    for cable in (calm, hot):
        permissions.grant(permissions.REVIEW, rita, cable)
    return {"rita": rita, "calm": calm, "hot": hot}


def test_the_queue_sorts_by_predicted_sensitivity(client, triaged):
    calm, hot = triaged["calm"], triaged["hot"]
    CableStatus.objects.filter(cable=hot).update(declass_date="2099-01-01")  # due last
    CableStatus.objects.filter(cable=calm).update(declass_date="2001-01-01")
    client.force_login(triaged["rita"])

    by_date = client.get(reverse("workflow:queue"))
    by_sensitivity = client.get(reverse("workflow:queue") + "?sort=sensitivity")

    assert [c.pk for c in by_date.context["page"]] == [calm.pk, hot.pk]
    assert [c.pk for c in by_sensitivity.context["page"]] == [hot.pk, calm.pk]
    body = by_sensitivity.content.decode()
    assert "most sensitive first" in body and 'class="sensitivity"' in body
    assert reverse("workflow:read_and_confirm", args=[calm.pk]) in body
    assert reverse("workflow:read_and_confirm", args=[hot.pk]) not in body


def test_read_and_confirm_needs_the_page_that_showed_every_paragraph(client, triaged):
    calm, hot = triaged["calm"], triaged["hot"]
    client.force_login(triaged["rita"])

    batch = client.get(reverse("workflow:triage")).content.decode()
    assert calm.reference_id in batch and hot.reference_id not in batch
    url = reverse("workflow:read_and_confirm", args=[calm.pk])
    page = client.get(url)
    body = page.content.decode()
    assert all(p.text in body for p in calm.paragraphs.all())
    token = page.context["token"]

    forged = client.post(url, {"shown": "not-a-token"}, follow=True)
    assert "Not confirmed" in forged.content.decode()
    # the page's token for another state of the cable: one paragraph more since
    extra = ParagraphFactory(cable=calm, ordinal=3, level=int(Level.U), text=released_text(6))
    stale = client.post(url, {"shown": token}, follow=True)
    assert "changed since the page showed them" in stale.content.decode()
    assert not Decision.objects.filter(cable=calm).exists()

    token = client.get(url).context["token"]
    done = client.post(url, {"shown": token}, follow=True)

    assert "3 paragraphs released as read and confirmed" in done.content.decode()
    decisions = Decision.objects.filter(cable=calm)
    assert {d.paragraph_id for d in decisions} == {*calm.paragraphs.values_list("pk", flat=True)}
    assert extra.pk in {d.paragraph_id for d in decisions}
    assert all(d.kind == "release" and d.origin.via == "batch" for d in decisions)

    hot_page = client.get(reverse("workflow:read_and_confirm", args=[hot.pk])).content.decode()
    assert 'id="not-offered"' in hot_page and 'id="confirm-form"' not in hot_page
