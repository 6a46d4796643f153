"""Nothing withheld leaves: forms of a withheld word that the approval check and
verification did not recognise as that word, and the guards that hold.

Each case goes the persons' way: the reviewer decides (``decide``), the release
authority approves and the release is made and verified (``publish``), and a reader
downloads the files from the reading room.  Five cases were leaks (strict xfails until
fixed: small letters, an address, a line-end hyphen, look-alike letters, a withheld
subject's word in TAGS); the assertions state what must hold.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from django.test import Client
from pypdf import PdfReader

from cables.markings import Level
from cables.models import Cable
from releases.document import ApprovalIn, DecisionIn, HeaderIn, ParagraphIn, build_document
from releases.models import Release
from releases.render import RENDERERS
from releases.services import RepeatsWithheld
from releases.verify import verify_outputs
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import decide

pytestmark = pytest.mark.django_db

B1 = "(b)(1) 1.4(c)"
B6 = "(b)(6)"


def _cable(*texts: str, **fields: Any) -> Cable:
    """A SECRET cable with an unclassified subject unless told, one paragraph per text."""
    values: dict[str, Any] = {
        "level": int(Level.S),
        "subject": "(U) HARBOR VISIT",
        "originator": "AMEMBASSY EXAMPLETOWN",
        "signature": "STONE",
        **fields,
    }
    cable = CableFactory(**values)
    for i, text in enumerate(texts, start=1):
        ParagraphFactory(cable=cable, ordinal=i, number=str(i), level=int(Level.C), text=text)
    return cable


def _span(text: str, secret: str, label: str = B6) -> list[dict[str, Any]]:
    start = text.index(secret)
    return [{"start": start, "end": start + len(secret), "label": label}]


def _release_or_refusal(cable: Cable, authority: Any, publish: Any) -> Release | None:
    """The release the authority's approval makes, or None when approval refuses it
    because a released paragraph repeats withheld text."""
    try:
        return publish(cable, authority)
    except RepeatsWithheld:
        return None


def _downloaded(release: Release, reader: Any) -> dict[str, str]:
    """Everything a reader gets of a release from the reading room: its page, its files
    (the PDF as its text layer and metadata), and its row in the list."""
    client = Client()
    client.force_login(reader)
    got = {
        "detail page": client.get(f"/releases/{release.pk}/").content.decode(),
        "reading room": client.get("/releases/").content.decode(),
    }
    for name in ("release.txt", "release.html", "withholding-index.json", "manifest.json"):
        response = client.get(f"/releases/{release.pk}/files/{name}")
        assert response.status_code == 200, name
        got[name] = response.content.decode()
    pdf = PdfReader(io.BytesIO(client.get(f"/releases/{release.pk}/files/release.pdf").content))
    got["PDF text layer"] = "\n".join(page.extract_text() for page in pdf.pages)
    got["PDF metadata"] = "\n".join(str(v) for v in (pdf.metadata or {}).values())
    return got


def _carrying(release: Release | None, reader: Any, *needles: str) -> list[str]:
    """The places a reader finds any of ``needles`` (case-insensitive); none when the
    release was refused or blocked."""
    if release is None or release.status != Release.Status.PUBLISHED:
        return []
    got = _downloaded(release, reader)
    got["title"] = release.title
    return sorted(
        name for name, text in got.items() if any(n.lower() in text.lower() for n in needles)
    )


# -- 1. a redaction written in small letters, repeated verbatim in a released paragraph ----

EMAIL = "oriol.varga@mod.example"
MAIL_P1 = f"The Defense Minister asked that his private address {EMAIL} be used for the list."
MAIL_P2 = f"Post sent the list of technical experts to {EMAIL} on Friday as agreed."


def test_a_redacted_address_repeated_verbatim_in_a_released_paragraph_does_not_leave(
    reviewer, authority, publish
):
    cable = _cable(MAIL_P1, MAIL_P2)
    decide(cable, reviewer, {1: ("redact", _span(MAIL_P1, EMAIL))})

    release = _release_or_refusal(cable, authority, publish)

    assert _carrying(release, authority, EMAIL) == []


# -- 2. a redacted name released in small letters, and the subject trusting that ----------

NAME_P1 = "Defense Minister Oriol Varga told the Ambassador that harbor talks open in June."
NAME_P2 = "Experts may write to oriol.varga@mod.example for the agenda."


def test_a_redacted_name_released_in_small_letters_leaves_neither_text_nor_title(
    reviewer, authority, publish
):
    cable = _cable(NAME_P1, NAME_P2, subject="(U) HARBOR TALKS WITH MINISTER ORIOL VARGA")
    decide(cable, reviewer, {1: ("redact", _span(NAME_P1, "Oriol Varga"))})

    release = _release_or_refusal(cable, authority, publish)

    assert _carrying(release, authority, "varga") == []


# -- 3. a redacted codename hyphenated at a line end in a released paragraph --------------

# Teletype cables break words at line ends with a hyphen ("REMIND-\nED" in the dev corpus).
HYPH_P1 = "THE PALACE SOURCE BLUEHERON REPORTED TROOP MOVEMENTS NEAR THE HARBOR."
HYPH_P2 = "THE AMBASSADOR DID NOT RAISE THE REPORTING OF BLUE-\nHERON WITH THE MINISTER."


def test_a_redacted_codename_hyphenated_across_a_line_in_a_released_paragraph_stays_out(
    reviewer, authority, publish
):
    cable = _cable(HYPH_P1, HYPH_P2)
    decide(cable, reviewer, {1: ("redact", _span(HYPH_P1, "BLUEHERON", B1))})

    release = _release_or_refusal(cable, authority, publish)

    assert _carrying(release, authority, "BLUE-\nHERON", "BLUE-HERON", "BLUE- HERON") == []


# -- 4. a withheld subject's word printed by the TAGS line ------------------------------------


def test_a_withheld_subjects_codename_is_not_printed_by_the_tags_line(reviewer, authority, publish):
    cable = _cable(
        "The Ambassador thanked the minister and promised a list of technical experts.",
        subject="(S) BLUEHERON TASKING FOR THE NORTHERN HARBOR",
        subject_level=int(Level.S),
        tags=["PREL", "PINR", "BLUEHERON"],
    )
    decide(cable, reviewer, {})  # the paragraph released; the subject withheld (b)(1)

    release = _release_or_refusal(cable, authority, publish)

    assert release is not None and release.status == Release.Status.PUBLISHED
    assert release.title.endswith("[(b)(1) subject withheld]")
    assert _carrying(release, authority, "BLUEHERON") == []


# -- 5. a redacted name spelt with a look-alike letter in a released paragraph -------------

CYRILLIC_IE = "\u0415"  # looks like the Latin E; NFKC keeps it apart
LOOK_P2 = f"THE AMBASSADOR MET BLU{CYRILLIC_IE}HERON AT NOON."


def test_a_redacted_codename_spelt_with_a_look_alike_letter_stays_out(reviewer, authority, publish):
    cable = _cable(HYPH_P1, LOOK_P2)
    decide(cable, reviewer, {1: ("redact", _span(HYPH_P1, "BLUEHERON", B1))})

    release = _release_or_refusal(cable, authority, publish)

    assert _carrying(release, authority, f"BLU{CYRILLIC_IE}HERON") == []


# -- guards that hold (no other test covers them) -------------------------------------------

APPROVAL = ApprovalIn(release_id=7, version=1, authority="Amos", approved_on=date(2025, 1, 1))


@pytest.mark.parametrize(
    "joiner",
    ["\u2063", "\u200e", "\u034f", "\ufe0f"],
    ids=["invisible-separator", "left-to-right-mark", "grapheme-joiner", "variation-selector"],
)
def test_verification_blocks_a_redacted_word_split_by_an_invisible_character(joiner):
    """Characters outside ``cables.words.INVISIBLE`` split or change the word for the
    approval's word check, but the PDF text layer drops them, and the leak is found
    there: the release is blocked."""
    paragraphs = [
        ParagraphIn(1, 1, "1", "S", True, HYPH_P1),
        ParagraphIn(2, 2, "2", "U", True, f"THE AMBASSADOR MET BLUE{joiner}HERON AT NOON."),
    ]
    start = HYPH_P1.index("BLUEHERON")
    decisions = {
        1: DecisionIn(10, 1, "redact", ((start, start + 9, B1),)),
        2: DecisionIn(11, 2, "release"),
    }
    doc = build_document(
        header=HeaderIn(reference_id="07X1", subject="VISIT"),
        paragraphs=paragraphs,
        decisions=decisions,
        approval=APPROVAL,
    )
    outputs = {k: RENDERERS[k][2](doc) for k in ("text", "html", "pdf")}

    report = verify_outputs(
        doc=doc, paragraphs=paragraphs, decisions=decisions, outputs=outputs,
        common_words=frozenset(),
    )  # fmt: skip

    assert f"PDF text layer: text redacted from paragraph 1 ({B1}) appears in it" in (
        report.problems
    )


def test_a_redaction_at_the_paragraphs_start_and_one_at_its_end_leave_nothing(
    reviewer, authority, publish
):
    """Spans touching both edges of a paragraph, and two spans that overlap, are
    boxed whole in every output the reader downloads, and the index says where."""
    text = "KESTREL told the Ambassador that the harbor talks open in June via LANTERNFISH"
    first = _span(text, "KESTREL")[0]
    last = _span(text, "LANTERNFISH", B1)[0]
    overlapping = {"start": last["start"] - 4, "end": last["start"] + 3, "label": B6}
    cable = _cable(text, "The Ambassador thanked the minister and promised a list.")
    decide(cable, reviewer, {1: ("redact", [first, last, overlapping])})

    release = publish(cable, authority)

    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    assert _carrying(release, authority, "KESTREL", "LANTERN", "FISH") == []
    index = release.withholding_index
    assert [(i["start"], i["end"]) for i in index] == [
        (0, len("KESTREL")),
        (overlapping["start"], len(text)),
    ]
