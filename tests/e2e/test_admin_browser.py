"""In a real browser, the admin lists imported cables and shows paragraphs with markings."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cables.ingest import CableSource, cables_import
from cables.models import Cable
from tests.cables.cable_text import reference_id, telegram
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_lists_cables_and_shows_their_paragraph_markings(live_server, page):
    get_user_model().objects.create_superuser("boss", "", "pw-for-tests-only")
    cables_import(
        [CableSource(name=f"c{i}.txt", text=telegram(serial=i)) for i in (1, 2, 3)], workers=1
    )
    cable = Cable.objects.get(reference_id=reference_id(serial=2))

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/cables/cable/")

    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert page.locator("#result_list").inner_text().count("Embassy Exampletown") == 3
    screenshot(page, "admin-cable-list")

    page.goto(f"{live_server.url}/admin/cables/cable/{cable.pk}/change/")
    markings = page.locator("td.field-marking_display").all_inner_texts()
    assert [m.strip() for m in markings] == ["C", "U", "C"]
    assert "the minister said the talks would resume" in page.content()
    screenshot(page, "admin-cable-paragraphs")


# --- People and rules, as the security officer and the rule editor use them ------------
# (issue "An office can run it without a shell": People and Rules; issue "Nothing above
# your clearance": separation of duties)

NEW_PASSWORD = "a long new secret 42"


def role(name: str):
    """The role's group (created again when an earlier transactional test flushed it)."""
    from django.contrib.auth.models import Group, Permission

    from workflow.roles import role_permissions

    group, created = Group.objects.get_or_create(name=name)
    if created:
        for dotted in role_permissions(name):
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def staff(username: str, role_name: str, level):
    from tests.factories import UserFactory
    from workflow.models import Clearance

    user = UserFactory(username=username, is_staff=True)
    user.groups.add(role(role_name))
    Clearance.objects.create(user=user, level=int(level))
    return user


def admin_login(page, base: str, username: str, password: str = "pw-for-tests-only") -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")
    assert "/admin/login/" not in page.url, f"{username} could not log in"


def test_the_security_officer_creates_a_reviewer_with_clearance_c_in_one_form(live_server, page):
    import re

    from django.core import mail

    from cables.markings import Level
    from tests.factories import UserFactory
    from workflow.models import Clearance

    for name in ("reviewer", "release authority", "admin"):
        role(name)
    staff("sol", "security officer", Level.TS)
    base = live_server.url
    admin_login(page, base, "sol")

    page.goto(f"{base}/admin/auth/user/add/")
    assert page.locator("#id_password1").count() == 0  # the officer sets no password
    page.fill("#id_username", "rita")
    page.fill("#id_first_name", "Rita")
    page.fill("#id_last_name", "Reyes")
    page.fill("#id_email", "rita@example.org")
    page.get_by_role("checkbox", name="reviewer", exact=True).check()
    page.select_option("#id_clearance", label="CONFIDENTIAL")
    screenshot(page, "admin-person-add")
    with page.expect_navigation():
        page.click("input[name=_save]")

    assert "was added successfully" in page.content()
    rita = get_user_model().objects.get(username="rita")
    assert list(rita.groups.values_list("name", flat=True)) == ["reviewer"]
    assert Clearance.objects.get(user=rita).level == int(Level.C)
    page.goto(f"{base}/admin/workflow/clearance/")
    row = page.locator("#result_list tbody tr", has_text="rita").inner_text()
    assert "CONFIDENTIAL" in row

    # A clearance for someone else: the user is picked by name, with autocomplete.
    UserFactory(username="bob", first_name="Bob", last_name="Okafor")
    page.goto(f"{base}/admin/workflow/clearance/add/")
    page.click(".field-user .select2-selection")
    page.fill(".select2-search__field", "okaf")
    page.locator(".select2-results__option", has_text="bob").click()
    page.select_option("#id_level", label="SECRET")
    with page.expect_navigation():
        page.click("input[name=_save]")
    assert Clearance.objects.get(user__username="bob").level == int(Level.S)

    # The officer cannot set an existing person's password: no link, and the page refuses.
    page.goto(f"{base}/admin/auth/user/{rita.pk}/change/")
    assert page.locator("a[href$='/password/']").count() == 0
    response = page.goto(f"{base}/admin/auth/user/{rita.pk}/password/")
    assert response.status == 403

    # Rita chooses her password through the e-mailed link, then logs in.
    link = re.search(r"https?://\S+/welcome/\S+/", mail.outbox[-1].body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    page.fill("#id_new_password1", NEW_PASSWORD)
    page.fill("#id_new_password2", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("input[type=submit]").click()
    page.goto(f"{base}/login/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", NEW_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login/" not in page.url
    screenshot(page, "admin-person-first-login")


def _tags_line(text: str, tags: str) -> str:
    return text.replace("TAGS: PREL PGOV XX", f"TAGS: {tags}")


def test_the_rule_editor_uses_the_widgets_dry_runs_activates_and_deactivates(live_server, page):
    from cables.markings import Level
    from redaction.models import ProposedRedaction, RedactionRule
    from workflow import permissions

    cables_import(
        [
            CableSource(name="c1.txt", text=_tags_line(telegram(serial=1), "PTER PREL")),
            CableSource(name="c2.txt", text=telegram(serial=2)),
        ],
        workers=1,
    )
    eddie = staff("eddie", "rule editor", Level.S)
    for cable in Cable.objects.all():
        permissions.grant(permissions.VIEW, eddie, cable)
    base = live_server.url
    admin_login(page, base, "eddie")

    # A term rule scoped to the TAGS PTER, typed as a tag.
    page.goto(f"{base}/admin/redaction/redactionrule/add/")
    page.fill("#id_name", "talks")
    page.select_option("#id_kind", "terms")
    page.fill("#id_terms", "the minister")
    page.fill("#id_label", "(b)(1) 1.4(d)")
    suggestions = page.locator("#id_scope_tags-suggestions option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert "PTER" in suggestions and "PGOV" in suggestions  # from the stored cables
    page.click("#id_scope_tags")
    page.keyboard.type("pter")
    page.keyboard.press("Enter")  # adds a tag; does not submit the form
    assert page.locator(".tag-chip[data-value=PTER]").count() == 1
    assert "/add/" in page.url
    screenshot(page, "admin-rule-tag-input")
    with page.expect_navigation():
        page.click("input[name=_continue]")
    assert "Enter a valid JSON" not in page.content()
    terms = RedactionRule.objects.get(name="talks")
    assert terms.scope_tags == ["PTER"]

    # A marking rule: the levels are checkboxes.
    page.goto(f"{base}/admin/redaction/redactionrule/add/")
    page.fill("#id_name", "confidential paragraphs")
    page.select_option("#id_kind", "marking")
    page.select_option("#id_min_level", label="CONFIDENTIAL")
    page.fill("#id_label", "(b)(1) 1.4(d)")
    page.select_option("#id_action", "withhold")
    page.get_by_role("checkbox", name="CONFIDENTIAL").check()
    page.fill("#id_scope_from", "2006-01-01")  # the browser's date picker
    with page.expect_navigation():
        page.click("input[name=_continue]")
    marking = RedactionRule.objects.get(name="confidential paragraphs")
    assert marking.scope_levels == [int(Level.C)] and marking.scope_from.isoformat() == "2006-01-01"
    change_url = page.url

    page.click("text=Dry run v1")
    dry_run = page.locator("#content").inner_text()
    assert "4 paragraphs in 2 cables hit" in " ".join(dry_run.split())
    screenshot(page, "admin-rule-dry-run")

    page.goto(change_url)
    with page.expect_navigation():
        page.get_by_role("button", name="Activate v1").click()
    assert "Version 1 is live" in page.locator("#rule-live-status").inner_text()
    marking.refresh_from_db()
    assert (marking.active, marking.active_version, marking.version) == (True, 1, 1)
    api = page.request.get(f"{base}/api/rules/{marking.pk}/").json()
    assert (api["active"], api["active_version"]) == (True, 1)
    assert ProposedRedaction.objects.filter(action="withhold").count() == 4
    screenshot(page, "admin-rule-activated")

    with page.expect_navigation():
        page.get_by_role("button", name="Deactivate").click()
    assert "Not active" in page.locator("#rule-live-status").inner_text()
    assert page.request.get(f"{base}/api/rules/{marking.pk}/").json()["active"] is False
    assert not ProposedRedaction.objects.filter(action="withhold").exists()
