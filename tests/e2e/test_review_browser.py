"""In a real browser: a reviewer approves, redacts a selected span and withholds;
a release authority then approves the release.  A redacted name's other forms are
found and redacted too; headings read as headings; each persona is offered only their
own moves; flags explain themselves; queue dates do not wrap."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from cables.ingest import CableSource, cables_import
from cables.markings import Level
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
    # the (C) subject is a portion too: withheld whole under an exemption
    page.fill("#subject-portion input[name=label]", "(b)(1) 1.4(d)")
    page.click("#subject-portion button[value=withhold]")
    page.wait_for_selector("#subject-portion.decided-withhold")
    page.click("text=Mark review finished")
    page.wait_for_selector("text=is now reviewed")

    login(page, base, "amos")
    page.goto(f"{base}/releases/cables/{cable.pk}/approval/")
    shown = page.inner_text("main")
    assert re.search(r"withheld[^\]]*\(b\)\(1\) 1\.4\(d\)", shown, re.IGNORECASE)
    assert "press reported" not in shown
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


QUINT_CABLE = (
    "1. (C) The defector Rosa Quint met the Ambassador at the Embassy on Tuesday.",
    "2. (C) QUINT, Rosa told the Political Counselor that she would return to Lagos.",
    "3. (C) Rosa M. Quint is expected to ask the Embassy for a visa."
    "\n\nSyria/Lebanon\n-------------",
    "4. (C) The minister said the cabinet was divided.\n\nPress statement\n---------------",
    "Our contacts welcomed the talks today.",
    "It hopes for progress soon.",
)


def test_a_redacted_name_is_found_elsewhere_and_redacted_too_then_the_authority_releases(
    live_server, page
):
    users = get_user_model().objects
    rita = users.create_user("rita", "rita@example.org", PASSWORD)
    amos = users.create_user("amos", "amos@example.org", PASSWORD)
    for user in (rita, amos):
        Clearance.objects.create(user=user, level=int(Level.C))
    cables_import([CableSource(name="q.txt", text=telegram(paragraphs=QUINT_CABLE))], workers=1)
    cable = Cable.objects.get(reference_id=reference_id())
    Cable.objects.filter(pk=cable.pk).update(declass_flags=["F_FGI"])
    permissions.grant(permissions.REVIEW, rita, cable)
    permissions.grant(permissions.RELEASE, amos, cable)
    rows = {(p.number or p.text): p for p in cable.paragraphs.order_by("ordinal")}
    p1, p2, p3 = rows["1"], rows["2"], rows["3"]
    heading = rows["Syria/Lebanon"]
    statement = rows["Our contacts welcomed the talks today."]
    base = live_server.url

    login(page, base, "rita")
    page.goto(f"{base}/workflow/cables/{cable.pk}/review/")
    # the flag explains itself, on hover and on its help page
    flag = page.locator("a.flag", has_text="F_FGI")
    assert flag.get_attribute("title").startswith("Foreign government information: ")
    # headings read as headings, not as the end of the paragraph above
    assert page.get_by_role("heading", name="Syria/Lebanon").is_visible()
    assert "Syria" not in page.inner_text(f"#para-{p3.pk} [data-text]")

    # redact "Rosa Quint" in paragraph 1 by selecting it
    select_text(page, f"#para-{p1.pk}", "Rosa Quint")
    page.fill(f"#para-{p1.pk} input[name=label]", "(b)(6)")
    page.click(f"#para-{p1.pk} button[value=redact]")
    page.wait_for_selector(f"#para-{p1.pk} mark.redacted")
    # listed by the words it removes, not by offsets
    assert page.inner_text(f"#para-{p1.pk} ul.spans").startswith("«Rosa Quint» (b)(6)")
    # the other forms of the name are listed at once (htmx, out of band)
    panel = page.wait_for_selector("#occurrences .occurrence-group")
    listed = panel.inner_text()
    assert "¶2: …QUINT, Rosa told" in listed and "¶3: …Rosa M. Quint is expected" in listed
    screenshot(page, "review-occurrences")
    with page.expect_navigation():
        page.click("text=Redact these too ((b)(6))")
    assert "Redacted in 2 more paragraphs." in page.inner_text(".messages")
    assert page.inner_text(f"#para-{p2.pk} mark.redacted") == "QUINT, Rosa"
    assert page.inner_text(f"#para-{p3.pk} mark.redacted") == "Rosa M. Quint"

    # the unnumbered paragraph after a heading is decided on its own: withheld
    page.fill(f"#para-{statement.pk} input[name=label]", "(b)(5)")
    page.click(f"#para-{statement.pk} button[value=withhold]")
    page.wait_for_selector(f"#para-{statement.pk}.decided-withhold")
    for p in cable.paragraphs.exclude(pk__in=Decision.objects.values("paragraph_id")).order_by(
        "ordinal"
    ):
        page.click(f"#para-{p.pk} button[value=release]")
        page.wait_for_selector(f"#para-{p.pk}.decided-release")
    assert page.inner_text("#progress") == "8 of 8 decided"
    page.click("#subject-portion button[value=release]")  # the (C) subject: released
    page.wait_for_selector("#subject-portion.decided-release")
    page.click("text=Mark review finished")
    page.wait_for_selector("text=is now reviewed")
    decisions = {d.paragraph_id: d.kind for d in Decision.objects.order_by("id")}
    assert decisions[statement.pk] == "withhold" and decisions[heading.pk] == "release"

    # the release authority is offered only their own moves
    login(page, base, "amos")
    page.goto(f"{base}/workflow/queue/")
    assert "Mark review finished" not in page.inner_text("#bulk")
    screenshot(page, "queue-as-authority")
    with page.expect_navigation():
        page.click(f"tr:has-text('{cable.reference_id}') >> text=approval")
    screenshot(page, "approval-quint")
    page.click("text=Approve for release")
    page.wait_for_selector("text=released as version 1")
    assert CableStatus.objects.get(cable=cable).review_state == ReviewState.RELEASED


def test_queue_dates_never_wrap_down_to_1024_pixels(live_server, page):
    from datetime import date, timedelta

    from tests.factories import CableFactory

    users = get_user_model().objects
    rita = users.create_user("rita", "rita@example.org", PASSWORD)
    long_subject = "(U) " + " ".join(["A LONG SUBJECT LINE ABOUT THE TALKS"] * 6)
    for i in range(5):
        c = CableFactory(
            review_state=ReviewState.DUE, subject=long_subject, origin="EMBASSY PORT MORESBY",
            declass_date=date(2016, 2, 10) + timedelta(days=i), declass_flags=["F_FGI"],
        )  # fmt: skip
        permissions.grant(permissions.REVIEW, rita, c)
    base = live_server.url
    login(page, base, "rita")
    for width in (1280, 1100, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{base}/workflow/queue/")
        heights = page.evaluate(
            """() => Array.from(document.querySelectorAll('td.date')).map(td => {
                const range = document.createRange();
                range.selectNodeContents(td);
                return range.getClientRects().length;
            })"""
        )
        assert heights == [1] * 5, (width, heights)  # one line box each: no wrap
    screenshot(page, "queue-1024")
