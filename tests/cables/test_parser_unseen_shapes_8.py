"""More shapes of real cables (8): raw-text exports of NARA's AAD records of the 1973-1979
State Department telegrams.  The record's field block ("Draft Date:", "Document
Number:", "From:", "To:", "TAGS:", "Classification:" ...) stands above "Message Text:",
and the message text may hold only the body under a bare "CONFIDENTIAL" banner and a
"PAGE 01 STATE 219876" header, with no routing lines and no classification line naming
post and serial: the record's document number and sender are then the cable's only id
and origin.

Each test below marked "defect" failed against the parser before its fix; the others
guard a look-alike that must keep reading as it did.  Every cable is invented (a
fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cables.parsing import parse_cable
from tests.cables.cable_text import paragraph_texts as texts

_FIELDS = (
    "Draft Date: 15 SEP 1975\n"
    "Document Number: 1975STATE219876\n"
    "Film Number: D750321-0123\n"
    "From: SECSTATE WASHDC\n"
    "To: AMEMBASSY VALDERRA\n"
    "TAGS: PFOR, VD, US\n"
    "Handling Restrictions: n/a\n"
    "Classification: CONFIDENTIAL\n"
    "Concepts: FOREIGN RELATIONS, NEGOTIATIONS\n"
    "Enclosure: n/a\n"
    "Office: ORIGIN EUR\n"
    "Original Classification: CONFIDENTIAL\n"
    "Review Date: 26 AUG 2003\n"
    "Review Event:\n"
    "Subject: FISHERIES TALKS WITH VALDERRA\n"
)
_BODY_ONLY = (
    "Message Text:\n"
    "CONFIDENTIAL\n\n"
    "PAGE 01 STATE 219876\n\n"
    "E.O. 11652: GDS\n"
    "TAGS: PFOR, VD, US\n"
    "SUBJECT: FISHERIES TALKS WITH VALDERRA\n\n"
    "1. THE MINISTER SAID THE TALKS WOULD RESUME IN OCTOBER.\n\n"
    "2. DEPARTMENT WISHES TO CONSULT CLOSELY BEFORE THE SEASON.\n"
    "KISSINGER\n\n\n"
    "CONFIDENTIAL\n\n"
    "NNN\n"
)
_WITH_ROUTING = (
    "Message Text:\n"
    "CONFIDENTIAL\n\n"
    "PAGE 01 STATE 219876\n"
    "ORIGIN EUR-12\n\n"
    "INFO OCT-01 ISO-00 SS-15 NSC-05 /033 R\n\n"
    "DRAFTED BY EUR/WE:JDOE:LM\n"
    "APPROVED BY EUR:ASMITH\n"
    "--------------------- 071234\n"
    "R 151230Z SEP 75\n"
    "FM SECSTATE WASHDC\n"
    "TO AMEMBASSY VALDERRA IMMEDIATE 1234\n"
    "C O N F I D E N T I A L STATE 219876\n\n"
    "E.O. 11652: XGDS-1\n"
    "TAGS: PFOR, VD, US\n"
    "SUBJECT: FISHERIES TALKS WITH VALDERRA\n\n"
    "REF: VALDERRA 2070\n\n"
    "1. (C) THE MINISTER SAID THE TALKS WOULD RESUME IN OCTOBER.\n\n"
    "2. (U) DEPARTMENT WISHES TO CONSULT CLOSELY BEFORE THE SEASON.\n"
    "KISSINGER\n\n\n"
    "CONFIDENTIAL\n\n"
    "NNN\n"
)
_TEXTS = [
    "THE MINISTER SAID THE TALKS WOULD RESUME IN OCTOBER.",
    "DEPARTMENT WISHES TO CONSULT CLOSELY BEFORE THE SEASON.",
]


def test_a_body_only_record_takes_its_id_from_the_document_number():
    """Defect: the message text names no post and serial, so the cable had no id."""
    parsed = parse_cable(_FIELDS + _BODY_ONLY)
    assert parsed.reference_id == "75STATE219876"
    assert (parsed.subject, parsed.decl, parsed.tags) == (
        "FISHERIES TALKS WITH VALDERRA",
        "GDS",
        ["PFOR", "VD", "US"],
    )
    assert texts(parsed) == _TEXTS
    assert parsed.signature == "KISSINGER"


def test_a_body_only_record_takes_its_origin_from_the_from_field():
    """Defect: with no FM line the cable had no origin, though the record names it."""
    parsed = parse_cable(_FIELDS.replace("SECSTATE WASHDC", "AMEMBASSY VALDERRA") + _BODY_ONLY)
    assert parsed.origin == "Embassy Valderra"


def test_the_telegrams_own_routing_and_classification_line_win_over_the_record():
    parsed = parse_cable(
        _FIELDS.replace("1975STATE219876", "1975STATE111111").replace(
            "From: SECSTATE WASHDC", "From: AMEMBASSY VALDERRA"
        )
        + _WITH_ROUTING
    )
    assert parsed.reference_id == "75STATE219876"
    assert parsed.origin == "Secretary of State"
    assert parsed.sent_at == datetime(1975, 9, 15, 12, 30, tzinfo=UTC)
    assert (parsed.decl, parsed.references) == ("XGDS-1", ["VALDERRA 2070"])
    assert [str(p.marking) for p in parsed.paragraphs] == ["C", "U"]
    assert texts(parsed) == _TEXTS


def test_the_record_draft_date_is_no_sending_date():
    assert parse_cable(_FIELDS + _BODY_ONLY).sent_at is None


@pytest.mark.parametrize(
    "line",
    [
        "Document Number: 75STATE219876",  # no year in full: not the AAD's number
        "Document Number: D750321-0123",  # a film number
        "Document Number: 1975STATE",  # no serial
    ],
)
def test_a_document_number_not_in_the_aad_shape_gives_no_id(line):
    parsed = parse_cable(_FIELDS.replace("Document Number: 1975STATE219876", line) + _BODY_ONLY)
    assert parsed.reference_id is None


@pytest.mark.parametrize("line", ["From: Jane Doe", "From: the Department", "From: n/a"])
def test_a_from_field_naming_no_post_gives_no_origin(line):
    parsed = parse_cable(_FIELDS.replace("From: SECSTATE WASHDC", line) + _BODY_ONLY)
    assert parsed.origin is None


# --- a printed page's foot and head in the middle of a sentence -------------------------------

_CUT = "2. (U) DEPARTMENT WISHES TO CONSULT CLOSELY BEFORE THE SEASON."


def _page_break(before: str, after: str, gap: str) -> str:
    broken = f"{before}\n{gap}CONFIDENTIAL\n\nPAGE 02 STATE 219876\n\n{after}"
    return _FIELDS + _WITH_ROUTING.replace(_CUT, broken)


@pytest.mark.parametrize("gap", ["", "\n", "\n\n"])
def test_a_page_break_in_mid_sentence_leaves_no_blank_lines_in_the_paragraph(gap):
    """Defect: the blank lines around the dropped page header stayed in the paragraph."""
    parsed = parse_cable(
        _page_break("2. (U) DEPARTMENT WISHES TO CONSULT CLOSELY", "BEFORE THE SEASON.", gap)
    )
    assert texts(parsed) == [_TEXTS[0], "DEPARTMENT WISHES TO CONSULT CLOSELY\nBEFORE THE SEASON."]
    assert parsed.signature == "KISSINGER"


def test_a_page_break_after_a_full_sentence_still_parts_two_paragraphs():
    parsed = parse_cable(
        _page_break("2. (U) DEPARTMENT WISHES TO CONSULT.", "THE SEASON OPENS IN MAY.", "\n")
    )
    assert texts(parsed)[1:] == ["DEPARTMENT WISHES TO CONSULT.", "THE SEASON OPENS IN MAY."]


def test_a_page_break_before_a_numbered_paragraph_keeps_it_apart():
    parsed = parse_cable(
        _page_break("2. (U) DEPARTMENT WISHES TO CONSULT", "3. (U) THE SEASON OPENS IN MAY.", "")
    )
    assert [p.number for p in parsed.paragraphs] == ["1", "2", "3"]
    assert texts(parsed)[1] == "DEPARTMENT WISHES TO CONSULT"


# --- page headers under a banner that names no serial -------------------------------------


def _without_header_fields(message: str) -> str:
    for line in (
        "E.O. 11652: GDS\n",
        "TAGS: PFOR, VD, US\n",
        "SUBJECT: FISHERIES TALKS WITH VALDERRA\n\n",
    ):
        message = message.replace(line, "")
    return message


def test_a_page_header_under_a_bare_banner_is_no_paragraph():
    """Defect: with no serial to match, "PAGE 01 STATE 219876" became the first paragraph."""
    parsed = parse_cable(_FIELDS + _without_header_fields(_BODY_ONLY))
    assert texts(parsed) == _TEXTS
    assert [p.number for p in parsed.paragraphs] == ["1", "2"]


def test_a_page_header_of_another_serial_under_a_full_classification_line_stays_text():
    line = "PAGE 02 STATE 111111"
    parsed = parse_cable(_FIELDS + _WITH_ROUTING.replace("IN OCTOBER.\n", f"IN OCTOBER.\n{line}\n"))
    assert texts(parsed)[0] == f"{_TEXTS[0]}\n{line}"


# --- the telegraphic desk's note under the signer's name -----------------------------------

_NOTE = "NOTE BY OC/T: NOT PASSED USUN."


def test_the_desks_note_under_the_signers_name_leaves_the_signature_read():
    """Defect: below the name, the note hid the signature; both joined paragraph 2."""
    parsed = parse_cable(
        _FIELDS + _WITH_ROUTING.replace("KISSINGER\n", f"KISSINGER\n\n\n{_NOTE}\n")
    )
    assert parsed.signature == "KISSINGER"
    assert texts(parsed) == [*_TEXTS, _NOTE]


def test_a_desks_note_not_under_a_name_stays_in_its_paragraph():
    closing = "2. (U) DEPARTMENT WISHES TO CONSULT CLOSELY BEFORE THE SEASON."
    parsed = parse_cable(_FIELDS + _WITH_ROUTING.replace(closing, f"{closing}\n{_NOTE}"))
    assert parsed.signature == "KISSINGER"
    assert texts(parsed)[-1] == f"{_TEXTS[1]}\n{_NOTE}"


# --- a repeated telegram: the quoted cable's signer, then the repeating post's -------------

_REPEAT = "FOL REPEAT VALDERRA 2070 ACTION SECSTATE 10 SEP 75 QUOTE\n\n1. (C) THE MINISTER"


def _repeat(close: str) -> str:
    text = _WITH_ROUTING.replace("1. (C) THE MINISTER", _REPEAT)
    return _FIELDS + text.replace("KISSINGER\n", f"{close}\n")


@pytest.mark.parametrize(
    "close",
    [
        "SMITH UNQUOTE INGERSOLL",
        "UNQUOTE INGERSOLL",
        "SMITH\nUNQUOTE INGERSOLL",
        "SMITH UNQUOTE\nINGERSOLL",
    ],
)
def test_a_repeated_telegram_is_signed_by_the_name_after_unquote(close):
    """Defect: the whole close was read as a name ("SMITH UNQUOTE INGERSOLL") or the name
    after the quotation's close was read as a wrapped last word (no signature)."""
    parsed = parse_cable(_repeat(close))
    assert parsed.signature == "INGERSOLL"
    assert texts(parsed)[1] == _TEXTS[0]


def test_a_line_that_only_closes_the_quotation_is_no_signature():
    """Defect: "UNQUOTE" alone on the last line was read as the signer's name."""
    parsed = parse_cable(_repeat("SMITH\n\nUNQUOTE"))
    assert parsed.signature is None
    assert texts(parsed)[-1].endswith("UNQUOTE")
