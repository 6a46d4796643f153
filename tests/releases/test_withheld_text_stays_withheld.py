"""Withheld text stays out of everything a release publishes: its header, title and
metadata, the reading room's columns, and released paragraphs of the same cable.

Each test builds the release the code under test makes and, where the builder could
be at fault, also a forged document holding the leak, to show that verification
blocks it independently of the builder.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cables.markings import Level
from releases.document import (
    ApprovalIn,
    Box,
    DecisionIn,
    HeaderField,
    HeaderIn,
    ParagraphIn,
    build_document,
    pieces_text,
)
from releases.models import Release, ReleaseFile
from releases.render import RENDERERS, render_text
from releases.services import ReleaseError, release_request, release_verify_stored
from releases.verify import verify_outputs
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import cleared, decide, files_of
from workflow import permissions
from workflow.models import Decision

APPROVAL = ApprovalIn(release_id=7, version=1, authority="Amos", approved_on=date(2025, 1, 1))
B1 = "(b)(1) 1.4(c)"
SOURCE_SENTENCE = "Source BLUEHERON reported troop movements near the northern harbor at night."


def build(header: HeaderIn, paragraphs, decisions):
    by_paragraph = {d.paragraph_id: d for d in decisions}
    return build_document(
        header=header, paragraphs=paragraphs, decisions=by_paragraph, approval=APPROVAL
    )


def verify(doc, paragraphs, decisions, formats=("text", "html", "pdf")):
    """The verification report on the formats asked for (the others are not missed)."""
    outputs = {k: RENDERERS[k][2](doc) for k in formats}
    by_paragraph = {d.paragraph_id: d for d in decisions}
    report = verify_outputs(doc=doc, paragraphs=paragraphs, decisions=by_paragraph, outputs=outputs)
    report.problems = [p for p in report.problems if not p.startswith("outputs missing")]
    return report


def field(doc, name: str) -> HeaderField:
    return next(f for f in doc.header if f.name == name)


def unboxed(pieces) -> str:
    return "".join(p for p in pieces if isinstance(p, str))


def forged(doc, **raw: str):
    """``doc`` with some header fields shown as in the original cable, title included."""
    header = tuple(
        HeaderField(f.name, (raw[f.name],), f.struck) if f.name in raw else f for f in doc.header
    )
    title = f"{doc.reference_id}: {raw['SUBJECT']}" if "SUBJECT" in raw else doc.title
    return replace(doc, header=header, title=title)


# -- 1. "already shown" means the same whole words, never a substring -----------------------

LEE_PARAGRAPHS = [
    ParagraphIn(1, 1, "1", "C", True, "The minister met LEE yesterday."),
    ParagraphIn(2, 2, "2", "C", True, "The fleet will arrive in port next week."),
]
LEE_START = LEE_PARAGRAPHS[0].text.index("LEE")
LEE_DECISIONS = [
    DecisionIn(10, 1, "redact", ((LEE_START, LEE_START + 3, "(b)(6)"),)),
    DecisionIn(11, 2, "release"),
]
LEE_HEADER = HeaderIn(reference_id="75STATE1", subject="MEETING WITH LEE ON FLEET VISIT")


def test_a_redacted_name_inside_a_released_word_is_still_boxed_in_the_subject():
    doc = build(LEE_HEADER, LEE_PARAGRAPHS, LEE_DECISIONS)

    # "fleet" contains "lee", but it is not the word LEE: the subject boxes it
    assert pieces_text(field(doc, "SUBJECT").pieces, "text") == (
        "MEETING WITH [(b)(6)] ON FLEET VISIT"
    )
    assert "LEE " not in doc.title and "LEE" not in render_text(doc).decode().replace("FLEET", "")
    assert verify(doc, LEE_PARAGRAPHS, LEE_DECISIONS).passed


def test_verification_blocks_a_subject_showing_a_redacted_name_inside_released_words():
    doc = forged(build(LEE_HEADER, LEE_PARAGRAPHS, LEE_DECISIONS), SUBJECT=LEE_HEADER.subject)

    report = verify(doc, LEE_PARAGRAPHS, LEE_DECISIONS)

    assert "the SUBJECT line repeats text redacted from paragraph 1 ((b)(6))" in report.problems


def test_a_word_the_paragraphs_release_whole_stays_in_the_subject():
    paragraphs = [*LEE_PARAGRAPHS, ParagraphIn(3, 3, "3", "U", True, "Lee Kuan spoke.")]
    span = (LEE_START, LEE_START + len("LEE yesterday"), "(b)(6)")  # "Lee" is released below
    decisions = [DecisionIn(10, 1, "redact", (span,)), *LEE_DECISIONS[1:],
                 DecisionIn(12, 3, "release")]  # fmt: skip

    doc = build(LEE_HEADER, paragraphs, decisions)

    assert unboxed(field(doc, "SUBJECT").pieces) == LEE_HEADER.subject
    assert verify(doc, paragraphs, decisions, formats=("text",)).passed


# -- 2. a short codename from a withheld paragraph is boxed in every header field ----------

CODENAME_PARAGRAPHS = [
    ParagraphIn(1, 1, "1", "S", True, SOURCE_SENTENCE),
    ParagraphIn(2, 2, "2", "U", True, "The Ambassador thanked the minister."),
]
CODENAME_DECISIONS = [DecisionIn(10, 1, "withhold", label=B1), DecisionIn(11, 2, "release")]
CODENAME_HEADER = HeaderIn(
    reference_id="07X1",
    subject="(S) BLUEHERON REPORTING ON TROOP MOVES",
    originator="AMEMBASSY X",
    tags=("PREL", "BLUEHERON"),
    references=("A. STATE 1234 (BLUEHERON)",),
    signature="STONE FOR BLUEHERON",
)


def test_a_one_word_codename_withheld_below_is_boxed_in_subject_ref_tags_and_signature():
    doc = build(CODENAME_HEADER, CODENAME_PARAGRAPHS, CODENAME_DECISIONS)
    pdf = RENDERERS["pdf"][2](doc)

    for name in ("SUBJECT", "REF", "TAGS"):
        assert "BLUEHERON" not in unboxed(field(doc, name).pieces), name
    assert "BLUEHERON" not in unboxed(doc.signature)
    assert "TROOP" not in unboxed(field(doc, "SUBJECT").pieces)  # a withheld word, too
    assert any(isinstance(p, Box) and p.label == B1 for p in field(doc, "SUBJECT").pieces)
    assert "BLUEHERON" not in doc.title and doc.keywords == ("PREL",)
    assert "BLUEHERON" not in str(PdfReader(io.BytesIO(pdf)).metadata)
    assert verify(doc, CODENAME_PARAGRAPHS, CODENAME_DECISIONS).passed


@pytest.mark.parametrize("name", ["SUBJECT", "REF", "TAGS"])
def test_verification_blocks_a_header_field_showing_a_withheld_codename(name):
    doc = build(CODENAME_HEADER, CODENAME_PARAGRAPHS, CODENAME_DECISIONS)
    raw = {
        "SUBJECT": CODENAME_HEADER.subject,
        "REF": CODENAME_HEADER.references[0],
        "TAGS": "PREL BLUEHERON",
    }

    report = verify(forged(doc, **{name: raw[name]}), CODENAME_PARAGRAPHS, CODENAME_DECISIONS)

    assert f"the {name} line repeats text of paragraph 1, withheld in full ({B1})" in (
        report.problems
    )


def test_verification_blocks_a_signature_showing_a_withheld_codename():
    doc = build(CODENAME_HEADER, CODENAME_PARAGRAPHS, CODENAME_DECISIONS)

    report = verify(
        replace(doc, signature=(CODENAME_HEADER.signature,)),
        CODENAME_PARAGRAPHS,
        CODENAME_DECISIONS,
    )

    assert f"the signature repeats text of paragraph 1, withheld in full ({B1})" in (
        report.problems
    )


# -- 3. the reading room's origin and date come from the released document ----------------


@pytest.mark.django_db
def test_the_reading_room_never_shows_the_cables_raw_origin(client, publish):
    reviewer, authority = cleared("rita"), cleared("amos")
    cable = CableFactory(
        level=int(Level.S), subject="(C) VISIT", origin="CIA STATION BLUEHERON",
        originator="AMEMBASSY X", signature="STONE",
    )  # fmt: skip
    text = "The station CIA STATION BLUEHERON reported troop movements."
    ParagraphFactory(cable=cable, ordinal=1, number="1", level=int(Level.C), text=text)
    start = text.index("CIA STATION BLUEHERON")
    span = {"start": start, "end": start + 21, "label": "(b)(1) 1.4(c)"}
    decide(cable, reviewer, {1: ("redact", [span])})

    release = publish(cable, authority)

    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    assert release.origin == "AMEMBASSY X"  # the FM line as released
    assert release.sent_at == cable.sent_at
    client.force_login(cleared("nobody", Level.U))
    for url in (reverse("releases:reading_room"), reverse("releases:detail", args=[release.pk])):
        body = client.get(url).content.decode()
        assert "BLUEHERON" not in body and "AMEMBASSY X" in body
    assert "BLUEHERON" not in client.get(reverse("api:release-list")).content.decode()
    assert release_verify_stored(release) == []


@pytest.mark.django_db
def test_a_withheld_origin_and_date_are_not_in_the_release_row(publish):
    reviewer, authority = cleared("rita"), cleared("amos")
    cable = CableFactory(originator="", origin="STATION BLUEHERON", dtg="081402Z MAY 07")
    ParagraphFactory(cable=cable, ordinal=1, text="BLUEHERON met the source on 081402Z.")
    ParagraphFactory(cable=cable, ordinal=2, text="The talks went well.")
    decide(cable, reviewer, {1: ("withhold", B1)})

    release = publish(cable, authority)

    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    assert release.origin == f"STATION [{B1}]"
    assert release.sent_at is None  # the DATE line is boxed: no date beside it
    assert "BLUEHERON" not in release.title + release.search_text


def test_verification_blocks_release_fields_not_taken_from_the_released_header():
    doc = build(CODENAME_HEADER, CODENAME_PARAGRAPHS, CODENAME_DECISIONS)
    stamp = timezone.now()

    checks = {
        "origin": replace(doc, origin="CIA STATION BLUEHERON"),
        "keywords": replace(doc, keywords=("PREL BLUEHERON",)),
        "date": replace(replace(doc, header=doc.header[:1]), sent_at=stamp),
    }

    for name, bad in checks.items():
        problems = verify(bad, CODENAME_PARAGRAPHS, CODENAME_DECISIONS, ("text",)).problems
        assert any(name in p for p in problems), (name, problems)


# -- 4. a released paragraph may not repeat what the same cable withholds -----------------


def test_verification_blocks_a_released_paragraph_repeating_a_withheld_one():
    paragraphs = [
        ParagraphIn(1, 1, "1", "S", True, SOURCE_SENTENCE),
        ParagraphIn(2, 2, "2", "U", True, "Summary: " + SOURCE_SENTENCE),
    ]
    decisions = [DecisionIn(10, 1, "withhold", label=B1), DecisionIn(11, 2, "release")]

    report = verify(build(HeaderIn("07X2", subject="TALKS"), paragraphs, decisions), paragraphs,
                    decisions, ("text",))  # fmt: skip

    assert report.problems == [
        f"paragraph 2, characters 9-{len(paragraphs[1].text) - 1}, repeats text of "
        f"paragraph 1, withheld in full ({B1}): the reviewers must redact it there too"
    ]
    assert "BLUEHERON" not in "".join(report.problems)


def test_verification_blocks_a_redacted_name_released_elsewhere_but_not_common_words():
    paragraphs = [
        ParagraphIn(1, 1, "1", "C", True, "The Ambassador said that Colonel Diallo will go."),
        ParagraphIn(2, 2, "2", "U", True, "The Ambassador said that talks resume."),
        ParagraphIn(3, 3, "3", "U", True, "Diallo declined."),
    ]
    start = paragraphs[0].text.index("Colonel Diallo")
    name = DecisionIn(10, 1, "redact", ((start + 8, start + 14, "(b)(6)"),))
    decisions = [name, DecisionIn(11, 2, "release"), DecisionIn(12, 3, "release")]

    report = verify(build(HeaderIn("07X3"), paragraphs, decisions), paragraphs, decisions,
                    ("text",))  # fmt: skip
    ok = [name, DecisionIn(11, 2, "release"), DecisionIn(12, 3, "redact", ((0, 6, "(b)(6)"),))]

    assert report.problems == [
        "paragraph 3, characters 0-6, repeats text redacted from paragraph 1 ((b)(6)): "
        "the reviewers must redact it there too"
    ]
    assert verify(build(HeaderIn("07X3"), paragraphs, ok), paragraphs, ok, ("text",)).passed


def test_a_stock_phrase_shared_with_a_withheld_paragraph_does_not_block():
    # "the Minister of Foreign Affairs said that" (7 words) is in both; nothing else is.
    paragraphs = [
        ParagraphIn(1, 1, "1", "S", True,
                    "The Minister of Foreign Affairs said that BLUEHERON met the envoy twice."),
        ParagraphIn(2, 2, "2", "U", True,
                    "The Minister of Foreign Affairs said that the talks resume in June."),
    ]  # fmt: skip
    decisions = [DecisionIn(10, 1, "withhold", label=B1), DecisionIn(11, 2, "release")]

    report = verify(build(HeaderIn("07X4", subject="TALKS"), paragraphs, decisions), paragraphs,
                    decisions, ("text",))  # fmt: skip

    assert report.passed, report.problems


@pytest.mark.django_db
def test_an_authority_cannot_approve_decisions_that_release_what_they_withhold(publish):
    reviewer, authority = cleared("rita"), cleared("amos")
    cable = CableFactory()
    ParagraphFactory(cable=cable, ordinal=1, number="1", text=SOURCE_SENTENCE)
    ParagraphFactory(cable=cable, ordinal=2, number="2", text="In short: " + SOURCE_SENTENCE)
    decide(cable, reviewer, {1: ("withhold", B1)})
    permissions.grant(permissions.RELEASE, authority, cable)

    repeats = r"paragraph 2, characters 10-\d+, repeats text of paragraph 1, withheld in full"
    with pytest.raises(ReleaseError, match=repeats + r" .*: the reviewers must redact it"):
        release_request(user=authority, cable=cable)

    assert not Release.objects.exists()
    cable.status.refresh_from_db()
    assert cable.status.review_state == "reviewed"


# -- 5. publication re-checks the decisions under the lock ---------------------------------


@pytest.mark.django_db
def test_a_decision_recorded_while_the_release_is_made_blocks_it(reviewed, authority, publish,
                                                                  monkeypatch):  # fmt: skip
    def render_and_decide(doc):
        paragraph = reviewed.paragraphs.get(ordinal=3)
        current = paragraph.decisions.order_by("-id").first()
        Decision.objects.create(
            cable=reviewed, paragraph=paragraph, kind="withhold", label="(b)(5)",
            supersedes=current, decided_by=current.decided_by, decided_at=timezone.now(),
        )  # fmt: skip
        return render_text(doc)

    renderers = dict(RENDERERS)
    renderers["text"] = (*RENDERERS["text"][:2], render_and_decide)
    monkeypatch.setattr("releases.services.RENDERERS", renderers)

    release = publish(reviewed, authority)

    assert release.status == Release.Status.BLOCKED
    assert "decisions changed while the release was made" in release.blocked_reason
    assert not ReleaseFile.objects.exists()


# -- 6. files only for a pending release (a database trigger) ----------------------------


@pytest.mark.django_db
def test_the_database_refuses_files_for_a_release_that_is_not_pending(published, authority):
    extra = ReleaseFile(
        release=published, name="extra.txt", content_type="text/plain", content=b"x", size=1,
        sha256="0" * 64,
    )  # fmt: skip

    with pytest.raises(DatabaseError, match="only while it is pending"), transaction.atomic():
        ReleaseFile.objects.bulk_create([extra])

    assert set(files_of(published)) == {
        "release.txt", "release.html", "release.pdf", "withholding-index.json", "manifest.json",
    }  # fmt: skip
