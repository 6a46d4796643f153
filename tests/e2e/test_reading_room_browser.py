"""In a real browser: a release authority approves, the release is published, and a
reader with no permission on any cable finds it in the reading room and downloads it."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from tests.e2e.conftest import PASSWORD, login, screenshot
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import MINISTER, P1, P2, P3, SOURCE, decide, standard_plan
from workflow import permissions
from workflow.models import CableStatus, Clearance, ReviewState

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_approved_release_is_found_and_downloaded_in_the_reading_room(live_server, page):
    users = get_user_model().objects
    rita = users.create_user("rita", "rita@example.org", PASSWORD)
    amos = users.create_user("amos", "amos@example.org", PASSWORD)
    users.create_user("rhea", "rhea@example.org", PASSWORD)  # holds nothing
    for user in (rita, amos):
        Clearance.objects.create(user=user, level=3)
    cable = CableFactory(level=2, subject="HARBOR TALKS")
    for n, text in enumerate((P1, P2, P3), start=1):
        ParagraphFactory(cable=cable, ordinal=n, number=str(n), level=min(n, 2), text=text)
    decide(cable, rita, standard_plan())
    permissions.grant(permissions.RELEASE, amos, cable)
    base = live_server.url

    # The release authority approves on the approval page; the release is published
    login(page, base, "amos")
    page.goto(f"{base}/releases/cables/{cable.pk}/approval/")
    page.fill("input[name=case_number]", "F-2025-00123")
    with page.expect_navigation():
        page.click("text=Approve for release")
    page.wait_for_selector("text=released as version 1")
    assert CableStatus.objects.get(cable=cable).review_state == ReviewState.RELEASED

    # A reader with no permission finds it by a released word and opens it
    login(page, base, "rhea")
    page.goto(f"{base}/releases/")
    page.fill("input[name=q]", "technical experts")
    with page.expect_navigation():
        page.click("button:has-text('Search')")
    assert cable.reference_id in page.inner_text("table.releases")
    screenshot(page, "reading-room-search")
    with page.expect_navigation():
        page.click(f"text={cable.reference_id}")
    text = page.inner_text("main")
    assert "1. (C) Defense Minister [(b)(6)] told the Ambassador" in text
    assert MINISTER not in page.content() and SOURCE not in page.content()
    screenshot(page, "release-detail")

    # and downloads the PDF, whose text layer has the release and not the withheld text
    with page.expect_download() as download_info:
        page.click("a:has-text('release.pdf')")
    pdf = PdfReader(io.BytesIO(open(download_info.value.path(), "rb").read()))
    pdf_text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    assert "RELEASED IN PART" in pdf_text and "Defense Minister (b)(6) told" in pdf_text
    assert MINISTER not in pdf_text and SOURCE not in pdf_text
