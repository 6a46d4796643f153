"""An office's whole day in a real browser, through the product's pages only (issue 12).

Before the walk, only what an office has on its first morning: the demo admin as
``manage.py create_demo_admin`` makes it, and the cables of ``office_day/`` (written
for this test: an embassy's cable with a heading over two unnumbered paragraphs, a
personal name, a codename, a NOFORN paragraph and a classified subject, its
declassification date long past, and four more cables that a query tells apart)
imported by ``import_cables``.
From then on every step is a person at a browser, each in a browser session of
their own; the test reads only what a person could see, plus the e-mails they get
(``mail.outbox``) and, to check that the pages told the truth, the database.

1. The admin creates a reviewer (clearance C), a release authority (S) and a reader
   on the "add user" one-form page (roles as checkboxes, clearance by name); each
   newcomer chooses a password through the e-mailed one-time link.
2. The admin creates a term rule (codename, TAGS scope as a tag input) and a marking
   rule (NOFORN as a tag input, levels as checkboxes, dates from date pickers),
   dry-runs and activates each with its buttons.
3. The admin assigns by query, on the Assign work page, the two cables of the post
   due soonest (preview counts 3, then 2 with a batch size) to the reviewer, and the
   same cables' release to the authority.
4. The reviewer finds the batch on My batches and in the queue, opens the cable,
   accepts the term rule's proposal, redacts a name selected with the mouse (key r),
   withholds the NOFORN paragraph under the marking rule's exemption (key w),
   decides the heading and each unnumbered paragraph on its own, releases the
   classified subject line, and finishes.
5. The authority approves on the approval page, which shows the release as it will
   be published, header included; a reader finds it in the reading room with the
   name and the codename boxed and the NOFORN paragraph withheld.
6. The admin reads each step on the audit page.

Screenshots (``test-results/screenshots/``):
office-day-01-person-form.png, office-day-02-welcome-link.png,
office-day-03-term-rule-tags.png, office-day-04-term-rule-dry-run.png,
office-day-05-term-rule-active.png, office-day-06-marking-rule-form.png,
office-day-07-marking-rule-dry-run.png, office-day-08-marking-rule-active.png,
office-day-09-assign-preview.png, office-day-10-batch-assigned.png,
office-day-11-my-batches.png, office-day-12-queue.png,
office-day-13-review-selection.png, office-day-14-review-decided.png,
office-day-15-review-finished.png, office-day-16-approval.png,
office-day-17-released.png, office-day-18-reading-room.png,
office-day-19-release.png, office-day-20-audit.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from cables.models import Cable
from tests.e2e.conftest import roles_as_installed, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

OFFICE_DAY = Path(__file__).resolve().parent / "office_day"
CABLE = "07KESTREL412"
NAME = "Ilse Marwick"
CODENAME = "Operation Lanternfish"
NOFORN_TEXT = "two freighters from the northern yards changed flags last week"
STATEMENT = "The commission welcomes every visitor to the harbor and hopes for calm seas this year."
THANKS = "It thanks the dock workers for their patience."
PASSWORDS = {name: f"{name} chooses a long secret" for name in ("rita", "amos", "rhea")}


def shot(page: object, step: int, name: str) -> None:
    screenshot(page, f"office-day-{step:02d}-{name}")


def words(text: str) -> str:
    return " ".join(text.split())


def site_login(page, base: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login/" not in page.url, f"{username} could not log in"


def drag_select(page, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Select ``text`` in the element with the mouse: press before its first letter,
    drag to after its last, release."""
    page.locator(selector).scroll_into_view_if_needed()
    x0, y0, x1, y1 = page.evaluate(
        """([selector, text]) => {
            const element = document.querySelector(selector);
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode()) && !node.textContent.includes(text)) {}
            const at = node.textContent.indexOf(text);
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + 1);
            const first = range.getBoundingClientRect();
            range.setStart(node, at + text.length - 1);
            range.setEnd(node, at + text.length);
            const last = range.getBoundingClientRect();
            return [first.left + 0.5, first.top + first.height / 2,
                    last.right - 0.5, last.top + last.height / 2];
        }""",
        [selector, text],
    )
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()


def create_person(page, base: str, username: str, role: str | None, clearance: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/admin/")
    with page.expect_navigation():
        page.locator("tr.model-user a.addlink").click()
    page.fill("#id_username", username)
    page.fill("#id_first_name", username.capitalize())
    page.fill("#id_last_name", "Newcomer")
    page.fill("#id_email", f"{username}@example.org")
    if role:
        page.get_by_role("checkbox", name=role, exact=True).check()
    page.select_option("#id_clearance", label=clearance)
    if username == "rita":
        shot(page, 1, "person-form")
    with page.expect_navigation():
        page.click("input[name=_save]")
    messages = page.inner_text("ul.messagelist")
    assert f"The user “{username}” was added successfully" in messages, messages
    assert f"A link to set the password was e-mailed to {username}@example.org." in messages


def set_password_by_mailed_link(page, username: str) -> None:  # type: ignore[no-untyped-def]
    (message,) = [m for m in mail.outbox if m.to == [f"{username}@example.org"]]
    assert f"user name: {username}" in message.body
    link = re.search(r"https?://\S+/welcome/\S+/", message.body).group(0)
    page.goto(link)
    page.fill("#id_new_password1", PASSWORDS[username])
    page.fill("#id_new_password2", PASSWORDS[username])
    if username == "rita":
        shot(page, 2, "welcome-link")
    with page.expect_navigation():
        page.locator("input[type=submit]").click()
    assert "Password set" in page.content()


def add_rule(page, base: str, fill: Callable[[], None]) -> str:  # type: ignore[no-untyped-def]
    """Open the rule form, let ``fill`` fill it in, save and continue: the change page's URL."""
    page.goto(f"{base}/admin/")
    with page.expect_navigation():
        page.locator("tr.model-redactionrule a.addlink").click()
    fill()
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert "was added successfully" in page.inner_text("ul.messagelist")
    return page.url


def dry_run_and_activate(page, change_url: str, step: int, name: str, hits: str) -> None:  # type: ignore[no-untyped-def]
    """The rule's Dry run link, then its Activate button; the page then says it is live."""
    with page.expect_navigation():
        page.get_by_role("link", name="Dry run v1").click()
    result = words(page.inner_text("#content"))
    assert hits in result, result
    shot(page, step, f"{name}-dry-run")
    page.goto(change_url)
    assert "Not active" in page.inner_text("#rule-live-status")
    with page.expect_navigation():
        page.get_by_role("button", name="Activate v1").click()
    assert "Version 1 is live; re-applying rules" in page.inner_text("ul.messagelist")
    assert "Version 1 is live." in page.inner_text("#rule-live-status")
    assert page.get_by_role("button", name="Deactivate").is_visible()
    shot(page, step + 1, f"{name}-active")


def test_an_office_day_through_the_pages_only(live_server, person, tmp_path):
    # -- the first morning: the demo admin, and the cables imported ----------------------
    roles_as_installed()
    created = io.StringIO()
    call_command("create_demo_admin", stdout=created)
    admin_password = re.search(r"with password: (\S+)", created.getvalue()).group(1)
    call_command("import_cables", str(OFFICE_DAY), "--workers=1", stdout=io.StringIO())
    assert Cable.objects.count() == 5
    base = live_server.url
    mail.outbox.clear()

    admin = person()
    admin.goto(f"{base}/admin/login/")
    admin.fill("#id_username", "admin")
    admin.fill("#id_password", admin_password)
    with admin.expect_navigation():
        admin.click("input[type=submit]")
    assert "Site administration" in admin.inner_text("#content")

    # -- 1. people: one form each, the password chosen through the e-mailed link ---------
    create_person(admin, base, "rita", "reviewer", "CONFIDENTIAL")
    create_person(admin, base, "amos", "release authority", "SECRET")
    create_person(admin, base, "rhea", None, "UNCLASSIFIED")
    admin.goto(f"{base}/admin/workflow/clearance/")
    for username, level in (("rita", "CONFIDENTIAL"), ("amos", "SECRET"), ("rhea", "UNCLASSIFIED")):
        assert level in admin.locator("#result_list tbody tr", has_text=username).inner_text()

    pages = {}
    for username in ("rita", "amos", "rhea"):
        pages[username] = person()
        set_password_by_mailed_link(pages[username], username)
        site_login(pages[username], base, username, PASSWORDS[username])
    rita, amos, rhea = pages["rita"], pages["amos"], pages["rhea"]

    # -- 2. rules: real widgets, dry run, activate ----------------------------------------
    def term_rule() -> None:
        admin.fill("#id_name", "Lanternfish codename")
        admin.select_option("#id_kind", "terms")
        admin.fill("#id_terms", CODENAME)
        admin.fill("#id_label", "(b)(1) 1.4(c)")
        admin.select_option("#id_action", "redact")
        admin.click("#id_scope_tags")
        admin.keyboard.type("pter")
        admin.keyboard.press("Enter")  # a tag chip, not a submitted form
        admin.locator(".tag-chip[data-value=PTER]").wait_for()
        shot(admin, 3, "term-rule-tags")

    term_url = add_rule(admin, base, term_rule)
    # the codename is in two cables; the rule's TAGS scope keeps one of them
    dry_run_and_activate(admin, term_url, 4, "term-rule", "1 paragraph in 1 cable hit")

    def marking_rule() -> None:
        admin.fill("#id_name", "NOFORN paragraphs")
        admin.select_option("#id_kind", "marking")
        admin.fill("#id_label", "(b)(1) 1.4(d)")
        admin.select_option("#id_action", "withhold")
        admin.click("#id_controls")
        admin.keyboard.type("NOFORN")
        admin.keyboard.press("Enter")
        admin.locator(".tag-chip[data-value=NOFORN]").wait_for()
        admin.get_by_role("checkbox", name="CONFIDENTIAL", exact=True).check()
        admin.fill("#id_scope_from", "2007-01-01")  # the browser's date pickers
        admin.fill("#id_scope_to", "2007-12-31")
        shot(admin, 6, "marking-rule-form")

    marking_url = add_rule(admin, base, marking_rule)
    # ¶4 is marked NOFORN; the heading and the two unnumbered paragraphs inherit it
    dry_run_and_activate(admin, marking_url, 7, "marking-rule", "4 paragraphs in 1 cable hit")

    # -- 3. work: the two cables of the post due soonest, by query ------------------------
    def assign(username: str, permission: str, step: int | None) -> str:
        admin.goto(f"{base}/workflow/queue/")
        with admin.expect_navigation():
            admin.click("nav >> text=Assign work")
        admin.fill("#id_post", "Embassy Kestrel")
        admin.fill("#id_due_within_days", "0")  # the date has passed
        admin.wait_for_function("document.querySelector('#preview-count')?.textContent === '3'")
        admin.fill("#id_limit", "2")
        admin.wait_for_function("document.querySelector('#preview-count')?.textContent === '2'")
        preview = admin.inner_text("#preview")
        assert CABLE in preview and "07KESTREL410" in preview
        assert "07KESTREL418" not in preview and "07KESTREL430" not in preview
        assert "07MERLIN201" not in preview
        admin.type("#id_assignee", username[:2], delay=50)
        admin.wait_for_selector(f"#assignee-options option[value={username}]", state="attached")
        admin.fill("#id_assignee", username)
        admin.select_option("#id_permission", permission)
        admin.wait_for_function(
            f"document.querySelector('#preview').textContent.includes('to {username}')"
        )
        if step:
            shot(admin, step, "assign-preview")
        with admin.expect_navigation():
            admin.click("button[name=go]")
        message = admin.inner_text(".messages")
        assert f"{permission} on 2 cables assigned to {username}" in message, message
        return message

    assign("rita", "review", 9)
    shot(admin, 10, "batch-assigned")
    assign("amos", "release", None)

    # -- 4. the reviewer: the batch, the queue, the cable ---------------------------------
    rita.goto(f"{base}/workflow/queue/")
    with rita.expect_navigation():
        rita.click("nav >> text=My batches")
    (batch_row,) = rita.locator("tbody tr").all()
    assert batch_row.locator(".batch-reviewed").inner_text() == "0 of 2"
    assert batch_row.locator(".batch-decided").inner_text() == "0 of 9"
    shot(rita, 11, "my-batches")
    with rita.expect_navigation():
        batch_row.locator("a").first.click()
    batch_page = rita.inner_text("main")
    assert CABLE in batch_page and "07KESTREL410" in batch_page
    with rita.expect_navigation():
        rita.click("nav >> text=Review queue")
    queue = rita.inner_text("table")
    assert CABLE in queue and "07KESTREL410" in queue
    # dated at import from its DECL line, long past
    assert "2017-03-14" in rita.locator("tbody tr", has_text=CABLE).inner_text()
    assert "07KESTREL418" not in queue and "07MERLIN201" not in queue
    shot(rita, 12, "queue")
    with rita.expect_navigation():
        rita.click(f"text={CABLE}")
    rita.wait_for_load_state("networkidle")
    ids = dict(Cable.objects.get(reference_id=CABLE).paragraphs.values_list("ordinal", "pk"))
    p1, p2, p3, p4, heading, statement, thanks = (f"#para-{ids[n]}" for n in range(1, 8))

    # the codename as the active term rule proposes it: accepted with Redact
    assert rita.inner_text(f"{p2} mark.proposed") == CODENAME
    rita.click(f"{p2} button[value=redact]")
    rita.wait_for_selector(f"{p2} mark.redacted")
    assert rita.inner_text(f"{p2} mark.redacted") == CODENAME
    assert rita.inner_text(f"{p2} ul.spans").startswith(f"«{CODENAME}» (b)(1) 1.4(c)")

    # the name, selected with the mouse, redacted with the key r
    rita.fill(f"{p3} input[name=label]", "(b)(6)")
    drag_select(rita, f"{p3} [data-text]", NAME)
    assert f"Selected “{NAME}”" in rita.inner_text(f"{p3} .selection")
    shot(rita, 13, "review-selection")
    rita.keyboard.press("r")
    rita.wait_for_selector(f"{p3} mark.redacted")
    assert rita.inner_text(f"{p3} mark.redacted") == NAME
    assert rita.inner_text(f"{p3} ul.spans").startswith(f"«{NAME}» (b)(6)")

    # ¶4 withheld under the marking rule's proposal, with the key w
    assert "proposed: withhold (b)(1) 1.4(d)" in rita.inner_text(f"{p4} .para-head")
    rita.focus(p4)
    rita.keyboard.press("w")
    rita.wait_for_selector(f"{p4}.decided-withhold")
    assert rita.inner_text(f"{p4} .para-state") == "Withhold in full (b)(1) 1.4(d) · rita"

    # ¶1 approved with the key a; then the heading and each unnumbered paragraph after
    # it, portions of their own (not the end of ¶4), each decided on its own
    rita.focus(p1)
    rita.keyboard.press("a")
    rita.wait_for_selector(f"{p1}.decided-release")
    assert rita.get_by_role("heading", name="Statement by the commission").is_visible()
    assert rita.inner_text(f"{statement} .para-head").startswith("Unnumbered paragraph")
    assert rita.inner_text(f"{statement} [data-text]") == STATEMENT
    assert rita.inner_text(f"{thanks} [data-text]") == THANKS
    assert rita.inner_text(f"{p4} [data-text]").endswith("changed flags last week.")
    for n, portion in enumerate((heading, statement, thanks), start=5):
        rita.click(f"{portion} button[value=release]")
        rita.wait_for_selector(f"{portion}.decided-release")
        assert rita.inner_text("#progress") == f"{n} of 7 decided"
    assert rita.locator(f"{p4}.decided-withhold").count() == 1  # still withheld
    # the classified subject line is a portion too: released whole
    assert "HARBOR COMMISSION MEETS" in rita.inner_text("#subject-portion .subject-text")
    rita.click("#subject-portion button[value=release]")
    rita.wait_for_selector("#subject-portion.decided-release")
    shot(rita, 14, "review-decided")
    with rita.expect_navigation():
        rita.click("text=Mark review finished")
    assert f"{CABLE} is now reviewed" in rita.inner_text(".messages")
    with rita.expect_navigation():
        rita.click("nav >> text=My batches")
    assert rita.locator("tbody tr .batch-reviewed").inner_text() == "1 of 2"
    assert rita.locator("tbody tr .batch-decided").inner_text() == "7 of 9"
    shot(rita, 15, "review-finished")

    # -- 5. the authority approves; a reader finds the release ---------------------------
    amos.goto(f"{base}/workflow/queue/")
    with amos.expect_navigation():
        amos.click(f"tr:has-text('{CABLE}') >> text=approval")
    shown = words(amos.inner_text("#release-preview .release-document"))
    for line in ("RELEASED IN PART B1, 1.4(C), 1.4(D), B6", "REVIEW AUTHORITY: AMOS NEWCOMER",
                 "CLASSIFICATION: CONFIDENTIAL//NOFORN", f"REFERENCE ID: {CABLE}",
                 "DATE: 141020Z MAR 07", "FM: AMEMBASSY KESTREL", "TAGS: PREL PTER XV",
                 "SUBJECT: HARBOR COMMISSION MEETS; PORT SECURITY REVIEW",
                 "1. (U) Summary: The harbor commission met on Monday",
                 "2. (C) The port director said that the customs inspections under (b)(1) 1.4(c) "
                 "would end in May.",
                 "3. (C) Deputy mayor (b)(6) asked that her remarks stay private",
                 "4. (C//NF) [PARAGRAPH 4 WITHHELD IN FULL: (b)(1) 1.4(d)]",
                 f"Statement by the commission {STATEMENT} {THANKS}"):  # fmt: skip
        assert line in shown, (line, shown)
    for secret in (NAME, "Marwick", "Lanternfish", NOFORN_TEXT):
        assert secret not in amos.content()
    shot(amos, 16, "approval")
    with amos.expect_navigation():
        amos.click("text=Approve for release")
    assert f"{CABLE} released as version 1." in amos.inner_text(".messages")
    shot(amos, 17, "released")

    rhea.goto(f"{base}/releases/")
    rhea.fill("input[name=q]", "dock workers")
    with rhea.expect_navigation():
        rhea.click("button:has-text('Search')")
    assert CABLE in rhea.inner_text("table.releases")
    shot(rhea, 18, "reading-room")
    with rhea.expect_navigation():
        rhea.click(f"text={CABLE}")
    released = words(rhea.inner_text("pre.release-text"))
    assert "Deputy mayor [(b)(6)] asked that her remarks stay private" in released, released
    assert "customs inspections under [(b)(1) 1.4(c)] would end in May" in released
    assert "4. (C//NF) [PARAGRAPH 4 WITHHELD IN FULL: (b)(1) 1.4(d)]" in released
    assert STATEMENT in released and THANKS in released
    for secret in (NAME, "Marwick", "Lanternfish", NOFORN_TEXT):
        assert secret not in rhea.content()
    shot(rhea, 19, "release")
    # the HTML release as the reader downloads and opens it: each redaction a box
    with rhea.expect_download() as download:
        rhea.click("a:has-text('release.html')")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"{CABLE}-v1-release.html"
    rhea.goto(saved.as_uri())
    boxes = rhea.locator(".paragraphs .redaction")
    assert boxes.all_inner_texts() == ["(b)(1) 1.4(c)", "(b)(6)"]
    assert boxes.first.evaluate("b => getComputedStyle(b).borderTopStyle") == "solid"
    assert rhea.inner_text(".paragraphs .withheld-line") == (
        "[PARAGRAPH 4 WITHHELD IN FULL: (b)(1) 1.4(d)]"
    )

    # -- 6. the admin reads each step in the audit trail ----------------------------------
    admin.goto(f"{base}/workflow/queue/")
    with admin.expect_navigation():
        admin.click("nav >> text=Audit")
    shot(admin, 20, "audit")
    trail = admin.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
    )
    columns = ("id", "at", "who", "action", "object", "cable", "before", "after")
    entries = [dict(zip(columns, row, strict=True)) for row in reversed(trail)]  # oldest first

    def seen(action: str, who: str, cable: str = "", *within: str) -> list[dict]:
        found = [
            e for e in entries if e["action"] == action and e["who"] == who
            and e["cable"] == cable and all(w in e["before"] + e["after"] for w in within)
        ]  # fmt: skip
        assert found, (action, who, cable, within, entries)
        return found

    for username, role, level in (("rita", "reviewer", "CONFIDENTIAL"),
                                  ("amos", "release authority", "SECRET"),
                                  ("rhea", None, "UNCLASSIFIED")):  # fmt: skip
        seen("user.created", "admin", "", f"'user': '{username}'", "by e-mailed link")
        seen("clearance.changed", "admin", "", f"'user': '{username}'", f"'level': '{level}'")
        if role:
            seen("groups.changed", "admin", "", f"'user': '{username}'", f"'groups': ['{role}']")
    for name in ("Lanternfish codename", "NOFORN paragraphs"):
        (saved,) = seen("rule.saved", "admin", "", f"'name': '{name}'")
        # the activation names the same rule (the audit page's Object column)
        (activated,) = [
            e for e in entries if e["action"] == "rule.activated" and e["object"] == saved["object"]
        ]
        assert "'active': True, 'version': 1" in activated["after"]
    seen("assignment.created", "admin", "", "'to': 'rita'", "'review_cable'", CABLE)
    seen("assignment.created", "admin", "", "'to': 'amos'", "'release_cable'", CABLE)
    decisions = seen("decision.recorded", "rita", CABLE)
    assert sorted(re.search(r"'kind': '(\w+)'", e["after"]).group(1) for e in decisions) == [
        "redact", "redact", "release", "release", "release", "release", "withhold",
    ]  # fmt: skip
    seen("decision.recorded", "rita", CABLE, "'label': '(b)(6)'")
    seen("subject_decision.recorded", "rita", CABLE, "'kind': 'release'")
    seen("state.changed", "rita", CABLE, "'state': 'in_review'")
    seen("state.changed", "rita", CABLE, "'state': 'reviewed'")
    seen("release.approved", "amos", CABLE)
    seen("state.changed", "amos", CABLE, "'state': 'approved'")
    seen("release.published", "amos", CABLE, "RELEASED IN PART")
    seen("state.changed", "amos", CABLE, "'state': 'released'")
    order = [e["action"] for e in entries if e["action"] in
             ("user.created", "rule.activated", "assignment.created", "decision.recorded",
              "release.approved", "release.published")]  # fmt: skip
    assert order == sorted(order, key=[
        "user.created", "rule.activated", "assignment.created", "decision.recorded",
        "release.approved", "release.published",
    ].index)  # fmt: skip
