"""More shapes of real cables (6): a FOIA reading-room printout's page stamps ("RELEASED
IN PART B1, 1.4(D)", the "Case No." stamp with its "UNCLASSIFIED" on the line above, both
inside reflowed lines, the exemptions printed in the margin), an E.O. cited in the
Classified By line before its reasons, an archive page's labelled DTG or ISO date, a
paragraph number without its period after a pilcrow or PARA ("\u00b61 (C)", "Para 2 (S)"),
and the "GP-3" of a pre-1973 telegram above its signer's name.

Each test below marked "defect" failed against the parser before its fix; the others
guard a look-alike that must keep reading as it did.  Every cable is invented (a
fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cables.markings import Level, Marking
from cables.parsing import ParsedCable, parse_cable
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import parsed_telegram as cable
from tests.cables.cable_text import telegram

_CASE_STAMP = "U.S. Department of State Case No. F-2008-00123 Doc No. C01234567 Date: 01/01/2010"

# --- a FOIA release's page stamps ----------------------------------------------------------


def test_a_released_in_part_stamp_at_a_page_break_is_taken_out_of_the_paragraph():
    """Defect: "RELEASED IN PART B1, 1.4(D)" (and the page's Case No. stamp above it)
    stayed inside paragraph 2's text."""
    parsed = cable(
        paragraphs=(
            "1. (C) Summary: the minister said the talks\nwould resume soon.",
            f"2. (C) The press reported\nUNCLASSIFIED {_CASE_STAMP}\nRELEASED IN PART B1, 1.4(D)\n"
            "the meeting at length.",
            "3. (U) Comment: we expect little. End comment.\nRELEASED IN FULL",
        )
    )
    assert texts(parsed) == [
        "Summary: the minister said the talks\nwould resume soon.",
        "The press reported\nthe meeting at length.",
        "Comment: we expect little. End comment.",
    ]
    assert "RELEASED IN PART B1, 1.4(D)" in parsed.declassification_notes


def test_a_case_stamp_below_a_lone_unclassified_line_goes_with_it_and_warns_of_nothing():
    """Defect: the "UNCLASSIFIED" printed above the stamp was read as the page marking of
    a CONFIDENTIAL cable (PAGE_MARKING_MISMATCH)."""
    parsed = cable(
        paragraphs=(
            "1. (C) Summary: the minister said the talks would resume.",
            f"2. (C) The press reported\nUNCLASSIFIED\n{_CASE_STAMP}\nthe meeting at length.",
        )
    )
    assert texts(parsed)[1] == "The press reported\nthe meeting at length."
    assert parsed.warnings == []
    assert parsed.classification == Marking(Level.C)


def test_stamps_inside_reflowed_lines_are_cut_out_and_the_sides_joined():
    """Defect: in a reflowed paragraph both stamps stayed in mid-sentence."""
    parsed = cable(
        paragraphs=(
            f"1. (C) The talks would resume soon. UNCLASSIFIED {_CASE_STAMP} The talks ended.",
            "2. (C) Second point. RELEASED IN PART B1, 1.4(B), B6 More text.",
        )
    )
    assert texts(parsed) == [
        "The talks would resume soon. The talks ended.",
        "Second point. More text.",
    ]


def test_a_printouts_margin_exemptions_and_first_page_stamps_are_release_notes():
    """Defect: the "B1" printed in the margin beside a withheld passage stayed in the
    paragraph's text, and page 1's stamp above the cable ("RELEASED IN PART" with its
    exemptions on the line below) was not kept as a note."""
    text = telegram(
        post="VALDERRA",
        serial=77,
        paragraphs=(
            "1. (C) Summary: the minister said the talks would resume.\nB1\n",
            "B1, B6\n2. (C) The envoy named his sources.",
        ),
    )
    parsed = parse_cable(
        f"UNCLASSIFIED {_CASE_STAMP}\nRELEASED IN PART\nB1, 1.4(B), 1.4(D)\n{text}"
    )
    assert texts(parsed) == [
        "Summary: the minister said the talks would resume.",
        "The envoy named his sources.",
    ]
    assert "RELEASED IN PART B1, 1.4(B), 1.4(D)" in parsed.declassification_notes
    assert parsed.classified_by == "DCM Jane Doe"


def test_a_reason_wrapped_alone_on_its_line_in_a_printout_stays_the_reason():
    """Guard: "1.4(d)" alone below a Classified By line is its wrapped reason, not a
    margin exemption (those start with their "B")."""
    text = telegram(post="VALDERRA", serial=77).replace(
        "reasons 1.4 (b) and (d)", "reasons\n1.4(d)"
    )
    parsed = parse_cable(f"UNCLASSIFIED {_CASE_STAMP}\n{text}")
    assert (parsed.classified_by, parsed.reasons) == ("DCM Jane Doe", ["1.4(d)"])


def test_released_in_prose_is_kept():
    """Guard: "released in full" written in a sentence, or on a line ending the sentence,
    is the cable's text, and a lone "UNCLASSIFIED" with no stamp below is still a page
    marking."""
    parsed = cable(
        paragraphs=(
            "1. (C) THE REPORT WAS RELEASED IN FULL BY THE MINISTRY, AND THE DRAFT WAS\n"
            "RELEASED IN FULL.",
            "2. (C) The envoy's notes were released in part 1.4 of the review.",
            "3. (C) The press reported\nUNCLASSIFIED\nthe meeting.",
        )
    )
    assert texts(parsed)[:2] == [
        "THE REPORT WAS RELEASED IN FULL BY THE MINISTRY, AND THE DRAFT WAS\nRELEASED IN FULL.",
        "The envoy's notes were released in part 1.4 of the review.",
    ]
    assert any(w.startswith("PAGE_MARKING_MISMATCH") for w in parsed.warnings)


# --- the order cited in the Classified By line -------------------------------------------

_AUTHORITY = "Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)"


def _with_authority(line: str, **kwargs: Any) -> ParsedCable:
    """The default telegram with ``line`` in place of its Classified By line."""
    kwargs.setdefault("post", "VALDERRA")
    kwargs.setdefault("serial", 77)
    return parse_cable(telegram(**kwargs).replace(_AUTHORITY, line))


def test_an_order_cited_before_the_reasons_keeps_them():
    """Defect: "for reasons E.O. 13526, section 1.4(b) and (d)" was cut at "E.O." into a
    second E.O. line: no reasons (MISSING_REASON), and "per"/"under" stayed in the name."""
    for line in (
        "Classified By: CDA John Roe for reasons E.O. 13526, section 1.4(b) and (d).",
        "Classified By: CDA John Roe, reason: E.O. 12958, 1.4(b) and (d)",
        "CLASSIFIED BY: CDA John Roe per E.O. 12958 1.5 (B),(D)",
        "Classified By: CDA John Roe under E.O. 12958, sec. 1.4(b),(d)",
    ):
        parsed = _with_authority(line, decl="E.O. 13526: DECL: 02/10/2026")
        assert (parsed.classified_by, parsed.reasons) == ("CDA John Roe", ["1.4(b)", "1.4(d)"])
        assert (parsed.executive_order, parsed.decl) == ("13526", "02/10/2026")
        assert not any(w.startswith("MISSING_REASON") for w in parsed.warnings)


def test_an_order_cited_on_the_line_below_the_classified_by_line_is_its_reason():
    """Defect: the wrapped "E.O. 12958 1.4 (b) and (d)." was read as the E.O. line."""
    parsed = _with_authority(
        "Classified By: CDA John Roe for reasons\nE.O. 12958 1.4 (b) and (d).",
        decl="E.O. 13526: DECL: 02/10/2026",
    )
    assert parsed.reasons == ["1.4(b)", "1.4(d)"]
    assert (parsed.executive_order, parsed.decl) == ("13526", "02/10/2026")


def test_the_cables_own_eo_line_after_a_complete_classified_by_line_stays_the_eo_line():
    """Guard: a real E.O. line glued after, or below, a Classified By line with its
    reasons is still the cable's E.O. line."""
    glued = _with_authority(
        "Classified By: CDA John Roe, reasons 1.4 (b) and (d). E.O. 12958: DECL: 02/10/2016",
        decl="",
    )
    below = _with_authority(
        "Classified By: CDA John Roe, reasons 1.4 (b)\nE.O. 12958: N/A", decl=""
    )
    assert (glued.executive_order, glued.decl, glued.reasons) == (
        "12958",
        "02/10/2016",
        ["1.4(b)", "1.4(d)"],
    )
    assert (below.classified_by, below.reasons) == ("CDA John Roe", ["1.4(b)"])
    assert below.executive_order == "12958"


# --- an archive page's date lines ----------------------------------------------------------


def _with_date_lines(lines: str) -> ParsedCable:
    """The default telegram's text from its classification line down, below ``lines``
    and an FM/TO pair, as an archive page prints it without the transmission lines."""
    text = telegram(post="VALDERRA", serial=77)
    body = text[text.index("C O N F I D E N T I A L") :]
    return parse_cable(f"{lines}\nFM AMEMBASSY VALDERRA\nTO SECSTATE WASHDC\n\n{body}")


def test_a_labelled_dtg_or_an_iso_archive_date_above_the_text_dates_the_cable():
    """Defect: "DTG: 101530Z FEB 06", "Date: 2006-02-10 15:30" and "Created: ..." gave
    the cable no date (NO_DATE)."""
    for line in (
        "DTG: 101530Z FEB 06",
        "Date/Time Group: 101530Z Feb 2006",
        "Date: 2006-02-10 15:30",
        "Created: 2006-02-10 15:30",
    ):
        parsed = _with_date_lines(line)
        assert parsed.sent_at == datetime(2006, 2, 10, 15, 30, tzinfo=UTC), line
        assert not any(w.startswith("NO_DATE") for w in parsed.warnings)
    assert _with_date_lines("DTG: 101530Z FEB 06").dtg == "101530Z FEB 06"


def test_the_transmission_dtg_outranks_an_archive_date_and_a_bare_day_dates_nothing():
    """Guard: the FL5 line's DTG is the cable's time whatever an archive line says, and a
    date without its time ("Date: 10 FEB 2006", a drafting date) is not taken for it."""
    assert _with_date_lines("Created: 2006-02-11 09:00\nP 101530Z FEB 06").sent_at == datetime(
        2006, 2, 10, 15, 30, tzinfo=UTC
    )
    assert _with_date_lines("Date: 10 FEB 2006\nDraft Date: 2006-02-09").sent_at is None


# --- a paragraph number with no period after a pilcrow or PARA ----------------------------


def test_a_number_without_its_period_after_a_pilcrow_or_para_starts_a_marked_paragraph():
    """Defect: "\u00b61 (C)" and "Para 2 (S)" were not markers: the whole body was one
    unmarked paragraph (UNMARKED_PORTION) and the SECRET portion hidden in it."""
    parsed = cable(
        paragraphs=(
            "\u00b61 (C) Summary: the talks resume.",
            "Para 2 (S) The envoy named his sources.",
            "PARAGRAPH 3 (U) The press reported it.",
        )
    )
    assert [(p.number, p.marking) for p in parsed.paragraphs] == [
        ("1", Marking(Level.C)),
        ("2", Marking(Level.S)),
        ("3", Marking(Level.U)),
    ]
    assert texts(parsed) == [
        "Summary: the talks resume.",
        "The envoy named his sources.",
        "The press reported it.",
    ]
    assert parsed.classification.level == Level.S


def test_a_sub_paragraph_cited_after_para_stays_text():
    """Guard: "PARA 3 (C) OF REFTEL" at a line start cites a sub-paragraph (C)."""
    parsed = cable(
        paragraphs=(
            "1. (C) Summary: the talks resume.",
            "2. (C) THE MINISTER SAID THAT\nPARA 3 (C) OF REFTEL WAS WRONG.",
            "Para 3 (U), as the press put it, is wrong.",
        )
    )
    assert [(p.number, p.portion_mark) for p in parsed.paragraphs] == [
        ("1", "(C)"),
        ("2", "(C)"),
        ("", None),
    ]
    assert texts(parsed)[1:] == [
        "THE MINISTER SAID THAT\nPARA 3 (C) OF REFTEL WAS WRONG.",
        "Para 3 (U), as the press put it, is wrong.",
    ]


# --- a pre-1973 telegram's downgrading group above the signature -------------------------

_SIXTIES = """P R 281848Z DEC 66
FM AMEMBASSY VALDERRA
TO SECSTATE WASHDC PRIORITY 1234

CONFIDENTIAL VALDERRA 1077

SUBJECT: FISHING LIMITS

1. PRESS REPORTS CONFIRM NEW LEGISLATION.

2. FONOFF OFFICIALS INDICATED NO DECISION YET.
{end}
ROE
"""


def test_a_downgrading_group_above_the_signature_is_the_cables_schedule():
    """Defect: "GP-3" above the signer's name, after a blank line below unmarked
    paragraphs, became a last paragraph of its own."""
    parsed = parse_cable(_SIXTIES.format(end="\nGP-3\n"))
    assert texts(parsed) == [
        "PRESS REPORTS CONFIRM NEW LEGISLATION.",
        "FONOFF OFFICIALS INDICATED NO DECISION YET.",
    ]
    assert (parsed.signature, parsed.decl) == ("ROE", "GP-3")


def test_a_group_inside_a_paragraph_stays_its_text():
    """Guard: "GP-3" on the last paragraph's own lines (no blank line between) stays
    in it, as under a marked paragraph (test_parser_signatures); so does a group named
    in a sentence."""
    glued = parse_cable(_SIXTIES.format(end="GP-3\n"))
    named = parse_cable(_SIXTIES.format(end="THE CODE GP-3\nWAS USED ON THE FORM.\n"))
    assert texts(glued)[-1] == "FONOFF OFFICIALS INDICATED NO DECISION YET.\nGP-3"
    assert texts(named)[-1] == (
        "FONOFF OFFICIALS INDICATED NO DECISION YET.\nTHE CODE GP-3\nWAS USED ON THE FORM."
    )
    assert (glued.signature, glued.decl, named.decl) == ("ROE", None, None)


def test_an_archives_end_of_document_line_after_the_signature_is_no_text():
    """Defect: "<< END OF DOCUMENT >>" with no "NNN" above it stayed as text below the
    signer's name, and the name was lost in the last paragraph."""
    parsed = parse_cable(_SIXTIES.format(end="") + "\nCONFIDENTIAL\n\n<< END OF DOCUMENT >>\n")
    assert parsed.signature == "ROE"
    assert texts(parsed)[-1] == "FONOFF OFFICIALS INDICATED NO DECISION YET."


def test_end_of_document_words_inside_a_line_stay_text():
    """Guard: the words in a sentence are the cable's."""
    parsed = parse_cable(_SIXTIES.format(end="SEE << END OF DOCUMENT >> NOTE.\n"))
    assert texts(parsed)[-1].endswith("SEE << END OF DOCUMENT >> NOTE.")
