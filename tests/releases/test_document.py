"""The release format (classification rules, section 5) in each output."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.utils import timezone
from pypdf import PdfReader

from releases.document import (
    ApprovalIn,
    DecisionIn,
    DocumentError,
    HeaderIn,
    ParagraphIn,
    build_document,
    reading_order,
)
from releases.render import render_text
from tests.releases.conftest import MINISTER, SOURCE, decide, files_of

APPROVAL = ApprovalIn(release_id=42, version=1, authority="Amos", approved_on=date(2025, 1, 5))


def doc_of(paragraphs, decisions, **header):
    return build_document(
        header=HeaderIn(reference_id="07EXAMPLE1", **header),
        paragraphs=paragraphs,
        decisions={d.paragraph_id: d for d in decisions},
        approval=APPROVAL,
    )


@pytest.mark.django_db
def test_the_text_release_carries_every_marking_of_section_5(published):
    text = files_of(published)["release.txt"].decode()
    day = timezone.localdate(published.approved_at)
    page_line = (
        f"UNCLASSIFIED U.S. Department of State Case No. F-2025-00123 "
        f"Doc No. C{published.pk:08d} Date: {day:%m/%d/%Y}"
    )
    lines = text.splitlines()

    # banner UNCLASSIFIED with the page line at top and bottom, the stamp with the B-form
    assert lines[:3] == [page_line, "UNCLASSIFIED", "RELEASED IN PART B1, 1.4(C), B6"]
    assert lines[-2:] == ["UNCLASSIFIED", page_line]
    # the review authority box (§5.3)
    assert "UNITED STATES DEPARTMENT OF STATE\nREVIEW AUTHORITY: AMOS\n" in text
    assert f"DATE/CASE ID: {day:%d} {day:%b}".upper() + f" {day:%Y} F-2025-00123" in text
    # declassified, original classification markings struck through
    assert "DECLASSIFIED\n" in text
    assert "CLASSIFICATION: ~~SECRET//NOFORN~~" in text
    assert "CLASSIFIED BY: ~~DCM Thomas Ellery, reasons 1.4(b), 1.4(d)~~" in text
    # portion marks kept; a box citing the exemption at each deletion; a withheld line
    assert "1. (C) Defense Minister [(b)(6)] told the Ambassador" in text
    assert "2. (S) [PARAGRAPH 2 WITHHELD IN FULL: (b)(1) 1.4(c)]" in text
    assert "3. (U) The Ambassador thanked the minister" in text
    # the subject is not decided paragraph by paragraph: the redacted name is boxed there too
    assert "SUBJECT: (C) HARBOR TALKS WITH MINISTER [(b)(6)]" in text
    assert MINISTER.casefold() not in text.casefold()
    assert SOURCE not in text


@pytest.mark.django_db
def test_the_html_and_pdf_show_the_same_release(published):
    files = files_of(published)
    page = files["release.html"].decode()
    reader = PdfReader(io.BytesIO(files["release.pdf"]))
    pdf_text = "\n".join(p.extract_text() for p in reader.pages)

    assert '<span class="redaction">(b)(6)</span>' in page
    assert "<s>SECRET//NOFORN</s>" in page
    assert "[PARAGRAPH 2 WITHHELD IN FULL: (b)(1) 1.4(c)]" in page
    assert "RELEASED IN PART B1, 1.4(C), B6" in pdf_text
    assert "Defense Minister (b)(6) told" in " ".join(pdf_text.split())
    # every page carries the page line and the banner
    for pdf_page in reader.pages:
        assert f"Doc No. C{published.pk:08d}" in pdf_page.extract_text()
        assert pdf_page.extract_text().rstrip().endswith("UNCLASSIFIED")
    # metadata from released fields only
    assert reader.metadata["/Title"] == (
        f"{published.reference_id}: (C) HARBOR TALKS WITH MINISTER [(b)(6)]"
    )
    assert reader.metadata["/Subject"] == "RELEASED IN PART B1, 1.4(C), B6"
    assert reader.metadata["/Author"] == "AMEMBASSY EXAMPLETOWN"


@pytest.mark.django_db
def test_a_cable_released_in_full_says_so(cable, reviewer, authority, publish):
    decide(cable, reviewer, {})

    release = publish(cable, authority)

    text = files_of(release)["release.txt"].decode()
    assert release.stamp == "RELEASED IN FULL"
    assert "RELEASED IN FULL" in text.splitlines()[2]
    assert MINISTER in text and SOURCE in text
    assert "Case No." not in text
    assert release.withholding_index == []


def test_overlapping_redactions_become_one_box_citing_both_exemptions():
    p = ParagraphIn(1, 1, "4", "C", True, "The minister met Colonel Amadou Diallo on Friday.")
    d = DecisionIn(1, 1, "redact", ((17, 31, "(b)(6)"), (25, 38, "B1, 1.4(D)")))

    doc = doc_of([p], [d])

    assert "4. (C) The minister met [(b)(1) 1.4(d), (b)(6)] on Friday." in reading_order(
        doc, "text"
    )
    assert doc.stamp == "RELEASED IN PART B1, 1.4(D), B6"


def test_adjacent_redactions_keep_a_box_each_and_an_unmarked_paragraph_stays_unmarked():
    p = ParagraphIn(1, 1, "", "C", False, "Alpha Bravo Charlie")
    d = DecisionIn(1, 1, "redact", ((0, 6, "(b)(6)"), (6, 12, "(b)(5)")))

    doc = doc_of([p], [d])

    assert "[(b)(6)][(b)(5)]Charlie" in render_text(doc).decode()


def test_a_referred_or_undecided_paragraph_cannot_be_released():
    p = ParagraphIn(1, 1, "1", "C", True, "Text.")

    with pytest.raises(DocumentError, match="paragraph 1 is referred"):
        doc_of([p], [DecisionIn(1, 1, "refer")])
    with pytest.raises(DocumentError, match="paragraph 1 has no decision"):
        doc_of([p], [])


def test_header_fields_box_withheld_text_that_the_paragraphs_do_not_show():
    secret = "Operation Northern Lantern begins in March with two brigades."
    paragraphs = [
        ParagraphIn(1, 1, "1", "S", True, secret),
        ParagraphIn(2, 2, "2", "U", True, "The talks went well."),
    ]
    decisions = [DecisionIn(1, 1, "withhold", label="(b)(1) 1.4(a)"), DecisionIn(2, 2, "release")]

    doc = doc_of(paragraphs, decisions, subject="OPERATION NORTHERN LANTERN BEGINS IN MARCH")

    subject = next(f for f in doc.header if f.name == "SUBJECT")
    assert "NORTHERN" not in "".join(p for p in subject.pieces if isinstance(p, str))
    assert "LANTERN" not in doc.title
