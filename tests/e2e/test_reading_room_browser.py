"""In a real browser: a release authority approves, the release is published, and a
reader with no permission on any cable finds it in the reading room and downloads it."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from tests.e2e.conftest import PASSWORD, login, screenshot
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import MINISTER, P1, P2, P3, SOURCE, decide, standard_plan
from workflow import permissions
from workflow.models import CableStatus, Clearance, ReviewState

pytestmark = pytest.mark.django_db(transaction=True)


def _reviewer_and_authority():  # type: ignore[no-untyped-def]
    """rita reviews and amos releases, both cleared TOP SECRET; rhea, a reader, holds
    nothing."""
    users = get_user_model().objects
    rita = users.create_user("rita", "rita@example.org", PASSWORD)
    amos = users.create_user("amos", "amos@example.org", PASSWORD)
    users.create_user("rhea", "rhea@example.org", PASSWORD)
    for user in (rita, amos):
        Clearance.objects.create(user=user, level=3)
    return rita, amos


def _harbor_cable(third: str):  # type: ignore[no-untyped-def]
    """A SECRET cable of three paragraphs (C, S, S): P1, P2 and ``third``."""
    cable = CableFactory(level=2, subject="HARBOR TALKS")
    for n, text in enumerate((P1, P2, third), start=1):
        ParagraphFactory(cable=cable, ordinal=n, number=str(n), level=min(n, 2), text=text)
    return cable


def test_an_approved_release_is_found_and_downloaded_in_the_reading_room(live_server, page):
    rita, amos = _reviewer_and_authority()
    cable = _harbor_cable(P3)
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


def test_the_authority_sees_the_release_as_published_and_a_secret_subject_never_leaves(
    live_server, page
):
    """The release authority reads, on the approval page, the release exactly as it is
    then published (header lines, the SECRET subject boxed, a heading, a box, a
    withheld line); a reader finds the release by its words but not by its subject's,
    in the browser and through the API."""
    from tests.cables.cable_text import telegram
    from tests.releases.conftest import import_texts

    rita, amos = _reviewer_and_authority()
    paragraphs = (
        f"1. (C) Defense Minister {MINISTER} told the Ambassador that harbor talks open in June.",
        "Syria/Lebanon\n-------------",
        f"2. (S) The palace source {SOURCE} reported troop movements near the northern harbor.",
        "3. (C) The Ambassador thanked the minister and promised a list of technical experts.",
    )
    (cable,) = import_texts({
        "c.txt": telegram(banner="S E C R E T", subject="(S) KINGFISHER HARBOR TALKS",
                          paragraphs=paragraphs)
    })  # fmt: skip
    start = paragraphs[0].index(MINISTER) - len("1. (C) ")
    decide(cable, rita, {
        1: ("redact", [{"start": start, "end": start + len(MINISTER), "label": "(b)(6)"}]),
        3: ("withhold", "(b)(1) 1.4(c)"),
    })  # fmt: skip
    permissions.grant(permissions.RELEASE, amos, cable)
    base = live_server.url

    login(page, base, "amos")
    page.goto(f"{base}/releases/cables/{cable.pk}/approval/")
    shown = page.inner_text("#release-preview .release-document")
    assert "SUBJECT: (b)(1) subject withheld" in shown
    assert "1. (C) Defense Minister (b)(6) told the Ambassador" in " ".join(shown.split())
    assert "2. (S) [PARAGRAPH 2 WITHHELD IN FULL: (b)(1) 1.4(c)]" in " ".join(shown.split())
    assert page.inner_text("#release-preview h2.heading") == "Syria/Lebanon"
    for secret in (MINISTER, SOURCE, "KINGFISHER", "troop movements"):
        assert secret not in shown
    screenshot(page, "approval-release-preview")
    with page.expect_navigation():
        page.click("text=Approve for release")
    page.wait_for_selector("text=released as version 1")

    # What was published reads word for word as the page showed it
    release = cable.releases.get()
    html_file = bytes(release.files.get(name="release.html").content).decode()
    body = html_file.split('<p class="page-line">')[1].split("</p>", 1)[1]
    published = html.unescape(re.sub(r"<[^>]+>", " ", body))
    assert " ".join(published.split()) == " ".join(shown.split())

    # A reader finds it by its released words, not by its subject, on the page or the API
    login(page, base, "rhea")
    page.goto(f"{base}/releases/?q=technical+experts")
    assert cable.reference_id in page.inner_text("main")
    page.goto(f"{base}/releases/?q=KINGFISHER")
    assert cable.reference_id not in page.inner_text("main")
    api = page.request
    assert api.get(f"{base}/api/releases/?q=KINGFISHER").json()["count"] == 0
    (row,) = api.get(f"{base}/api/releases/?q=technical").json()["results"]
    assert row["title"] == f"{cable.reference_id}: [(b)(1) subject withheld]"
    detail = api.get(f"{base}/api/releases/{row['id']}/").json()
    for f in detail["files"]:
        content = api.get(f["url"]).body()
        assert b"KINGFISHER" not in content and SOURCE.encode() not in content, f["name"]
    text = api.get(f"{base}/api/releases/{row['id']}/files/release.txt").text()
    assert "\nSyria/Lebanon\n-------------\n" in text


def test_a_reader_following_an_old_version_lands_on_the_one_that_replaced_it(live_server, page):
    """Version 1 released paragraph 3; a second round withholds it and version 2 is
    published. A reader with version 1's address (a bookmark, a citation) is taken to
    version 2, and version 1's files are no longer served: what the second round
    withholds does not leave through the first."""
    from tests.rereview import reopen_for_rereview

    rita, amos = _reviewer_and_authority()
    cable = _harbor_cable("The fisheries attache visits Lisbon in April to sign the quota accord.")
    decide(cable, rita, standard_plan())
    permissions.grant(permissions.RELEASE, amos, cable)
    base = live_server.url

    login(page, base, "amos")
    for version in (1, 2):
        if version == 2:
            reopen_for_rereview(cable)
            decide(cable, rita, {**standard_plan(), 3: ("withhold", "(b)(5)")})
        page.goto(f"{base}/releases/cables/{cable.pk}/approval/")
        with page.expect_navigation():
            page.click("text=Approve for release")
        page.wait_for_selector(f"text=released as version {version}")
    first, second = cable.releases.filter(status="published").order_by("version")

    login(page, base, "rhea")
    page.goto(f"{base}/releases/{first.pk}/")
    assert page.url == f"{base}/releases/{second.pk}/"
    text = page.inner_text("main")
    assert "That version was replaced by version 2." in text
    assert "v1 (replaced: no longer served)" in text
    assert "Lisbon" not in page.content()
    old_pdf = page.request.get(f"{base}/releases/{first.pk}/files/release.pdf")
    assert old_pdf.status == 404
    assert page.request.get(f"{base}/releases/{second.pk}/files/release.pdf").status == 200
