"""In a real browser, each person follows the links the office gives them, and every one
opens: the supervisor's batch page to the cable's page, the reviewer's notice of a batch
to My batches and on to the review page, the authority's release batch to the approval
page, the reviewer's notice of a return to the review page where the note is, and the
menu to the reading room."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cables.markings import Level
from tests.e2e.conftest import login, screenshot
from tests.e2e.test_assignment_browser import due_cable, staff
from tests.workflow.test_assignment import give_scope
from workflow import assignment
from workflow.models import CableStatus, Decision, ReviewState

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "Paragraph 2 names the minister: withhold it under (b)(6)"


def follow(page, selector: str) -> int:  # type: ignore[no-untyped-def]
    """Click a link and answer the status of the page it opened."""
    with page.expect_navigation() as opened:
        page.click(selector)
    return opened.value.status


def test_each_person_follows_the_links_of_a_batch_and_a_return(live_server, page):
    cable = due_cable("06ROME101", "Embassy Rome", 3)
    sam = staff("sam", "supervisor", level=Level.S)
    give_scope(sam)
    rita = staff("rita", "reviewer")
    amos = staff("amos", "release authority")
    review = assignment.assign(actor=sam, assignee=rita, permission="review", cable_ids=[cable.pk])
    release = assignment.assign(
        actor=sam, assignee=amos, permission="release", cable_ids=[cable.pk]
    )
    base = live_server.url

    # The supervisor, who holds view only, opens the cable from the batch she made.
    login(page, base, "sam")
    page.goto(f"{base}/workflow/assign/batches/{review.pk}/")
    assert follow(page, f"main tbody >> text={cable.reference_id}") == 200
    assert page.url.endswith(f"/cables/{cable.pk}/")
    assert "The talks in Embassy Rome resumed." in page.inner_text("main")

    # The reviewer reads of her batch in Notifications and goes to work from there.
    login(page, base, "rita")
    assert follow(page, "nav >> text=Notifications") == 200
    notice = page.locator("tbody tr", has_text=f"batch {review.pk}")
    assert "sam assigned you review on 1 cable" in notice.inner_text()
    assert "06ROME101" not in page.inner_text("main")
    with page.expect_navigation():
        notice.locator("a", has_text="My batches").click()
    with page.expect_navigation():
        page.click(f"text=Batch {review.pk}")
    assert follow(page, f"main tbody >> text={cable.reference_id}") == 200
    assert page.url.endswith(f"/workflow/cables/{cable.pk}/review/")

    # Her review finished (as the review tests make it), the authority opens the cable
    # from his release batch and returns it with a note.
    for paragraph in cable.paragraphs.all():
        Decision.objects.create(
            cable=cable, paragraph=paragraph, kind="release", decided_by=rita,
            decided_at=timezone.now(),
        )  # fmt: skip
    CableStatus.objects.filter(cable=cable).update(review_state=ReviewState.REVIEWED)
    login(page, base, "amos")
    page.goto(f"{base}/workflow/assign/batches/{release.pk}/")
    assert follow(page, f"main tbody >> text={cable.reference_id}") == 200
    assert page.url.endswith(f"/releases/cables/{cable.pk}/approval/")
    page.fill("#release input[name=note]", NOTE)
    with page.expect_navigation():
        page.get_by_role("button", name="Return for rework", exact=True).click()

    # The reviewer is told, and reads why on the cable's review page.
    login(page, base, "rita")
    follow(page, "nav >> text=Notifications")
    notice = page.locator("tbody tr", has_text="returned for rework")
    assert "06ROME101 was returned for rework by amos with a note" in notice.inner_text()
    assert NOTE not in page.inner_text("main")  # the note stays on the cable's page
    with page.expect_navigation():
        notice.locator("a", has_text="Open the cable").click()
    assert page.url.endswith(f"/workflow/cables/{cable.pk}/review/")
    shown = " ".join(page.inner_text("#return-note").split())
    assert shown.startswith("for rework by amos on ") and shown.endswith(NOTE), shown
    screenshot(page, "review-return-note")

    # And the reading room is one click from the menu, for her as for anyone.
    assert follow(page, "nav >> text=Reading room") == 200
    assert page.url.endswith("/releases/")
