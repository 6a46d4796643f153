"""An office's everyday journey in a real browser, one person per role.

The office-day test walks the day as the demo superuser, who may do everything; here
each step is taken by the person whose role it is, with only the rights that role
installs (``workflow.roles``, as the migrations give them), and only through the
links and forms that person can click from the home page, the site's menu or the
admin's pages.  Setup is what an office has before anyone clicks: the demo superuser
(``create_demo_admin``), the people holding each role, the cables of ``office_day/``
imported, and the due sweep that beat runs.

1. The superuser gives the supervisor, the admin and the rule editor their scope
   (view on every cable, on *Assign work*); the security officer creates the
   reviewer with her role and clearance in one form; she chooses her password
   through the e-mailed link; the admin grants her one cable from the admin's cable
   list.
2. The supervisor assigns her the next two due cables of a post, and their release
   to the release authority, and reads the workload.
3. The rule editor creates a term rule, dry-runs it, activates it and sees its
   re-application job at 100%, edits it (version 2), dry-runs and activates that,
   and activates then deactivates a second rule.
4. The reviewer finds the cable in her queue and releases, redacts a proposed span
   and a span she selects with an exemption, withholds, refers, and finishes.
5. The release authority is told the referral blocks the release and returns the
   cable with a note; the reviewer answers the referral and finishes again; the
   authority approves and publishes; the release shows each redaction.
6. The auditor reads every step on the audit page.

Each test after the walk proves that a defect found on the way is gone: it walks the
same pages to the place where the journey broke (it was marked ``xfail(strict=True)``
while it did) and asserts what a person should see there.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.management import call_command

from audit.trail import NOTE_WITHHELD
from cables.markings import Level
from cables.models import Cable
from tests.e2e.conftest import PASSWORD, roles_as_installed, screenshot
from tests.e2e.test_office_day_browser import drag_select
from tests.factories import UserFactory
from workflow.models import Clearance
from workflow.sweep import declass_due_sweep

pytestmark = pytest.mark.django_db(transaction=True)

OFFICE_DAY = Path(__file__).resolve().parent / "office_day"
CABLE = "07KESTREL412"  # seven portions and a classified subject
SHORT = "07KESTREL410"  # two paragraphs and a classified subject
NAME = "Ilse Marwick"
CODENAME = "Operation Lanternfish"
RITA_PASSWORD = "rita chooses a long secret"
RETURN_NOTE = "Paragraph 2 needs the codename redacted under 1.4(c)"

# The people an office has before the journey, each with the role and clearance the
# security officer gave them (staff where the role works in the admin).
PEOPLE = {
    "sol": ("security officer", Level.TS, True),
    "sam": ("supervisor", Level.S, False),
    "ada": ("admin", Level.S, True),
    "eddie": ("rule editor", Level.S, True),
    "amos": ("release authority", Level.S, False),
    "aude": ("auditor", Level.U, True),
}


def initial_user(username: str, role: str | None, level: Level, *, staff: bool = False):  # type: ignore[no-untyped-def]
    """A person the office already has (setup, not a step of the journey)."""
    user = UserFactory(username=username, is_staff=staff, email=f"{username}@example.org")
    user.set_password(PASSWORD)
    user.save()
    if role:
        user.groups.add(Group.objects.get(name=role))
    Clearance.objects.create(user=user, level=int(level))
    return user


@dataclass
class Office:
    base: str
    admin_password: str


@pytest.fixture
def office(live_server) -> Office:  # type: ignore[no-untyped-def]
    """The morning before the journey: roles, the demo superuser, the people, the
    cables imported and the due sweep run (as beat runs it)."""
    roles_as_installed()
    created = io.StringIO()
    call_command("create_demo_admin", stdout=created)
    admin_password = re.search(r"with password: (\S+)", created.getvalue()).group(1)
    call_command("import_cables", str(OFFICE_DAY), "--workers=1", stdout=io.StringIO())
    declass_due_sweep()
    for username, (role, level, staff) in PEOPLE.items():
        initial_user(username, role, level, staff=staff)
    mail.outbox.clear()
    return Office(base=live_server.url, admin_password=admin_password)


def words(text: str) -> str:
    return " ".join(text.split())


def login(page, base: str, username: str, password: str = PASSWORD) -> None:  # type: ignore[no-untyped-def]
    """Open the site's address and log in on the page it shows."""
    page.goto(f"{base}/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login/" not in page.url, f"{username} could not log in"


def open_as(person: Callable[[], object], office: Office, username: str):  # type: ignore[no-untyped-def]
    page = person()
    password = office.admin_password if username == "admin" else PASSWORD
    login(page, office.base, username, password)
    return page


def nav(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """A link of the site's menu."""
    with page.expect_navigation():
        page.click(f"nav >> text={name}")


def admin_home(page) -> None:  # type: ignore[no-untyped-def]
    """The admin's index, from the site's menu or from an admin page's breadcrumbs."""
    link = page.locator(".breadcrumbs a:text-is('Home')")
    with page.expect_navigation():
        if link.count():
            link.click()
        else:
            page.click("nav >> text=Admin")


def admin_model(page, model: str) -> None:  # type: ignore[no-untyped-def]
    admin_home(page)
    with page.expect_navigation():
        page.click(f"tr.model-{model} th a")


def assign(page, who: str, permission: str, *, post: str = "", limit: str = "") -> str:  # type: ignore[no-untyped-def]
    """*Assign work* from the menu: due cables of ``post`` (every cable when no post is
    given), the next ``limit`` of them, to ``who``; the message the page then shows."""
    nav(page, "Assign work")
    if post:
        page.select_option("#id_state", "due")
        page.fill("#id_post", post)
    if limit:
        page.fill("#id_limit", limit)
    page.fill("#id_assignee", who)
    page.select_option("#id_permission", permission)
    page.wait_for_function(f"document.querySelector('#preview').textContent.includes('to {who}')")
    with page.expect_navigation():
        page.click("button[name=go]")
    return words(page.inner_text(".messages"))


def give_scope(boss, *people: str) -> None:  # type: ignore[no-untyped-def]
    """The superuser gives each assigner or rule editor view on every cable."""
    for who in people:
        assert f"view on 5 cables assigned to {who}" in assign(boss, who, "view")


def add_term_rule(page, name: str, terms: str, label: str) -> str:  # type: ignore[no-untyped-def]
    """The rule form, reached from the admin's index; the rule's change page URL."""
    admin_home(page)
    with page.expect_navigation():
        page.click("tr.model-redactionrule a.addlink")
    page.fill("#id_name", name)
    page.select_option("#id_kind", "terms")
    page.fill("#id_terms", terms)
    page.fill("#id_label", label)
    page.select_option("#id_action", "redact")
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert "was added successfully" in page.inner_text("ul.messagelist")
    return page.url


def click_button(page, name: str) -> str:  # type: ignore[no-untyped-def]
    """A button that posts and comes back: the message it leaves."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
    return words(page.inner_text("ul.messagelist, ul.messages"))


def open_from_queue(page, reference: str, link: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """A cable's row in the review queue: its reference, or another link of the row."""
    nav(page, "Review queue")
    row = page.locator("tbody tr", has_text=reference)
    with page.expect_navigation():
        row.locator("a", has_text=link or reference).first.click()
    page.wait_for_load_state("networkidle")


def paragraph_ids(reference: str) -> list[str]:
    ids = Cable.objects.get(reference_id=reference).paragraphs.order_by("ordinal")
    return [f"#para-{pk}" for pk in ids.values_list("pk", flat=True)]


def decide(page, portion: str, kind: str, *, label: str = "", agency: str = "") -> None:  # type: ignore[no-untyped-def]
    if label:
        page.fill(f"{portion} input[name=label]", label)
    if agency:
        page.fill(f"{portion} input[name=agency]", agency)
    page.click(f"{portion} button[value={kind}]")
    page.wait_for_selector(f"{portion}.decided-{kind}")


def finish_review(page, reference: str) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        page.click("text=Mark review finished")
    assert f"{reference} is now reviewed" in page.inner_text(".messages")


def audit_rows(page) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    columns = ("id", "at", "who", "action", "object", "cable", "before", "after")
    rows = page.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
    )
    return [dict(zip(columns, row, strict=True)) for row in rows]


# -- the journey --------------------------------------------------------------------------------


def test_every_role_walks_the_office_journey_in_its_own_browser(office, person):
    # 1. scopes, the reviewer, her clearance, role and a cable of her own
    boss = open_as(person, office, "admin")
    give_scope(boss, "sam", "ada", "eddie")

    sol = open_as(person, office, "sol")
    admin_home(sol)
    with sol.expect_navigation():
        sol.locator("tr.model-user a.addlink").click()
    assert sol.locator("#id_password1").count() == 0  # the officer sets no password
    sol.fill("#id_username", "rita")
    sol.fill("#id_first_name", "Rita")
    sol.fill("#id_last_name", "Reyes")
    sol.fill("#id_email", "rita@example.org")
    sol.get_by_role("checkbox", name="reviewer", exact=True).check()
    sol.select_option("#id_clearance", label="CONFIDENTIAL")
    with sol.expect_navigation():
        sol.click("input[name=_save]")
    added = sol.inner_text("ul.messagelist")
    assert "The user “rita” was added successfully" in added
    assert "A link to set the password was e-mailed to rita@example.org." in added

    rita = person()
    (welcome,) = [m for m in mail.outbox if m.to == ["rita@example.org"]]
    rita.goto(re.search(r"https?://\S+/welcome/\S+/", welcome.body).group(0))
    rita.fill("#id_new_password1", RITA_PASSWORD)
    rita.fill("#id_new_password2", RITA_PASSWORD)
    with rita.expect_navigation():
        rita.locator("input[type=submit]").click()
    assert "Your password has been set" in rita.inner_text("body")
    with rita.expect_navigation():
        rita.click("a:text-is('Log in')")
    rita.fill("#id_username", "rita")
    rita.fill("#id_password", RITA_PASSWORD)
    with rita.expect_navigation():
        rita.click("button[type=submit]")
    assert rita.url.endswith("/workflow/queue/")

    ada = open_as(person, office, "ada")
    admin_model(ada, "cable")
    single = Cable.objects.get(reference_id="07KESTREL430")
    ada.check(f"input[name=_selected_action][value='{single.pk}']")
    ada.select_option("select[name=action]", "assign_selected")
    with ada.expect_navigation():
        ada.click("button[name=index]")
    assert ada.inner_text("#selected-count") == "1"
    ada.fill("#id_assignee", "rita")
    ada.select_option("#id_permission", "review")
    with ada.expect_navigation():
        ada.click("input[name=apply]")
    assert "review on 1 cable assigned to rita" in ada.inner_text("ul.messagelist")

    # 2. the supervisor: the next two due cables of the post, their release, the workload
    sam = open_as(person, office, "sam")
    assert "review on 2 cables assigned to rita" in assign(
        sam, "rita", "review", post="Embassy Kestrel", limit="2"
    )
    batch = words(sam.inner_text("main"))
    assert SHORT in batch and CABLE in batch and "07KESTREL418" not in batch
    assert "release on 3 cables assigned to amos" in assign(
        sam, "amos", "release", post="Embassy Kestrel"
    )
    nav(sam, "Workload")
    # three cables (two due, overdue; one dated 2032), none started
    assert sam.inner_text("#workload-rita").split("\t") == ["rita", "3", "3", "0", "0", "2"]
    with sam.expect_navigation():
        sam.click("text=Release authorities")
    assert sam.inner_text("#workload-amos").split("\t")[:2] == ["amos", "3"]
    screenshot(sam, "office-journey-workload")

    # 3. the rule editor
    eddie = open_as(person, office, "eddie")
    rule_url = add_term_rule(eddie, "Lanternfish codename", CODENAME, "(b)(1) 1.4(c)")
    with eddie.expect_navigation():
        eddie.get_by_role("link", name="Dry run v1").click()
    assert "2 paragraphs in 2 cables hit" in words(eddie.inner_text("#content"))
    with eddie.expect_navigation():
        eddie.click(".breadcrumbs a:text-is('Lanternfish codename (v1)')")
    assert "Not active" in eddie.inner_text("#rule-live-status")
    assert "Version 1 is live; re-applying rules" in click_button(eddie, "Activate v1")
    jobs = words(eddie.inner_text("#content-main"))
    assert "Lanternfish codename v1 activated" in jobs and "100%" in jobs
    eddie.fill("#id_terms", f"{CODENAME}\nnorthern yards")
    with eddie.expect_navigation():
        eddie.click("input[name=_continue]")
    assert "“Lanternfish codename (v2)” was changed successfully" in eddie.inner_text(
        "ul.messagelist"
    )
    assert "version 2 is saved but not live yet" in eddie.inner_text("#rule-live-status")
    with eddie.expect_navigation():
        eddie.get_by_role("link", name="Dry run v2").click()
    assert "Against the live version it adds 1 and removes 0" in words(eddie.inner_text("#content"))
    eddie.goto(rule_url)  # back, as the browser's Back button would
    assert "Version 2 is live" in click_button(eddie, "Activate v2")
    assert "Version 2 is live." in eddie.inner_text("#rule-live-status")
    add_term_rule(eddie, "Radar station", "radar station", "(b)(1) 1.4(a)")
    assert "Version 1 is live" in click_button(eddie, "Activate v1")
    assert "Deactivated" in click_button(eddie, "Deactivate")
    assert "Not active" in eddie.inner_text("#rule-live-status")
    jobs = words(eddie.inner_text("#content-main"))
    assert "Radar station v1 deactivated" in jobs and "100%" in jobs
    screenshot(eddie, "office-journey-rule-deactivated")

    # 4. the reviewer: release, redact (proposed and selected), withhold, refer, finish
    nav(rita, "Review queue")
    queue = rita.inner_text("table")
    assert SHORT in queue and CABLE in queue and "07KESTREL430" in queue
    assert "07KESTREL418" not in queue and "07MERLIN201" not in queue
    open_from_queue(rita, CABLE)
    p1, p2, p3, p4, heading, statement, thanks = paragraph_ids(CABLE)
    assert rita.locator(f"{p2} mark").all_inner_texts() == [CODENAME]  # the rule's v2
    assert rita.locator(f"{p4} mark").all_inner_texts() == ["northern yards"]
    decide(rita, p1, "release")
    decide(rita, p2, "redact")  # the proposed span
    rita.fill(f"{p3} input[name=label]", "(b)(6)")
    drag_select(rita, f"{p3} [data-text]", NAME)
    assert f"Selected “{NAME}”" in rita.inner_text(f"{p3} .selection")
    decide(rita, p3, "redact")
    assert rita.inner_text(f"{p3} ul.spans").startswith(f"«{NAME}» (b)(6)")
    decide(rita, p4, "withhold", label="(b)(1) 1.4(d)")
    decide(rita, heading, "release")
    decide(rita, statement, "refer", agency="DOD")
    assert "Refer to another agency to DOD · rita" in rita.inner_text(f"{statement} .para-state")
    decide(rita, thanks, "release")
    rita.click("#subject-portion button[value=release]")
    rita.wait_for_selector("#subject-portion.decided-release")
    assert rita.inner_text("#progress") == "7 of 7 decided"
    screenshot(rita, "office-journey-review-decided")
    finish_review(rita, CABLE)

    # 5. the authority: the referral blocks; returned; answered; approved and published
    amos = open_as(person, office, "amos")
    open_from_queue(amos, CABLE, link="approval")
    assert "referred and the referral is not answered" in amos.inner_text("#release-preview")
    assert "referral to DOD is not answered yet" in click_button(amos, "Approve for release")
    amos.fill("#release input[name=note]", "The DOD referral needs an answer")
    assert f"{CABLE} is now returned for rework" in click_button(amos, "Return for rework")

    open_from_queue(rita, CABLE)
    assert "Returned for rework" in rita.inner_text("section[aria-label=Header]")
    decide(rita, statement, "release")
    finish_review(rita, CABLE)

    open_from_queue(amos, CABLE, link="approval")
    assert f"{CABLE} released as version 1." in click_button(amos, "Approve for release")
    screenshot(amos, "office-journey-published")
    with amos.expect_navigation():
        amos.click("#release a:has-text('RELEASED IN PART')")
    released = words(amos.inner_text("pre.release-text"))
    assert "customs inspections under [(b)(1) 1.4(c)] would end in May" in released
    assert "Deputy mayor [(b)(6)] asked that her remarks stay private" in released
    assert "4. (C//NF) [PARAGRAPH 4 WITHHELD IN FULL: (b)(1) 1.4(d)]" in released
    assert "The commission welcomes every visitor" in released  # the referral answered
    for secret in (NAME, "Lanternfish", "northern yards"):
        assert secret not in amos.content()
    with amos.expect_navigation():
        amos.click("text=Back to the reading room")
    assert CABLE in amos.inner_text("table")

    # 6. the auditor
    aude = open_as(person, office, "aude")
    nav(aude, "Audit")
    entries = audit_rows(aude)
    screenshot(aude, "office-journey-audit")

    def seen(action: str, who: str, *within: str) -> None:
        found = [
            e for e in entries if e["action"] == action and e["who"] == who
            and all(w in e["before"] + e["after"] for w in within)
        ]  # fmt: skip
        assert found, (action, who, within)

    seen("assignment.created", "admin", "'to': 'sam'")
    seen("user.created", "sol", "'user': 'rita'", "by e-mailed link")
    seen("groups.changed", "sol", "'user': 'rita'", "'groups': ['reviewer']")
    seen("clearance.changed", "sol", "'user': 'rita'", "'level': 'CONFIDENTIAL'")
    seen("assignment.created", "ada", "'to': 'rita'", "07KESTREL430")
    seen("assignment.created", "sam", "'to': 'rita'", "'review_cable'", CABLE)
    seen("assignment.created", "sam", "'to': 'amos'", "'release_cable'", CABLE)
    seen("rule.saved", "eddie", "'name': 'Lanternfish codename'")
    seen("rule.activated", "eddie", "'version': 2")
    seen("rule.deactivated", "eddie", "'active': False")
    seen("decision.recorded", "rita", "'kind': 'refer'", "'agency': 'DOD'")
    seen("decision.recorded", "rita", "'label': '(b)(6)'")
    # aude is cleared UNCLASSIFIED and holds no grant on the cable: the return is there, its
    # note (which may quote the cable) withheld from her
    seen("state.changed", "amos", "'state': 'returned'", NOTE_WITHHELD)
    assert not any("The DOD referral needs an answer" in e["before"] + e["after"] for e in entries)
    seen("release.published", "amos", "RELEASED IN PART")
    with aude.expect_navigation():
        aude.click("text=Changes the database recorded")
    assert aude.locator("tbody tr").count() > 0


# -- defects found on the way -------------------------------------------------------------------


def test_the_supervisor_opens_a_cable_of_the_batch_just_assigned(office, person):
    initial_user("rita", "reviewer", Level.C)
    boss = open_as(person, office, "admin")
    give_scope(boss, "sam")
    sam = open_as(person, office, "sam")
    assert "review on 2 cables assigned to rita" in assign(
        sam, "rita", "review", post="Embassy Kestrel", limit="2"
    )
    assert "/workflow/assign/batches/" in sam.url  # the batch's page, where it lands
    with sam.expect_navigation() as opened:
        sam.locator("main tbody a", has_text=SHORT).click()
    assert opened.value.status == 200, (opened.value.status, sam.url)
    assert SHORT in sam.inner_text("main")


def test_the_reviewer_reads_why_her_cable_was_returned(office, person):
    initial_user("rita", "reviewer", Level.C)
    boss = open_as(person, office, "admin")
    give_scope(boss, "sam")
    sam = open_as(person, office, "sam")
    assign(sam, "rita", "review", post="Embassy Kestrel", limit="1")
    assign(sam, "amos", "release", post="Embassy Kestrel", limit="1")

    rita = open_as(person, office, "rita")
    open_from_queue(rita, SHORT)
    for portion in paragraph_ids(SHORT):
        decide(rita, portion, "release")
    rita.click("#subject-portion button[value=release]")
    rita.wait_for_selector("#subject-portion.decided-release")
    finish_review(rita, SHORT)

    amos = open_as(person, office, "amos")
    open_from_queue(amos, SHORT, link="approval")
    amos.fill("#release input[name=note]", RETURN_NOTE)
    assert "returned for rework" in click_button(amos, "Return for rework")

    open_from_queue(rita, SHORT)
    assert "Returned for rework" in rita.inner_text("section[aria-label=Header]")
    shown = words(rita.inner_text("main"))
    nav(rita, "Notifications")
    notified = words(rita.inner_text("main"))
    assert RETURN_NOTE in shown or RETURN_NOTE in notified, (shown, notified)


def test_a_reader_finds_the_reading_room_from_the_home_page(office, person):
    initial_user("rhea", None, Level.U)
    rhea = open_as(person, office, "rhea")
    assert rhea.url.endswith("/workflow/queue/")  # the home page
    links = rhea.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert "/releases/" in links, links


def test_the_security_officer_makes_an_existing_person_a_rule_editor(office, person):
    initial_user("otto", None, Level.S)
    sol = open_as(person, office, "sol")
    admin_model(sol, "user")
    with sol.expect_navigation():
        sol.click("#result_list a:text-is('otto')")
    sol.get_by_role("checkbox", name="rule editor", exact=True).check()
    with sol.expect_navigation():
        sol.click("input[name=_save]")
    assert "The user “otto” was changed successfully" in sol.inner_text("ul.messagelist")

    otto = open_as(person, office, "otto")
    assert "Admin" in otto.inner_text("nav"), otto.inner_text("nav")
    admin_home(otto)
    assert "Redaction rules" in otto.inner_text("#content-main")


def test_the_rule_editor_opens_the_cable_of_a_proposed_redaction(office, person):
    boss = open_as(person, office, "admin")
    give_scope(boss, "eddie")
    eddie = open_as(person, office, "eddie")
    add_term_rule(eddie, "Lanternfish codename", CODENAME, "(b)(1) 1.4(c)")
    click_button(eddie, "Activate v1")
    admin_model(eddie, "proposedredaction")
    with eddie.expect_navigation():
        eddie.locator("#result_list tbody tr a").first.click()
    with eddie.expect_navigation() as opened:
        eddie.locator("a[href*='/admin/cables/cable/']").first.click()
    assert opened.value.status == 200, (opened.value.status, eddie.url)


def test_the_auditor_follows_the_actor_of_an_audit_event(office, person):
    boss = open_as(person, office, "admin")
    give_scope(boss, "eddie")
    eddie = open_as(person, office, "eddie")
    add_term_rule(eddie, "Lanternfish codename", CODENAME, "(b)(1) 1.4(c)")
    aude = open_as(person, office, "aude")
    admin_model(aude, "auditevent")
    aude.fill("#searchbar", "eddie")
    with aude.expect_navigation():
        aude.press("#searchbar", "Enter")
    with aude.expect_navigation():
        aude.locator("#result_list tbody tr", has_text="rule.saved").locator("a").first.click()
    actor = aude.locator("#content-main a", has_text="eddie")
    assert actor.count() == 1  # the event's actor, as a link
    with aude.expect_navigation() as opened:
        actor.click()
    assert opened.value.status == 200, (opened.value.status, aude.url)
