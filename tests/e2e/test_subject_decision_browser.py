"""In a real browser: a reviewer cleared for a SECRET subject releases it on the review page
(htmx, no reload) after "Mark review finished" refused while it was undecided; a
CONFIDENTIAL-cleared reviewer of the same cable sees neither the subject nor its buttons;
the release authority approves and the published release carries the subject."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from cables.ingest import CableSource, cables_import
from cables.models import Cable
from releases.models import Release
from tests.cables.cable_text import reference_id, telegram
from tests.e2e.conftest import PASSWORD, login, screenshot
from workflow import permissions
from workflow.models import CableStatus, Clearance, ReviewState, SubjectDecision

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = "OSPREYLANTERN"


def test_a_reviewer_releases_a_secret_subject_and_the_release_shows_it(live_server, page):
    users = get_user_model().objects
    sam = users.create_user("sam", "sam@example.org", PASSWORD)
    cora = users.create_user("cora", "cora@example.org", PASSWORD)
    amos = users.create_user("amos", "amos@example.org", PASSWORD)
    for user, level in ((sam, 2), (cora, 1), (amos, 3)):
        Clearance.objects.create(user=user, level=level)
    text = telegram(
        banner="S E C R E T",
        subject=f"(S) {CANARY} PORT TALKS",
        paragraphs=("1. (C) The talks resume.", "2. (U) The press reported it."),
    )
    cables_import([CableSource(name="c.txt", text=text)], workers=1)
    cable = Cable.objects.get(reference_id=reference_id())
    for user in (sam, cora):
        permissions.grant(permissions.REVIEW, user, cable)
    permissions.grant(permissions.RELEASE, amos, cable)
    base = live_server.url
    review = f"{base}/workflow/cables/{cable.pk}/review/"

    # The C-cleared reviewer: no subject, no subject buttons.
    login(page, base, "cora")
    page.goto(review)
    portion = page.locator("#subject-portion")
    assert "Above your clearance" in portion.inner_text()
    assert CANARY not in page.content()
    assert page.locator("form.decide-subject").count() == 0

    # The S-cleared reviewer decides the paragraphs; finishing is refused without the subject.
    login(page, base, "sam")
    page.goto(review)
    page.wait_for_load_state("networkidle")
    assert CANARY in page.locator("#subject-portion .subject-text").inner_text()
    articles = page.locator("article.paragraph")
    for n in range(articles.count()):
        articles.nth(n).locator("button[name=kind][value=release]").click()
        # Each decision is in before the next click (htmx swaps the paragraph): waiting for
        # the network to go quiet let a loaded machine finish with one still on its way.
        articles.nth(n).and_(page.locator(".decided-release")).wait_for()
    with page.expect_navigation():
        page.click("text=Mark review finished")
    assert "the subject has no decision yet" in page.content()  # the message, on the queue
    assert CableStatus.objects.get(cable=cable).review_state == ReviewState.IN_REVIEW
    page.goto(review)

    # Release the subject: the portion is swapped in place.
    page.locator("#subject-portion button[value=release]").click()
    page.wait_for_selector("#subject-portion.decided-release")
    assert "Release · sam" in page.locator("#subject-portion .para-state").inner_text()
    screenshot(page, "subject-released")
    assert SubjectDecision.objects.get(cable=cable).kind == "release"
    with page.expect_navigation():
        page.click("text=Mark review finished")
    assert CableStatus.objects.get(cable=cable).review_state == ReviewState.REVIEWED

    # The authority sees the subject in the preview and approves; the release carries it.
    login(page, base, "amos")
    page.goto(f"{base}/releases/cables/{cable.pk}/approval/")
    assert f"{CANARY} PORT TALKS" in page.content()
    with page.expect_navigation():
        page.click("button:has-text('Approve for release')")
    release = Release.objects.get(cable=cable)
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    assert release.title.endswith(f"{CANARY} PORT TALKS")
