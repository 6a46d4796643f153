"""The approval page shows exactly the release that approving publishes, header included;
the PDF keeps paragraph numbers with their text, prints the banner once at the top
and bottom of each page, and shows headings as headings.

Everything goes through the pages as the release authority uses them: the approval
page is loaded, its form posted as served, the published files read back.
"""

from __future__ import annotations

import html
import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cables.markings import Level
from releases.models import Release
from tests.cables.cable_text import telegram
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import decide, files_of, import_texts
from tests.releases.test_approval_page import approve, page_after
from workflow import permissions

pytestmark = pytest.mark.django_db

NAME = "Oriol Varga"
CODENAME = "BLUEHERON"
SUBJECT = f"(S) {CODENAME} REPORTS ON HARBOR TALKS"
PARAGRAPHS = (
    f"1. (C) Defense Minister {NAME} told the Ambassador that harbor talks open in June.",
    "Syria/Lebanon\n-------------",
    f"2. (S) The palace source {CODENAME} reported troop movements near the northern harbor.",
    "3. (C) The Ambassador thanked the minister and promised a list of technical experts.",
)
# ordinals: 1 = paragraph 1, 2 = the heading, 3 = paragraph 2, 4 = paragraph 3


def _plan(cable):
    p1 = cable.paragraphs.get(ordinal=1)
    start = p1.text.index(NAME)
    return {
        1: ("redact", [{"start": start, "end": start + len(NAME), "label": "(b)(6)"}]),
        3: ("withhold", "(b)(1) 1.4(c)"),
    }


@pytest.fixture
def secret_cable(reviewer):
    """A SECRET cable with a classified subject, a heading, a redaction and a withheld
    paragraph, imported through the real importer and decided by a reviewer."""
    (cable,) = import_texts({
        "harbor.txt": telegram(banner="S E C R E T", subject=SUBJECT, paragraphs=PARAGRAPHS)
    })  # fmt: skip
    assert cable.paragraphs.get(ordinal=2).heading
    decide(cable, reviewer, _plan(cable))
    return cable


@pytest.fixture
def as_authority(client, authority, secret_cable):
    permissions.grant(permissions.RELEASE, authority, secret_cable)
    client.force_login(authority)
    return client


PREVIEW = re.compile(r'<div class="release-document">(.*?)</div>\s*\n\s*</section>', re.S)
BODY = re.compile(r'<p class="page-line">[^<]*</p>\n(.*)<p class="page-line">', re.S)


def preview_of(page: str) -> str:
    found = PREVIEW.search(page)
    assert found, "the approval page shows no release"
    return found.group(1)


def text_of(markup: str) -> list[str]:
    """The lines of text of some HTML, tags removed and spaces collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", "", markup))
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_the_approval_page_shows_exactly_the_release_that_is_published(
    as_authority, secret_cable, django_capture_on_commit_callbacks
):
    page = as_authority.get(reverse("releases:approval", args=[secret_cable.pk])).content.decode()
    shown = preview_of(page)
    lines = text_of(shown)

    # The header lines as they will read: banner and stamp, the classification struck,
    # the classified subject boxed whole, TAGS and the signature as released.
    assert lines[:2] == ["UNCLASSIFIED", "RELEASED IN PART B1, 1.4(C), B6"]
    assert "CLASSIFICATION: SECRET" in lines
    assert "SUBJECT: (b)(1) subject withheld" in lines
    assert "TAGS: PREL PGOV XX" in lines
    # Each paragraph as it will read: the redaction a box, the withheld paragraph a line,
    # the heading a heading; no proposal or decision wording, no withheld text.
    assert "1. (C) Defense Minister (b)(6) told the Ambassador that harbor talks open in June." in (
        lines
    )
    assert '<h2 class="heading" data-paragraph="2">Syria/Lebanon</h2>' in shown
    assert "2. (S) [PARAGRAPH 2 WITHHELD IN FULL: (b)(1) 1.4(c)]" in lines
    assert (
        "3. (C) The Ambassador thanked the minister and promised a list of technical experts."
        in (lines)
    )
    for secret in (NAME, CODENAME, "troop movements", "redacted (b)(6)", "proposed"):
        assert secret not in shown

    with django_capture_on_commit_callbacks(execute=True):
        approve(as_authority, secret_cable)
    release = Release.objects.get(cable=secret_cable)
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason

    # What was published is, character for character, what the page showed.
    published = files_of(release)["release.html"].decode()
    body = BODY.search(published)
    assert body is not None
    assert body.group(1).strip() == shown.strip()
    # and the plain text says the same, line for line (boxes in brackets, struck marks)
    text = files_of(release)["release.txt"].decode()
    assert "SUBJECT: [(b)(1) subject withheld]" in text
    assert "1. (C) Defense Minister [(b)(6)] told the Ambassador" in text
    assert "\nSyria/Lebanon\n-------------\n" in text
    assert "Published as version 1" in page_after(as_authority, secret_cable)


def test_a_heading_is_decided_on_its_own_and_the_page_says_so_until_it_is(
    client, authority, reviewer
):
    """A heading inherits no decision from its neighbours: with every paragraph decided
    and the heading not, the page shows no release and says why."""
    from workflow.review import current_decisions, decision_record

    (cable,) = import_texts({"harbor.txt": telegram(paragraphs=PARAGRAPHS, subject="(U) TALKS")})
    permissions.grant(permissions.REVIEW, reviewer, cable)
    for p in cable.paragraphs.exclude(heading=True):
        decision_record(user=reviewer, paragraph=p, kind="release", based_on=None)
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)

    page = client.get(reverse("releases:approval", args=[cable.pk])).content.decode()

    assert len(current_decisions(cable)) == 3
    assert "The release cannot be made yet: the heading (portion 2) has no decision" in page
    assert 'class="release-document"' not in page
    assert "Approve for release" not in page


def test_a_released_heading_may_not_repeat_a_name_the_decisions_withhold(
    client, authority, reviewer
):
    """A heading is held to the rule of a released paragraph: "BLUEHERON" withheld in
    paragraph 2 may not be released in the heading above it."""
    paragraphs = (PARAGRAPHS[0], f"{CODENAME} network\n---------------", *PARAGRAPHS[2:])
    (cable,) = import_texts({"harbor.txt": telegram(paragraphs=paragraphs, subject="(U) TALKS")})
    assert cable.paragraphs.get(ordinal=2).heading
    decide(cable, reviewer, {3: ("withhold", "(b)(1) 1.4(c)")})
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)

    fields = {
        k: html.unescape(v)
        for k, v in re.findall(
            r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">',
            client.get(reverse("releases:approval", args=[cable.pk])).content.decode(),
        )
    }
    response = client.post(reverse("releases:approve", args=[cable.pk]), fields)

    assert response.status_code == 409
    body = response.content.decode()
    assert "¶2: “BLUEHERON” repeats text of paragraph 2, withheld in full" in body
    assert not Release.objects.exists()


@pytest.fixture
def long_cable(reviewer):
    """A cable long enough for three PDF pages, with a heading, and a paragraph whose
    text starts on the line after its number (its mark not read as one)."""
    cable = CableFactory(level=int(Level.C), subject="(U) PORT VISIT", subject_level=0)
    filler = " ".join(f"Sentence {n} of the account the delegation gave." for n in range(40))
    ordinal = 0
    for n in range(1, 9):
        ordinal += 1
        if n == 4:
            text = "\n(C) More broadly, the ministry expects the talks to go on for months."
            ParagraphFactory(cable=cable, ordinal=ordinal, number="4", explicit=False,
                             level=int(Level.C), text=text)  # fmt: skip
            continue
        if n == 6:
            ParagraphFactory(cable=cable, ordinal=ordinal, number="", explicit=False,
                             heading=True, level=int(Level.C), text="Syria/Lebanon")  # fmt: skip
            ordinal += 1
        ParagraphFactory(cable=cable, ordinal=ordinal, number=str(n), level=int(Level.C),
                         text=f"{filler} End of paragraph {n}.")  # fmt: skip
    return cable


def pdf_pages(release: Release) -> list[list[str]]:
    reader = PdfReader(io.BytesIO(files_of(release)["release.pdf"]))
    return [
        [" ".join(line.replace("\u00a0", " ").split()) for line in page.extract_text().splitlines()]
        for page in reader.pages
    ]


def test_the_pdf_keeps_numbers_with_their_text_and_the_banner_once_per_page(
    long_cable, reviewer, authority, publish
):
    decide(long_cable, reviewer, {})
    release = publish(long_cable, authority)
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    pages = pdf_pages(release)
    assert len(pages) >= 3
    page_line = f"UNCLASSIFIED U.S. Department of State Doc No. C{release.pk:08d}"

    for lines in pages:
        # the page line at the top, the banner at the bottom, each once, on every page,
        # the last included
        assert [x for x in lines if x == "UNCLASSIFIED"] == ["UNCLASSIFIED"]
        assert len([x for x in lines if x.startswith(page_line)]) == 1
        # no paragraph number or portion mark alone at the end of a line
        assert not [x for x in lines if re.fullmatch(r"\d+\.|\d+\. \([A-Z/]+\)|\([A-Z/]+\)", x)]
    every = [line for lines in pages for line in lines]
    assert "4. (C) More broadly, the ministry expects the talks to go on for months." in every
    # the heading on a line of its own, not glued to a paragraph, and no number
    assert "Syria/Lebanon" in every
    assert every[every.index("Syria/Lebanon") + 1].startswith("6. (C) Sentence 0")


def test_headings_are_headings_in_each_output(long_cable, reviewer, authority, publish):
    decide(long_cable, reviewer, {})
    release = publish(long_cable, authority)
    files = files_of(release)

    assert "\n\nSyria/Lebanon\n-------------\n\n6. (C) Sentence 0" in files["release.txt"].decode()
    assert (
        '<h2 class="heading" data-paragraph="6">Syria/Lebanon</h2>'
        in files["release.html"].decode()
    )
    reader = PdfReader(io.BytesIO(files["release.pdf"]))
    assert not reader.outline  # a heading is no bookmark: a release carries no outline


def test_a_withheld_heading_reads_as_one(long_cable, authority, reviewer, publish):
    heading = long_cable.paragraphs.get(heading=True)
    decide(long_cable, reviewer, {heading.ordinal: ("withhold", "(b)(1) 1.4(d)")})
    release = publish(long_cable, authority)
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason

    text = files_of(release)["release.txt"].decode()
    assert "[HEADING WITHHELD IN FULL: (b)(1) 1.4(d)]\n" in text
    assert "Syria/Lebanon" not in text


def test_a_sub_paragraph_numbered_in_parentheses_is_printed_as_written(
    client, reviewer, authority, django_capture_on_commit_callbacks
):
    """``(1) (C)`` starts a portion of its own (the parser reads the number ``(1)``); the
    release prints it as the cable does, not ``(1). (C)``, and its verification agrees."""
    (cable,) = import_texts({
        "annex.txt": telegram(
            banner="C O N F I D E N T I A L",
            subject="(U) HARBOR TALKS",
            paragraphs=(
                "1. (C) The minister listed two points.",
                "(1) (C) The harbor opens in June.",
                "(2) (U) Fees stay as they are.",
            ),
        )
    })  # fmt: skip
    assert [p.number for p in cable.paragraphs.order_by("ordinal")] == ["1", "(1)", "(2)"]
    decide(cable, reviewer, {})
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)

    with django_capture_on_commit_callbacks(execute=True):
        approve(client, cable)
    release = Release.objects.get(cable=cable)

    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    text = files_of(release)["release.txt"].decode()
    assert "1. (C) The minister listed two points." in text
    assert "(1) (C) The harbor opens in June." in text
    assert "(2) (U) Fees stay as they are." in text
    assert "(1)." not in text
