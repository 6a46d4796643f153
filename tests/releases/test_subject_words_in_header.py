"""A withheld subject's words in the other header fields.

The SUBJECT line of a withheld subject is one box; its words may still stand in the
TAGS line (a codename as a tag), a REF line or the signature, which the cable's
drafter wrote about the same matter.  There they are boxed under the subject's
exemption, as a redaction's words are, and verification refuses them unboxed.  The
addressing fields (FM, TO, INFO) keep the posts' names whole: a post is named by its
city, and a subject about that city says no more by it.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from cables.markings import Level
from releases import document
from releases.document import (
    ApprovalIn,
    Box,
    DecisionIn,
    HeaderIn,
    ParagraphIn,
    ReleaseDocument,
    build_document,
    pieces_text,
)
from releases.models import Release
from releases.render import render_html, render_text
from releases.verify import Report, verify_outputs
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import decide

CODENAME = "BLUEHERON"
SUBJECT = f"(S) {CODENAME} TASKING FOR THE NORTHERN HARBOR"
PARAGRAPHS = [
    ParagraphIn(1, 1, "1", "C", True, "The Ambassador met the minister in Rome on the harbor."),
]
RELEASED = {1: DecisionIn(11, 1, "release")}
HEADER = HeaderIn(
    "07ROME1",
    originator="AMEMBASSY ROME",
    to=("SECSTATE WASHDC",),
    info=("AMCONSUL NAPLES",),
    classification="SECRET",
    tags=("PREL", "PINR", CODENAME),
    subject=SUBJECT,
    references=(f"A. STATE 12345 ({CODENAME} TASKING)",),
    signature=f"STONE FOR {CODENAME} CELL",
    subject_withheld="(b)(1) 1.4(c)",
    subject_level=int(Level.S),
)
LABEL = "(b)(1) 1.4(c)"
COMMON = frozenset({"harbor", "tasking"})


def _build(header: HeaderIn = HEADER) -> ReleaseDocument:
    return build_document(
        header=header, paragraphs=PARAGRAPHS, decisions=RELEASED,
        approval=ApprovalIn(1, 1, "Amos", date(2025, 1, 5)),
    )  # fmt: skip


def _verify(doc: ReleaseDocument, header: HeaderIn = HEADER, **kwargs: Any) -> Report:
    outputs = {"text": render_text(doc), "html": render_html(doc)}
    return verify_outputs(
        doc=doc, paragraphs=PARAGRAPHS, decisions=RELEASED, outputs=outputs, header=header,
        **kwargs,
    )  # fmt: skip


def _line(doc: ReleaseDocument, name: str) -> str:
    return next(pieces_text(f.pieces, "text") for f in doc.header if f.name == name)


# -- the builder boxes them -----------------------------------------------------------------


def test_the_codename_is_boxed_in_tags_ref_and_signature_under_the_subjects_exemption():
    doc = _build()

    assert _line(doc, "TAGS") == f"PREL PINR [{LABEL}]"
    # "TASKING" is a subject word too: boxed with the codename as one box.
    assert _line(doc, "REF") == f"A. STATE 12345 ([{LABEL}])"
    assert pieces_text(doc.signature, "text") == f"STONE FOR [{LABEL}] CELL"
    assert doc.keywords == ("PREL PINR",)
    assert CODENAME not in render_text(doc).decode()
    assert CODENAME not in render_html(doc).decode()


def test_the_addressing_fields_and_the_words_a_released_paragraph_shows_stay_whole():
    """ "ROME" is the post in the FM line and "NAPLES" an addressee; "HARBOR" is in the
    released paragraph; "STATE" is printed by every release (the page line)."""
    header = dataclasses.replace(
        HEADER,
        subject="(S) ROME NAPLES HARBOR STATE BLUEHERON",
        tags=("PREL", "ROME", "NAPLES", "HARBOR"),
        references=("A. STATE 12345",),
        signature="STONE",
    )
    doc = _build(header)

    assert _line(doc, "FM") == "AMEMBASSY ROME"
    assert _line(doc, "INFO") == "AMCONSUL NAPLES"
    assert _line(doc, "TAGS") == "PREL ROME NAPLES HARBOR"
    assert _line(doc, "REF") == "A. STATE 12345"
    assert _verify(doc, header, common_words=COMMON).problems == ["outputs missing: pdf"]


def test_a_released_subject_leaves_the_other_fields_as_they_are():
    header = dataclasses.replace(HEADER, subject_withheld="", subject_released=True)
    doc = _build(header)

    assert _line(doc, "SUBJECT") == SUBJECT
    assert _line(doc, "TAGS") == f"PREL PINR {CODENAME}"
    assert pieces_text(doc.signature, "text") == f"STONE FOR {CODENAME} CELL"


def test_the_subject_box_stays_one_box_and_the_release_verifies():
    doc = _build()

    subject = next(f for f in doc.header if f.name == "SUBJECT")
    assert subject.pieces == (Box(f"{LABEL} subject withheld"),)
    assert _verify(doc).problems == ["outputs missing: pdf"]
    assert _verify(doc, common_words=COMMON).problems == ["outputs missing: pdf"]


# -- verification refuses them unboxed -----------------------------------------------------


def test_a_builder_that_leaves_the_codename_in_the_tags_line_is_refused(monkeypatch):
    monkeypatch.setattr(document, "subject_fragments", lambda h, paragraphs, decisions: [])
    doc = _build()
    assert _line(doc, "TAGS") == f"PREL PINR {CODENAME}"

    problems = _verify(doc, common_words=COMMON).problems

    for channel in ("plain text", "HTML page text", "HTML attributes", "release fields"):
        assert f"{channel}: 1 distinctive word(s) of the withheld subject appear in it" in (
            problems
        ), channel
    assert not any(CODENAME in p for p in problems)


def test_a_ref_line_that_repeats_the_whole_subject_is_refused(monkeypatch):
    """The subject whole in a REF line is no longer taken for shown by the release."""
    monkeypatch.setattr(document, "subject_fragments", lambda h, paragraphs, decisions: [])
    header = dataclasses.replace(
        HEADER, tags=("PREL",), signature="STONE",
        references=(f"A. STATE 12345 {SUBJECT.removeprefix('(S) ')}",),
    )  # fmt: skip
    doc = _build(header)

    problems = _verify(doc, header).problems

    assert "plain text: the withheld subject appears in it" in problems


# -- the persons' way: reviewed, approved, published, read ----------------------------------


@pytest.mark.django_db
def test_a_published_release_shows_the_codename_nowhere_and_the_post_in_the_fm_line(
    reviewer, authority, publish
):
    cable = CableFactory(
        level=int(Level.S),
        subject=SUBJECT,
        subject_level=int(Level.S),
        originator="AMEMBASSY EXAMPLETOWN",
        tags=["PREL", "PINR", CODENAME],
        references=[f"A. STATE 12345 ({CODENAME})"],
        signature="STONE",
    )
    ParagraphFactory(
        cable=cable, ordinal=1, number="1", level=int(Level.C),
        text="The Ambassador thanked the minister and promised a list of technical experts.",
    )  # fmt: skip
    decide(cable, reviewer, {})  # the paragraph released; the subject withheld (b)(1)

    release = publish(cable, authority)

    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    client = Client()
    client.force_login(authority)
    got = [
        client.get(f"/releases/{release.pk}/").content.decode(),
        client.get("/releases/").content.decode(),
        release.title,
    ]
    for name in ("release.txt", "release.html"):
        got.append(client.get(f"/releases/{release.pk}/files/{name}").content.decode())
    pdf = PdfReader(io.BytesIO(client.get(f"/releases/{release.pk}/files/release.pdf").content))
    got += [page.extract_text() for page in pdf.pages]
    got += [str(v) for v in (pdf.metadata or {}).values()]
    assert not [text for text in got if CODENAME.lower() in text.lower()]
    text = got[3]
    assert "TAGS: PREL PINR [(b)(1)]" in text
    assert "REF: A. STATE 12345 ([(b)(1)])" in text
    assert "FM: AMEMBASSY EXAMPLETOWN" in text
