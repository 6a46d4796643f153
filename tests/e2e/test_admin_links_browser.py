"""The admin's links in a real browser, clicked by the person whose role it is: the
rule editor from a proposed redaction to its cable, the auditor from an event to the
events of the person who acted, the admin from a clearance; every admin link on each
page they reach opens for them (none answers 403 or 404).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from audit.models import AuditEvent
from cables.markings import Level
from redaction.models import ProposedRedaction, RedactionRule
from redaction.rule_services import rule_activate, rule_deactivate, rule_save
from tests.e2e.conftest import PASSWORD, login, roles_as_installed, screenshot
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance

pytestmark = pytest.mark.django_db(transaction=True)

READABLE = "The harvest was late this year in the north."
ABOVE = "The source NIGHTJAR reports the minister will resign."


@pytest.fixture(autouse=True)
def roles() -> None:
    roles_as_installed()


def person(username: str, role: str, level: Level):  # type: ignore[no-untyped-def]
    user = UserFactory(username=username, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=role))
    Clearance.objects.create(user=user, level=int(level))
    return user


def open_admin(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    """Log in and follow the menu's Admin link."""
    login(page, base, username)
    with page.expect_navigation():
        page.click("nav >> text=Admin")


def admin_links_open(page) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Every link of the page's content into the admin, fetched with the person's own
    session: those that do not open (empty when all do)."""
    hrefs = page.locator("#container a[href^='/admin/']").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    base = page.url.split("/admin/")[0]
    answers = [(href, page.request.get(base + href).status) for href in set(hrefs)]
    return [(href, status) for href, status in answers if status >= 400]


def term_rule(name: str, terms: str, user) -> RedactionRule:  # type: ignore[no-untyped-def]
    rule = RedactionRule(
        name=name, kind="terms", terms=terms, label="(b)(1) 1.4(c)", action="redact"
    )
    rule_save(rule=rule, user=user)
    return rule


def test_the_rule_editor_clicks_from_a_proposal_to_its_cable(live_server, page):
    cable = CableFactory(reference_id="07KESTREL412", level=int(Level.S))
    readable = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=READABLE)
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text=ABOVE)
    eddie = person("eddie", "rule editor", Level.C)
    permissions.grant(permissions.VIEW, eddie, cable)
    ProposedRedaction.objects.create(
        cable=cable, paragraph=readable, start=4, end=11, action="redact",
        labels=["(b)(1) 1.4(c)"], rules=[], created_at=timezone.now(),
    )  # fmt: skip
    stopped = term_rule("Radar station", "radar station", eddie)
    rule_activate(rule=stopped, user=eddie)
    rule_deactivate(rule=stopped, user=eddie)

    open_admin(page, live_server.url, "eddie")
    with page.expect_navigation():
        page.click("tr.model-proposedredaction th a")
    with page.expect_navigation():
        page.locator("#result_list tbody tr a").first.click()
    assert admin_links_open(page) == []
    with page.expect_navigation() as opened:
        page.click("#content-main a:text-is('07KESTREL412')")
    assert opened.value.status == 200
    shown = page.inner_text("#content-main")
    assert READABLE in shown and ABOVE not in shown
    assert admin_links_open(page) == []
    screenshot(page, "admin-links-rule-editor-cable")

    with page.expect_navigation():
        page.click(".breadcrumbs a:text-is('Home')")
    with page.expect_navigation():
        page.click("tr.model-redactionrule th a")
    row = page.locator("#result_list tbody tr", has_text="Radar station")
    assert row.locator("td.field-live_version").inner_text() == "not live"
    with page.expect_navigation():
        row.locator("th a").click()
    assert page.locator(".field-updated_by_name .readonly").inner_text() == "eddie"
    assert admin_links_open(page) == []


def test_the_auditor_clicks_the_actor_to_read_what_else_they_did(live_server, page):
    eddie = person("eddie", "rule editor", Level.S)
    person("aude", "auditor", Level.U)
    rule = term_rule("Lanternfish codename", "Operation Lanternfish", eddie)
    rule_activate(rule=rule, user=eddie)
    saved = AuditEvent.objects.get(action="rule.saved")

    open_admin(page, live_server.url, "aude")
    with page.expect_navigation():
        page.click("tr.model-auditevent th a")
    with page.expect_navigation():
        page.locator("#result_list tbody tr", has_text="rule.saved").locator(
            f"a:text-is('{saved.pk}')"
        ).click()
    assert admin_links_open(page) == []
    with page.expect_navigation() as opened:
        page.click("#content-main a:text-is('eddie')")
    assert opened.value.status == 200
    actions = page.locator("#result_list td.field-action").all_inner_texts()
    assert set(actions) == {"rule.saved", "rule.activated"}
    assert set(page.locator("#result_list td.field-actor_name").all_inner_texts()) == {"eddie"}
    screenshot(page, "admin-links-auditor-actor")


def test_the_admin_reads_a_clearance_without_a_link_to_a_user_page(live_server, page):
    person("ada", "admin", Level.S)
    rita = person("rita", "reviewer", Level.C)

    open_admin(page, live_server.url, "ada")
    with page.expect_navigation():
        page.click("tr.model-clearance th a")
    with page.expect_navigation():
        page.locator("#result_list tbody tr", has_text="rita").locator("th a").click()
    assert page.locator(".field-person .readonly").inner_text() == rita.username
    assert page.locator("#content-main a[href*='/admin/auth/user/']").count() == 0
    assert admin_links_open(page) == []
