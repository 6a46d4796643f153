"""In a real browser, decide once: a reviewer accepts a near-duplicate's decision with
one key; a supervisor previews a propagation, then applies it; a second reviewer
re-decides a QC sample without ever seeing the first decision."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from cables.markings import Level
from cables.similarity import store
from tests.e2e.conftest import login, screenshot
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, DecisionOrigin, QCReview, ReviewState
from workflow.review import decision_record

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "Rosa Quint"
QUOTED = (
    f"The political counselor met {NAME} of the opposition council on Tuesday; she said "
    "the council would boycott the vote unless the electoral commission published the "
    "voter rolls, and asked that the embassy raise the matter with the interior minister."
)
EDITED = QUOTED.replace("on Tuesday", "on Wednesday")


def person(name, *, supervisor=False):
    user = UserFactory(username=name)  # password: tests.e2e.conftest.PASSWORD
    Clearance.objects.create(user=user, level=int(Level.TS))
    if supervisor:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="workflow", codename="supervise_review")
        )
    return user


def cable_with(*texts, state=ReviewState.IN_REVIEW):
    cable = CableFactory(level=int(Level.C), review_state=state, subject_level=int(Level.U))
    for n, text in enumerate(texts, 1):
        ParagraphFactory(cable=cable, ordinal=n, level=int(Level.C), text=text)
    store.index_cables([cable.pk])
    return cable


def test_a_near_duplicates_decision_is_accepted_with_one_key(live_server, page):
    wanda, rita = person("wanda"), person("rita")
    a = cable_with(QUOTED)
    start = QUOTED.index(NAME)
    source = Decision.objects.create(
        cable=a,
        paragraph=a.paragraphs.get(),
        kind="redact",
        spans=[{"start": start, "end": start + len(NAME), "label": "(b)(6)"}],
        decided_by=wanda,
        decided_at=timezone.now(),
    )
    b = cable_with(EDITED, "The weather was fine and nothing else was said at the meeting today.")
    permissions.grant(permissions.REVIEW, rita, b)
    p1 = b.paragraphs.get(ordinal=1)
    base = live_server.url

    login(page, base, "rita")
    page.goto(f"{base}/workflow/cables/{b.pk}/review/")
    suggestion = page.locator(f"#para-{p1.pk} aside.suggestion")
    shown = suggestion.inner_text()
    assert "Suggested: Release with redactions" in shown
    assert "«Rosa Quint» (b)(6)" in shown and "similarity" in shown
    assert a.reference_id not in page.inner_text("main")  # rita may not read cable A
    assert "s accept the paragraph's suggested decision" in page.inner_text("main")
    screenshot(page, "decide-once-suggestion")

    page.focus(f"#para-{p1.pk}")
    page.keyboard.press("s")
    page.wait_for_selector(f"#para-{p1.pk}.decided-redact")

    decision = Decision.objects.get(paragraph=p1)
    assert decision.decided_by == rita
    assert [p1.text[s["start"] : s["end"]] for s in decision.spans] == [NAME]
    assert decision.origin.via == DecisionOrigin.Via.REUSE
    assert decision.origin.source_decision == source
    assert page.inner_text(f"#para-{p1.pk} ul.spans").startswith("«Rosa Quint» (b)(6)")
    assert not Decision.objects.filter(paragraph__cable=b, paragraph__ordinal=2).exists()


def test_a_supervisor_previews_a_propagation_then_applies_it(live_server, page):
    wanda, sue = person("wanda"), person("sue", supervisor=True)
    home = cable_with(QUOTED)
    permissions.grant(permissions.REVIEW, wanda, home)
    source = decision_record(
        user=wanda,
        paragraph=home.paragraphs.get(),
        kind="withhold",
        label="(b)(1) 1.4(d)",
        based_on=None,
    )
    b = cable_with(EDITED, state=ReviewState.DUE)
    c = cable_with(QUOTED)
    for cable in (home, b, c):
        permissions.grant(permissions.REVIEW, sue, cable)
    base = live_server.url

    login(page, base, "sue")
    page.goto(f"{base}/workflow/cables/{home.pk}/review/")
    with page.expect_navigation():
        page.click("text=Apply to near-duplicates")
    preview = page.inner_text("#propagation-preview")
    assert b.reference_id in preview and c.reference_id in preview
    assert "not decided" in preview and "Withhold in full (b)(1) 1.4(d)" in preview
    assert "Wednesday" in preview  # each affected paragraph's own text
    assert Decision.objects.count() == 1  # the preview records nothing
    screenshot(page, "decide-once-propagation-preview")

    with page.expect_navigation():
        page.click("text=Apply to the selected paragraphs")
    assert "Recorded 2 decisions as yours" in page.inner_text(".messages")
    assert "two-person rule" in page.inner_text(".messages")
    screenshot(page, "decide-once-propagation-applied")

    recorded = Decision.objects.exclude(pk=source.pk)
    assert {d.cable_id for d in recorded} == {b.pk, c.pk}
    for d in recorded:
        assert d.decided_by == sue and d.kind == "withhold" and d.label == "(b)(1) 1.4(d)"
        assert d.origin.via == DecisionOrigin.Via.PROPAGATED and d.origin.source_decision == source


def test_a_qc_sample_is_redecided_blind(live_server, page, settings):
    settings.DECLASS_QC_SAMPLE_PCT = 100  # every decision is sampled: the test is exact
    first, second = person("first"), person("second")
    cable = cable_with("The source named in this paragraph met the ambassador twice in May.")
    for user in (first, second):
        permissions.grant(permissions.REVIEW, user, cable)
    sample = decision_record(
        user=first,
        paragraph=cable.paragraphs.get(),
        kind="withhold",
        label="(b)(1) 1.4(c)",
        based_on=None,
    )
    base = live_server.url

    login(page, base, "second")
    page.goto(f"{base}/workflow/queue/")
    with page.expect_navigation():
        page.click("text=Second look")
    task = page.locator(f"#task-{sample.pk}")
    shown = task.inner_text()
    assert "met the ambassador twice in May" in shown
    everything = page.inner_text("main")
    assert "Withhold in full" not in everything and "first" not in shown
    assert "1.4(c)" not in page.content().split('id="samples"', 1)[1]
    screenshot(page, "decide-once-second-look")

    page.fill(f"#task-{sample.pk} input[name=label]", "(b)(6)")
    page.focus(f"#task-{sample.pk}")
    with page.expect_navigation():
        page.keyboard.press("w")
    assert "Second look recorded." in page.inner_text(".messages")
    assert page.locator("#no-samples").is_visible()

    review = QCReview.objects.get()
    assert review.decision == sample and review.reviewer == second
    assert review.kind == "withhold" and review.label == "(b)(6)"
    assert review.agrees is False  # another exemption than the first reviewer's
