"""Verification holds a classified subject withheld on its own, whatever built the release.

The document builder boxes a withheld subject whole (one above UNCLASSIFIED that its
reviewer withheld, or that no one decided); these tests break that
(a builder that forgets the box, a header that drops the withholding, a renderer that
slips the subject into the PDF's metadata) and show that the check run at publication
refuses the release, naming the channel and never the subject, and that nothing is
published: not on the approval page, not in the reading room, not through the API.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from releases import document
from releases.document import ApprovalIn, DecisionIn, HeaderIn, ParagraphIn, build_document
from releases.models import Release
from releases.render import RENDERERS, render_html, render_text
from releases.verify import verify_outputs
from tests.cables.cable_text import telegram
from tests.releases.conftest import decide, import_texts
from tests.releases.test_approval_page import approve, page_after
from workflow import permissions
from workflow.models import CableStatus, ReviewState

pytestmark = pytest.mark.django_db

CANARY = "QUILLFEATHER"
SUBJECT = f"(S) {CANARY} SOURCE ON HARBOR TALKS"


@pytest.fixture
def secret_subject(reviewer, authority, client):
    """A reviewed SECRET cable whose subject is SECRET and withheld by its reviewer (the
    ``decide`` helper's default), every paragraph released, and its release authority on
    the approval page."""
    (cable,) = import_texts({"c.txt": telegram(banner="S E C R E T", subject=SUBJECT)})
    decide(cable, reviewer, {})
    permissions.grant(permissions.RELEASE, authority, cable)
    client.force_login(authority)
    return cable


def _approve_on_the_page(client, cable, capture):
    with capture(execute=True):
        approve(client, cable)
    return Release.objects.get(cable=cable)


def _nothing_published(client, cable, release):
    assert release.status == Release.Status.BLOCKED
    assert not release.files.exists()
    assert CableStatus.objects.get(cable=cable).review_state != ReviewState.RELEASED
    assert CANARY not in release.blocked_reason
    body = page_after(client, cable)
    assert "Verification blocked the release" in body
    # Nothing in the reading room, through the web or the API
    assert client.get("/api/releases/").json()["count"] == 0
    assert cable.reference_id not in client.get("/releases/").content.decode()


def _unboxed(name, value, struck_, h, risky):
    """``document._header_field`` with the subject's box forgotten."""
    return document.HeaderField(name, document.box_in(value, risky), struck_)


def test_a_builder_that_forgets_to_box_the_subject_is_refused(
    client, secret_subject, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(document, "_header_field", _unboxed)

    release = _approve_on_the_page(client, secret_subject, django_capture_on_commit_callbacks)

    problems = release.blocked_reason.splitlines()
    assert "the SUBJECT line is not one box: the withheld subject is above UNCLASSIFIED" in problems
    for channel in ("plain text", "HTML page text", "HTML title", "PDF text layer",
                    "PDF metadata", "release fields"):  # fmt: skip
        assert f"{channel}: the withheld subject appears in it" in problems, channel
    _nothing_published(client, secret_subject, release)
    assert "the SUBJECT line is not one box" in page_after(client, secret_subject)


def test_a_header_that_drops_the_subjects_withholding_is_refused(
    client, secret_subject, monkeypatch, django_capture_on_commit_callbacks
):
    from releases import services

    real = services.header_in
    monkeypatch.setattr(
        services,
        "header_in",
        lambda cable, **kw: dataclasses.replace(real(cable, **kw), subject_withheld=""),
    )

    release = _approve_on_the_page(client, secret_subject, django_capture_on_commit_callbacks)

    assert "the SUBJECT line is not one box" in release.blocked_reason
    assert "plain text: the withheld subject appears in it" in release.blocked_reason
    _nothing_published(client, secret_subject, release)


def test_a_renderer_that_puts_a_subject_word_in_the_pdf_metadata_is_refused(
    client, secret_subject, monkeypatch, django_capture_on_commit_callbacks
):
    from weasyprint import HTML

    def leaky_pdf(doc):
        page = render_html(doc).decode()
        page = re.sub(r'(<meta name="keywords" content=")', rf"\g<1>{CANARY} ", page)
        return HTML(string=page).write_pdf()

    leaky = dict(RENDERERS)
    leaky["pdf"] = ("release.pdf", "application/pdf", leaky_pdf)
    monkeypatch.setattr("releases.services.RENDERERS", leaky)

    release = _approve_on_the_page(client, secret_subject, django_capture_on_commit_callbacks)

    assert (
        "PDF metadata: 1 distinctive word(s) of the withheld subject appear in it"
        in release.blocked_reason.splitlines()
    )
    _nothing_published(client, secret_subject, release)


# -- the check itself ----------------------------------------------------------------------

PARAGRAPHS = [
    ParagraphIn(1, 1, "1", "C", True, "The minister said the harbor talks would resume."),
    ParagraphIn(2, 2, "2", "S", True, "The palace source reported troop movements."),
]
RELEASED = {1: DecisionIn(11, 1, "release"), 2: DecisionIn(12, 2, "withhold", label="(b)(1)")}
HEADER = HeaderIn(
    "07X1", subject=SUBJECT, subject_withheld="(b)(1)", subject_level=2, originator="AMEMBASSY ROME"
)


def _verify(header=HEADER, decisions=RELEASED, **kwargs):
    doc = build_document(
        header=header, paragraphs=PARAGRAPHS, decisions=decisions,
        approval=ApprovalIn(1, 1, "Amos", date(2025, 1, 5)),
    )  # fmt: skip
    outputs = {"text": render_text(doc), "html": render_html(doc)}
    return verify_outputs(
        doc=doc, paragraphs=PARAGRAPHS, decisions=decisions, outputs=outputs, header=header,
        **kwargs,
    )  # fmt: skip


def test_the_reading_room_search_text_is_checked_for_the_subject():
    assert _verify().problems == ["outputs missing: pdf"]

    report = _verify(search_text=f"released words and then {CANARY.lower()} by itself")

    assert (
        "reading-room search text: 1 distinctive word(s) of the withheld subject appear in it"
        in (report.problems)
    )


def test_subject_words_the_release_shows_anyway_are_not_held_against_it():
    """ "HARBOR" and "TALKS" are in a released paragraph and "ROME" in the FM line: the
    release may show them.  "SOURCE" is only in the withheld paragraph and the subject."""
    assert _verify(search_text="the harbor talks, from Rome").problems == ["outputs missing: pdf"]
    report = _verify(search_text="the source")
    assert (
        "reading-room search text: 1 distinctive word(s) of the withheld subject appear in it"
        in (report.problems)
    )


def test_an_unclassified_subject_is_no_secret_of_the_check():
    header = dataclasses.replace(HEADER, subject="(U) QUILLFEATHER TALKS", subject_withheld="",
                                 subject_level=0)  # fmt: skip
    assert _verify(header, search_text=CANARY).problems == ["outputs missing: pdf"]


def test_a_subject_a_redacted_paragraph_still_shows_whole_is_no_leak():
    """ "HARBOR TALKS" withheld as the subject, and shown by paragraph 1 outside its
    redaction ("The minister" boxed): the release shows it by the reviewers' decision."""
    header = dataclasses.replace(HEADER, subject="(S) HARBOR TALKS")
    redacted = {**RELEASED, 1: DecisionIn(11, 1, "redact", ((4, 12, "(b)(6)"),))}

    assert _verify(header, redacted).problems == ["outputs missing: pdf"]
