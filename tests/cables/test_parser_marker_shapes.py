"""Paragraph markers, portion marks and trailer lines in less common shapes.

``PARA 1. (C)`` markers, the mark written before the number (``(C) 1. text``),
the SBU NOFORN mark written with ``//``, the ``NNN`` end-of-message line of
archive records and ``DECLASSIFIED PER E.O. ...`` release stamps above the
header.  Each shape is read as a careful archivist would, and the look-alikes
in prose are not: a paragraph starting with the word "PARA", a mark and a
number inside a sentence, "(U) 2.5 million".  Every cable here is invented.
"""

from __future__ import annotations

import pytest

from cables.markings import Level, Marking
from cables.parsing import ParsedCable, parse_cable
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import telegram

EXPECTED_MARKS = [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]


def marks(parsed: ParsedCable) -> list[tuple[str, str, str]]:
    """(number, effective marking, how it was decided) per paragraph."""
    return [(p.number, str(p.marking), p.source) for p in parsed.paragraphs]


# --- PARA 1. (C) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "words",
    [("PARAGRAPH", "PARAGRAPH", "PARAGRAPH"), ("Para", "para", "PARA"), ("PARA", "PARA", "PARA")],
    ids=["paragraph", "mixed-case", "para"],
)
def test_para_markers_in_other_spellings_are_read(words):
    paragraphs = (
        f"{words[0]} 1. (C) First.",
        f"{words[1]} 2. (U) Second.",
        f"{words[2]} 3. (C) Third.",
    )

    parsed = parse_cable(telegram(paragraphs=paragraphs))

    assert marks(parsed) == EXPECTED_MARKS
    assert texts(parsed) == ["First.", "Second.", "Third."]
    assert parsed.paragraphs[0].marker == f"{words[0]} 1. (C)"


def test_a_para_marker_with_an_entire_text_statement_is_read():
    paragraphs = ("PARA 1. (C) First.", "PARA 2. (U) Second.", "PARA 3. SECRET - ENTIRE TEXT.")

    parsed = parse_cable(telegram(paragraphs=paragraphs))

    assert parsed.paragraphs[2].number == "3"
    assert parsed.paragraphs[2].source == "entire_text"
    assert str(parsed.paragraphs[2].marking) == "S"


@pytest.mark.parametrize(
    "prose",
    ["PARA 2 OF REFTEL ASKED FOR OUR VIEWS.", "PARA 2. OF REFTEL ASKED FOR OUR VIEWS."],
    ids=["no-period", "no-mark"],
)
def test_a_paragraph_starting_with_the_word_para_is_text_not_a_marker(prose):
    paragraphs = ("1. (C) First.", prose, "2. (U) Second.", "3. (C) Third.")

    parsed = parse_cable(telegram(paragraphs=paragraphs))

    assert marks(parsed) == EXPECTED_MARKS
    assert parsed.paragraphs[0].text == f"First.\n\n{prose}"


def test_a_wrapped_line_starting_with_para_n_stays_in_its_sentence():
    paragraphs = (
        "1. (C) As asked in\nPARA 2. OF REFTEL, we agree.",
        "2. (U) Second.",
        "3. (C) Third.",
    )

    parsed = parse_cable(telegram(paragraphs=paragraphs))

    assert marks(parsed) == EXPECTED_MARKS
    assert parsed.paragraphs[0].text == "As asked in\nPARA 2. OF REFTEL, we agree."


# --- (C) 1. text ----------------------------------------------------------------------------


def test_the_mark_before_the_number_is_kept_as_written():
    parsed = parse_cable(telegram(paragraphs=("(C) 1. First.", "(U) 2. Second.", "(C) 3. Third.")))

    assert [(p.marker, p.portion_mark) for p in parsed.paragraphs] == [
        ("(C) 1.", "(C)"),
        ("(U) 2.", "(U)"),
        ("(C) 3.", "(C)"),
    ]
    assert texts(parsed) == ["First.", "Second.", "Third."]


def test_a_mark_and_a_number_inside_a_sentence_are_not_a_marker():
    paragraphs = ("1. (C) We discussed item (C) 1. of the list.", "2. (U) Second.", "3. (C) Third.")

    parsed = parse_cable(telegram(paragraphs=paragraphs))

    assert marks(parsed) == EXPECTED_MARKS
    assert parsed.paragraphs[0].text == "We discussed item (C) 1. of the list."


def test_a_decimal_after_an_unnumbered_mark_is_text_not_a_number():
    parsed = parse_cable(telegram(paragraphs=("(U) 2.5 million people voted.", "(C) Comment.")))

    assert marks(parsed) == [("", "U", "portion"), ("", "C", "portion")]
    assert parsed.paragraphs[0].text == "2.5 million people voted."


def test_a_list_item_c_with_a_number_after_it_stays_a_list_item():
    paragraphs = ("1. (U) Options:\n(A) one;\n(B) two;\n(C) 1. three.", "2. (C) Second.")

    parsed = parse_cable(telegram(paragraphs=paragraphs))

    assert marks(parsed) == [("1", "U", "portion"), ("2", "C", "portion")]
    assert parsed.paragraphs[0].text.endswith("(C) 1. three.")


# --- (SBU//NF) ------------------------------------------------------------------------------


@pytest.mark.parametrize("mark", ["(SBU//NF)", "(SBU//NOFORN)", "(U//SBU//NF)", "(sbu//nf)"])
def test_sbu_noforn_marks_written_with_double_slashes_are_read(mark):
    parsed = parse_cable(telegram(paragraphs=("1. (C) First.", f"2. {mark} Visa figures.")))

    assert parsed.paragraphs[1].marking == Marking(Level.U, ("SBU", "NOFORN"))
    assert parsed.paragraphs[1].explicit
    assert not any(w.startswith("UNKNOWN_PORTION_MARK") for w in parsed.warnings)


def test_an_sbu_noforn_marking_reads_back_from_how_it_is_written():
    marking = Marking(Level.U, ("SBU", "NOFORN"))

    assert Marking.parse(str(marking)) == marking


# --- NNN and NNNN ---------------------------------------------------------------------------

OLD_TELEGRAM = """P 101530Z FEB 76
FM AMEMBASSY VALDERRA
TO SECSTATE WASHDC 1234
BT
C O N F I D E N T I A L VALDERRA 1234
{stamp}
E.O. 11652: GDS
TAGS: PFOR VD
SUBJECT: FOREIGN MINISTER ON TALKS

1. FOREIGN MINISTER TOLD AMBASSADOR TALKS WOULD RESUME IN MARCH.

2. HE ASKED FOR OUR SUPPORT.
{end}
"""


@pytest.mark.parametrize(
    "end",
    ["\nKARNER\nNNN", "\nKARNER\nBT\n#1234\nNNN", "\nKARNER\n\nNNN", "\nKARNER\nNNNN"],
    ids=["nnn", "bt-serial-nnn", "blank-nnn", "nnnn"],
)
def test_the_signer_is_read_above_an_end_of_message_line(end):
    parsed = parse_cable(OLD_TELEGRAM.format(stamp="", end=end))

    assert parsed.signature == "KARNER"
    assert parsed.paragraphs[-1].text == "HE ASKED FOR OUR SUPPORT."


def test_an_nnn_line_without_a_signer_is_dropped_and_no_signature_is_made_up():
    parsed = parse_cable(OLD_TELEGRAM.format(stamp="", end="\nNNN"))

    assert parsed.signature is None
    assert parsed.paragraphs[-1].text == "HE ASKED FOR OUR SUPPORT."


# --- DECLASSIFIED PER E.O. ------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp",
    [
        "Declassified per E.O. 12958, as amended",
        "DECLASSIFIED UNDER AUTHORITY OF E.O. 13526",
        "DECLASSIFIED AUTHORITY: E.O. 12958, SEC. 3.5",
    ],
    ids=["per", "under-authority-of", "authority"],
)
def test_a_release_stamp_citing_an_order_is_a_note_not_the_cables_eo_line(stamp):
    parsed = parse_cable(OLD_TELEGRAM.format(stamp=stamp, end="\nKARNER"))

    assert (parsed.executive_order, parsed.decl) == ("11652", "GDS")
    assert parsed.declassification_notes == [stamp]
    assert parsed.subject == "FOREIGN MINISTER ON TALKS"
    assert [p.number for p in parsed.paragraphs] == ["1", "2"]


def test_a_release_stamp_continued_on_the_next_line_is_one_note():
    stamp = "DECLASSIFIED PER E.O. 12958, AS AMENDED\nBY NARA, 5/1/2006"

    parsed = parse_cable(OLD_TELEGRAM.format(stamp=stamp, end="\nKARNER"))

    assert (parsed.executive_order, parsed.decl) == ("11652", "GDS")
    assert parsed.declassification_notes == [
        "DECLASSIFIED PER E.O. 12958, AS AMENDED BY NARA, 5/1/2006"
    ]


def test_the_cables_own_eo_line_glued_after_a_stamp_is_still_read():
    stamp = "DECLASSIFIED BY NARA 2010E.O. 11652: GDS"

    parsed = parse_cable(
        OLD_TELEGRAM.format(stamp=stamp, end="\nKARNER").replace("E.O. 11652: GDS\n", "", 1)
    )

    assert (parsed.executive_order, parsed.decl) == ("11652", "GDS")
    assert parsed.declassification_notes == ["DECLASSIFIED BY NARA 2010"]
