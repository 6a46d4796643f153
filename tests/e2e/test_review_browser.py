"""In a real browser: a reviewer approves, redacts a selected span and withholds;
a release authority then approves the release."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cables.ingest import CableSource, cables_import
from cables.models import Cable
from tests.cables.cable_text import reference_id, telegram
from tests.e2e.conftest import PASSWORD, login, screenshot
from workflow import permissions
from workflow.models import CableStatus, Clearance, Decision, ReviewState

pytestmark = pytest.mark.django_db(transaction=True)


def select_text(page, article: str, text: str) -> None:
    """Select ``text`` inside a paragraph the way a mouse drag would, then release."""
    page.evaluate(
        """([article, text]) => {
            const p = document.querySelector(article + ' [data-text]');
            const node = p.firstChild;
            const start = node.textContent.indexOf(text);
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + text.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            p.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }""",
        [article, text],
    )


def test_reviewer_decides_every_paragraph_and_an_approver_releases(live_server, page):
    users = get_user_model().objects
    rita = users.create_user("rita", "rita@example.org", PASSWORD)
    amos = users.create_user("amos", "amos@example.org", PASSWORD)
    for user in (rita, amos):
        Clearance.objects.create(user=user, level=3)
    cables_import([CableSource(name="c.txt", text=telegram())], workers=1)
    cable = Cable.objects.get(reference_id=reference_id())
    permissions.grant(permissions.REVIEW, rita, cable)
    permissions.grant(permissions.RELEASE, amos, cable)
    p1, p2, p3 = cable.paragraphs.order_by("ordinal")
    base = live_server.url

    login(page, base, "rita")
    page.goto(f"{base}/workflow/queue/")
    with page.expect_navigation():
        page.click(f"text={cable.reference_id}")
    page.wait_for_load_state("networkidle")

    # move with j/k, then approve paragraph 1 with the keyboard
    page.focus(f"#para-{p1.pk}")
    page.keyboard.press("j")
    assert page.evaluate("document.activeElement.id") == f"para-{p2.pk}"
    page.keyboard.press("k")
    assert page.evaluate("document.activeElement.id") == f"para-{p1.pk}"
    page.keyboard.press("a")
    page.wait_for_selector(f"#para-{p1.pk}.decided")
    # redact a selected span of paragraph 2
    select_text(page, f"#para-{p2.pk}", "press reported")
    page.fill(f"#para-{p2.pk} input[name=label]", "(b)(6)")
    page.click(f"#para-{p2.pk} button[value=redact]")
    page.wait_for_selector(f"#para-{p2.pk} mark.redacted")
    # withhold paragraph 3 with the keyboard
    page.fill(f"#para-{p3.pk} input[name=label]", "(b)(1) 1.4(d)")
    page.focus(f"#para-{p3.pk}")
    page.keyboard.press("w")
    page.wait_for_selector(f"#para-{p3.pk}.decided-withhold")
    assert page.inner_text("#progress") == "3 of 3 decided"
    screenshot(page, "review-decided")
    page.click("text=Mark review finished")
    page.wait_for_selector("text=is now reviewed")

    login(page, base, "amos")
    page.goto(f"{base}/releases/cables/{cable.pk}/approval/")
    assert "[withheld (b)(1) 1.4(d)]" in page.inner_text("table")
    assert "press reported" not in page.inner_text("table")
    screenshot(page, "release-approval")
    page.click("text=Approve for release")
    page.wait_for_selector("text=released as version 1")

    decisions = {d.paragraph_id: d for d in Decision.objects.all()}
    assert decisions[p1.pk].kind == "release"
    assert decisions[p2.pk].kind == "redact"
    assert p2.text[decisions[p2.pk].spans[0]["start"] : decisions[p2.pk].spans[0]["end"]] == (
        "press reported"
    )
    assert decisions[p3.pk].label == "(b)(1) 1.4(d)"
    assert CableStatus.objects.get(cable=cable).review_state == ReviewState.RELEASED
