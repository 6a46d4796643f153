"""In a real browser: a supervisor assigns a batch of due cables by query (the preview
counts as the form is filled in, the assignee is picked by name), then the reviewer
finds the batch from the queue, opens a cable and sees the progress move; an admin
assigns cables selected in the admin's cable list (issue 12)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, Permission

from cables.markings import Level
from tests.e2e.conftest import login, screenshot
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from tests.workflow.test_assignment import give_scope
from workflow import permissions
from workflow.models import AssignmentBatch, CableStatus, Clearance, ReviewState
from workflow.roles import role_permissions

pytestmark = pytest.mark.django_db(transaction=True)


def role(name: str) -> Group:
    """The role's group (created again when an earlier transactional test flushed it)."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        for dotted in role_permissions(name):
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    return group


def staff(username: str, *roles: str, level: Level = Level.C, is_staff: bool = False):
    user = UserFactory(username=username, is_staff=is_staff)
    for name in roles:
        user.groups.add(role(name))
    Clearance.objects.create(user=user, level=int(level))
    return user


def due_cable(ref: str, origin: str, due_in_days: int, state: str = ReviewState.DUE):
    cable = CableFactory(reference_id=ref, origin=origin, level=int(Level.C))
    ParagraphFactory(cable=cable, ordinal=1, text=f"The talks in {origin} resumed.")
    ParagraphFactory(cable=cable, ordinal=2, text="The minister was cautious.")
    CableStatus.objects.filter(cable=cable).update(
        review_state=state, declass_date=date.today() + timedelta(days=due_in_days)
    )
    return cable


def test_a_supervisor_assigns_due_cables_by_query_and_the_reviewer_works_on_them(live_server, page):
    first = due_cable("06ROME101", "Embassy Rome", 3)
    second = due_cable("06ROME102", "Embassy Rome", 10)
    due_cable("06ROME103", "Embassy Rome", 40)
    due_cable("06ROME104", "Embassy Rome", 5, state=ReviewState.INGESTED)
    due_cable("06PARIS201", "Embassy Paris", 1)
    sam = staff("sam", "supervisor")
    give_scope(sam)
    rita = staff("rita", "reviewer")
    base = live_server.url

    login(page, base, "sam")
    page.click("nav >> text=Assign work")
    page.fill("#id_post", "Embassy Rome")
    page.select_option("#id_state", "due")
    page.wait_for_function("document.querySelector('#preview-count')?.textContent === '3'")
    page.fill("#id_limit", "2")
    page.wait_for_function("document.querySelector('#preview-count')?.textContent === '2'")
    assert "06ROME101" in page.inner_text("#preview") and "06ROME102" in page.inner_text("#preview")
    assert "06ROME103" not in page.inner_text("#preview")
    # the assignee by name: typing offers the matching people
    page.type("#id_assignee", "ri", delay=50)
    page.wait_for_selector("#assignee-options option[value=rita]", state="attached")
    page.fill("#id_assignee", "rita")
    page.select_option("#id_permission", "review")
    page.wait_for_function("document.querySelector('#preview').textContent.includes('to rita')")
    screenshot(page, "assign-work-preview")
    with page.expect_navigation():
        page.click("button[name=go]")

    batch = AssignmentBatch.objects.get(assignee_user=rita)
    assert page.url.endswith(f"/workflow/assign/batches/{batch.pk}/")
    assert f"Batch {batch.pk}: review on 2 cables assigned to rita" in page.inner_text(".messages")
    assert batch.query == {"post": "Embassy Rome", "state": "due"} and batch.limit == 2
    screenshot(page, "assign-work-batch")
    page.click("text=Workload")
    assert page.inner_text("#workload-rita").split("\t")[:2] == ["rita", "2"]

    login(page, base, "rita")
    page.goto(f"{base}/workflow/queue/")
    page.click("#my-batches")
    row = page.locator("tr", has_text=f"Batch {batch.pk}")
    assert row.locator(".batch-reviewed").inner_text() == "0 of 2"
    assert row.locator(".batch-decided").inner_text() == "0 of 4"
    with page.expect_navigation():
        row.locator(f"text=Batch {batch.pk}").click()
    assert "06PARIS201" not in page.inner_text("table")
    with page.expect_navigation():
        page.click(f"text={first.reference_id}")
    assert page.url.endswith(f"/workflow/cables/{first.pk}/review/")
    assert "The talks in Embassy Rome resumed." in page.inner_text("main")
    p1 = first.paragraphs.get(ordinal=1)
    page.focus(f"#para-{p1.pk}")
    page.keyboard.press("a")
    page.wait_for_selector(f"#para-{p1.pk}.decided")
    page.click("nav >> text=My batches")
    assert (
        page.locator("tr", has_text=f"Batch {batch.pk}").locator(".batch-decided").inner_text()
        == "1 of 4"
    )
    screenshot(page, "my-batches")
    assert permissions.has_cable_perm(rita, permissions.REVIEW, second)


def test_an_admin_assigns_the_cables_selected_in_the_cable_list(live_server, page):
    cables = [due_cable(f"06ROME30{i}", "Embassy Rome", i) for i in range(1, 4)]
    ada = staff("ada", "admin", is_staff=True)
    give_scope(ada)
    rita = staff("rita", "reviewer")
    base = live_server.url

    login(page, base, "ada")
    page.goto(f"{base}/admin/cables/cable/")
    for cable in cables[:2]:
        page.check(f"input[name=_selected_action][value='{cable.pk}']")
    page.select_option("select[name=action]", "assign_selected")
    with page.expect_navigation():
        page.click("button[name=index]")
    assert page.inner_text("#selected-count") == "2"
    page.fill("#id_assignee", "rita")
    page.select_option("#id_permission", "review")
    screenshot(page, "admin-assign-selected")
    with page.expect_navigation():
        page.click("input[name=apply]")

    assert "review on 2 cables assigned to rita" in page.inner_text("ul.messagelist")
    held = set(permissions.cables_for_user(rita, permissions.REVIEW).values_list("pk", flat=True))
    assert held == {cables[0].pk, cables[1].pk}
