"""More shapes of real cables (3): the gaps the second round left, and more of their families.

A review stamp after the signature, on two lines as the reading room prints 1970s
telegrams (the shared ``75TEHRAN2069``) or on one line without the reviewer's name;
``(CUI)`` portion marks and CUI on the classification line; controls written between
the level and the post ("SECRET NOFORN POST", "UNCLAS SENSITIVE POST", "S E C R E T
//REL TO USA, GBR// POST", "SECRET//REL TO USA, FVEY POST", "NOFORN/ORCON"), also on a
bare level line at a page break and on caption lines; date-time groups with a
four-digit year or without spaces ("091200ZJAN09"), an archive's "Date:" line, routing
lines a scraper joined into one; the signature on the end-of-message line ("KISSINGER
NNN", "DOE BT #0077 NNNN"); and a body made only of lettered paragraphs.  Each test was
a strict xfail (or failed against the parser before its fix), except the guards that
check a look-alike is left alone.  Every cable here is invented (a fictional post,
fictional people) in a shape seen in archives, except the shared one, read where it is
and skipped when it is absent.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cables.markings import Level, Marking
from cables.parsing import ParsedCable, parse_cable, parse_file
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import parsed_telegram as cable
from tests.cables.cable_text import telegram

SHARED = Path(
    os.environ.get("DECLASS_SHARED_DIR", Path(__file__).resolve().parents[2].parent / "shared")
)
DECLASSIFIED = SHARED / "cables" / "declassified"

STAMP = "Declassified/Released US Department of State EO Systematic Review 05 JUL 2006"


# --- 1. a two-line review stamp after the signature ----------------------------------------


def seventies_telegram(end: str) -> str:
    return (
        "R 041125Z MAR 75\n"
        "FM AMEMBASSY VALDERRA\n"
        "TO SECSTATE WASHDC 475\n"
        "\n"
        "C O N F I D E N T I A L VALDERRA 2069\n"
        "\n"
        "E.O. 11652: GDS\n"
        "TAGS: PINT XX\n"
        "SUBJECT: NEW PARTY CREATED\n"
        "\n"
        "1. THE KING ANNOUNCED A SINGLE PARTY ON MARCH 2.\n"
        "\n"
        "2. REACTION IS LIKELY TO RANGE FROM INDIFFERENCE TO ALARM.\n"
        "\n"
        f"{end}"
    )


def test_a_two_line_review_stamp_after_the_signature_is_a_note_and_the_signature_is_read():
    parsed = parse_cable(
        seventies_telegram(
            "\nGRAYSON \n\nDeclassified/Released US Department of State EO \n"
            "Systematic Review 05 JUL 2006\n"
        )
    )
    assert parsed.signature == "GRAYSON"
    assert parsed.declassification_notes == [STAMP]
    assert texts(parsed)[-1] == "REACTION IS LIKELY TO RANGE FROM INDIFFERENCE TO ALARM."
    assert not any("Declassified" in t for t in texts(parsed))


def test_a_one_line_review_stamp_without_a_reviewer_after_the_signature_is_a_note():
    parsed = parse_cable(seventies_telegram(f"\nGRAYSON\n\n{STAMP}\n"))
    assert parsed.signature == "GRAYSON"
    assert parsed.declassification_notes == [STAMP]
    assert texts(parsed)[-1] == "REACTION IS LIKELY TO RANGE FROM INDIFFERENCE TO ALARM."


def test_two_lines_that_only_look_like_a_stamp_stay_text():
    parsed = parse_cable(
        seventies_telegram(
            "3. THE PARTY WAS Declassified/Released US Department of State EO \n"
            "Systematic Review OF ITS OWN FILES.\n\nGRAYSON\n"
        )
    )
    assert parsed.declassification_notes == []
    assert "Systematic Review OF ITS OWN FILES." in texts(parsed)[-1]
    assert parsed.signature == "GRAYSON"


@pytest.mark.skipif(
    not (DECLASSIFIED / "75TEHRAN2069.txt").exists(), reason="shared cables not present"
)
def test_the_shared_tehran_cable_keeps_its_stamp_as_a_note_and_its_signature():
    parsed = parse_file(DECLASSIFIED / "75TEHRAN2069.txt")
    assert parsed.signature == "HELMS"
    assert parsed.declassification_notes == [STAMP]
    assert parsed.paragraphs[-1].number == "8"
    assert parsed.paragraphs[-1].text.endswith("BOTH DOMESTICALLY AND INTERNATIONALLY.")
    assert not any("Declassified" in t or "HELMS" in t for t in texts(parsed))


# --- 2. (CUI) portion marks --------------------------------------------------------------


def test_a_cui_portion_mark_is_an_unclassified_control_not_an_unmarked_paragraph():
    parsed = cable(
        banner="UNCLASSIFIED",
        subject="(U) DRAFT LAW SHARED",
        paragraphs=(
            "1. (CUI) The ministry shared a draft of the law.",
            "2. (U//CUI) It asked that the draft not be published.",
            "3. (U) The press reported the meeting.",
        ),
    )
    first, second, third = parsed.paragraphs
    for paragraph in (first, second):
        assert paragraph.explicit and paragraph.source == "portion"
        assert paragraph.marking.level == Level.U
        assert paragraph.marking.controls == ("CUI",)
    assert first.text == "The ministry shared a draft of the law."
    assert third.marking == Marking(Level.U)
    assert parsed.classification.level == Level.U
    assert "CUI" in parsed.classification.controls
    assert not any(w.startswith(("UNMARKED_PORTION", "UNKNOWN_CONTROL")) for w in parsed.warnings)
    assert not any(w.startswith("BANNER_BELOW_PORTION") for w in parsed.warnings)


def test_a_cui_portion_in_a_classified_cable_leaves_the_banner_without_cui():
    parsed = cable(
        banner="C O N F I D E N T I A L",
        paragraphs=("1. (C) The minister said the talks would resume.", "2. (CUI) A draft."),
    )
    assert parsed.classification == Marking(Level.C)
    assert parsed.paragraphs[1].marking.controls == ("CUI",)


@pytest.mark.parametrize("banner", ["UNCLASSIFIED//CUI", "UNCLAS CUI", "UNCLASSIFIED CUI"])
def test_cui_on_the_classification_line_is_its_control(banner):
    parsed = cable(banner=banner, subject="(U) DRAFT LAW", paragraphs=("1. (CUI) A draft.",))
    assert parsed.reference_id == "06VALDERRA77"
    assert parsed.banner == Marking(Level.U, ("CUI",))
    assert not any(w.startswith("UNKNOWN_CONTROL") for w in parsed.warnings)


# --- 3, 4, 8. controls between the level and the post ------------------------------------


@pytest.mark.parametrize(
    ("banner", "marking"),
    [
        ("SECRET NOFORN", Marking(Level.S, ("NOFORN",))),
        ("S E C R E T NOFORN", Marking(Level.S, ("NOFORN",))),
        ("CONFIDENTIAL NOFORN/ORCON", Marking(Level.C, ("ORCON", "NOFORN"))),
        ("SECRET NOFORN ORCON", Marking(Level.S, ("ORCON", "NOFORN"))),
        ("SECRET EXDIS", Marking(Level.S, ("EXDIS",))),
    ],
)
def test_controls_between_the_level_and_the_post_are_controls_not_the_post(banner, marking):
    parsed = cable(banner=banner, post="VALDERRA", serial=77)
    assert parsed.reference_id == "06VALDERRA77"
    assert parsed.banner == marking
    assert not any(w.startswith("BANNER_WITHOUT_SERIAL") for w in parsed.warnings)


@pytest.mark.parametrize(
    ("banner", "controls"),
    [
        ("S E C R E T //REL TO USA, GBR, AUS//", "REL TO USA, AUS, GBR"),
        ("SECRET//REL TO USA, FVEY", "REL TO USA, FVEY"),
        ("SECRET//REL TO USA, GBR//", "REL TO USA, GBR"),
        ("SECRET //REL TO USA, GBR", "REL TO USA, GBR"),
    ],
)
def test_a_rel_to_list_before_the_post_and_serial_is_read_apart_from_them(banner, controls):
    parsed = cable(banner=banner, post="KABUL", serial=1234)
    assert parsed.reference_id == "06KABUL1234"
    assert parsed.banner is not None and parsed.banner.level == Level.S
    rel = [c for c in parsed.banner.controls if c.startswith("REL TO")]
    assert len(rel) == 1 and set(rel[0][7:].split(", ")) == set(controls[7:].split(", "))
    assert not any(w.startswith("BANNER_WITHOUT_SERIAL") for w in parsed.warnings)


def test_a_rel_to_list_with_a_two_word_post_keeps_the_whole_post():
    parsed = cable(banner="SECRET//REL TO USA, GBR", post="PORT LOUIS", serial=12)
    assert parsed.reference_id == "06PORTLOUIS12"


@pytest.mark.parametrize("caption", ["NOFORN/ORCON", "NOFORN ORCON", "ORCON\nNOFORN"])
def test_noforn_orcon_on_a_caption_line_carries_both_controls(caption):
    text = telegram(post="VALDERRA", serial=77, banner="S E C R E T").replace(
        "SIPDIS\n", f"{caption}\n"
    )
    parsed = parse_cable(text)
    assert parsed.passing == []
    assert "ORCON" in parsed.classification.controls
    assert "NOFORN" in parsed.classification.controls


def test_a_place_named_like_a_word_stays_the_post():
    parsed = cable(banner="SECRET", post="NORTH BAY", serial=5)
    assert parsed.reference_id == "06NORTHBAY5"


# --- 5. a date-time group with a four-digit year -----------------------------------------


@pytest.mark.parametrize(
    ("line", "when", "precedence"),
    [
        ("O 101530Z MAR 1975", datetime(1975, 3, 10, 15, 30, tzinfo=UTC), "IMMEDIATE"),
        ("R 091200Z JAN 2009", datetime(2009, 1, 9, 12, 0, tzinfo=UTC), "ROUTINE"),
    ],
)
def test_a_date_time_group_with_a_four_digit_year_gives_the_date(line, when, precedence):
    parsed = parse_cable(telegram(post="VALDERRA", serial=77).replace("P 101530Z FEB 06", line))
    assert parsed.sent_at == when
    assert parsed.dtg == line[2:]
    assert parsed.precedence == precedence
    assert parsed.reference_id == f"{when.year % 100:02d}VALDERRA77"


@pytest.mark.parametrize("line", ["R 091200ZJAN09", "091200ZJAN09", "R 091200ZJAN2009"])
def test_a_date_time_group_written_without_spaces_gives_the_date(line):
    parsed = parse_cable(telegram(post="VALDERRA", serial=77).replace("P 101530Z FEB 06", line))
    assert parsed.sent_at == datetime(2009, 1, 9, 12, 0, tzinfo=UTC)
    assert parsed.dtg == line.removeprefix("R ")


def test_an_archive_date_line_above_the_text_gives_the_date_when_no_dtg_does():
    text = telegram(post="VALDERRA", serial=77).replace(
        "P 101530Z FEB 06\n", "Date: 2006 February 10, 15:30 (Friday)\n"
    )
    parsed = parse_cable(text)
    assert parsed.sent_at == datetime(2006, 2, 10, 15, 30, tzinfo=UTC)
    assert parsed.reference_id == "06VALDERRA77"


def test_the_date_time_group_wins_over_an_archive_date_line():
    text = telegram(post="VALDERRA", serial=77).replace(
        "P 101530Z FEB 06\n", "Date: 2006 February 9, 00:00 (Thursday)\nP 101530Z FEB 06\n"
    )
    assert parse_cable(text).sent_at == datetime(2006, 2, 10, 15, 30, tzinfo=UTC)


def test_a_bare_date_time_group_with_a_four_digit_year_gives_the_date():
    text = telegram(post="VALDERRA", serial=77).replace("P 101530Z FEB 06", "091200Z JAN 2009")
    assert parse_cable(text).sent_at == datetime(2009, 1, 9, 12, 0, tzinfo=UTC)


# --- 6. the signature on the end-of-message line -----------------------------------------


def test_the_signature_on_the_end_of_message_line_is_read():
    text = telegram(post="VALDERRA", serial=77).replace("\nDOE\n", "\nKISSINGER NNN\n")
    parsed = parse_cable(text)
    assert parsed.signature == "KISSINGER"
    assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."


@pytest.mark.parametrize("line", ["KISSINGER BT", "KISSINGER BT #0077 NNNN", "KISSINGER #0077"])
def test_the_signature_before_other_end_marks_on_its_line_is_read(line):
    text = telegram(post="VALDERRA", serial=77).replace("\nDOE\n", f"\n{line}\n")
    parsed = parse_cable(text)
    assert parsed.signature == "KISSINGER"
    assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."


def test_the_archive_record_after_a_signature_on_the_end_of_message_line_is_left_out():
    record = "Draft Date: 10 MAR 1975\nReview Action: RELEASED, APPROVED\n"
    text = telegram(post="VALDERRA", serial=77).replace("\nDOE\n", f"\nKISSINGER NNN\n\n{record}")
    parsed = parse_cable(text)
    assert parsed.signature == "KISSINGER"
    assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."
    assert any(w.startswith("AFTER_END_OF_MESSAGE") for w in parsed.warnings)


def test_a_sentence_ending_with_nnn_is_no_signature():
    text = telegram(post="VALDERRA", serial=77).replace(
        "\nDOE\n", "\nFurther reporting follows NNN\n"
    )
    assert parse_cable(text).signature is None


# --- 7. a body of lettered paragraphs ----------------------------------------------------


def lettered_telegram(body: str, ref: str = "") -> str:
    return (
        "R 041125Z MAR 75\n"
        "FM AMEMBASSY VALDERRA\n"
        "TO SECSTATE WASHDC 475\n"
        "\n"
        "C O N F I D E N T I A L VALDERRA 2070\n"
        "\n"
        "E.O. 11652: GDS\n"
        "TAGS: PINT XX\n"
        "SUBJECT: PARTY CONGRESS\n"
        f"{ref}"
        "\n"
        f"{body}"
        "\n"
        "GRAYSON\n"
    )


LETTERED = (
    "A. THE PARTY CONGRESS OPENED ON MARCH 4 WITH SIX HUNDRED\n"
    "DELEGATES.\n"
    "\n"
    "B. THE KING SPOKE FOR AN HOUR. HE NAMED NO SUCCESSOR.\n"
    "\n"
    "C. COMMENT: THE CONGRESS CHANGES LITTLE. END COMMENT.\n"
)


def test_a_body_of_lettered_paragraphs_is_split_at_each_letter():
    parsed = parse_cable(lettered_telegram(LETTERED))
    assert [p.number for p in parsed.paragraphs] == ["A", "B", "C"]
    assert texts(parsed) == [
        "THE PARTY CONGRESS OPENED ON MARCH 4 WITH SIX HUNDRED\nDELEGATES.",
        "THE KING SPOKE FOR AN HOUR. HE NAMED NO SUCCESSOR.",
        "COMMENT: THE CONGRESS CHANGES LITTLE. END COMMENT.",
    ]
    assert [p.marker for p in parsed.paragraphs] == ["A.", "B.", "C."]
    assert parsed.signature == "GRAYSON"


@pytest.mark.parametrize(
    "ref", ["REF: A. VALDERRA 2011 B. STATE 4321\n", "REF: A. VALDERRA 2011\nB. STATE 4321\n"]
)
def test_lettered_references_stay_references_and_the_lettered_body_is_split(ref):
    parsed = parse_cable(lettered_telegram(LETTERED, ref=ref))
    assert parsed.references == ["VALDERRA 2011", "STATE 4321"]
    assert [p.number for p in parsed.paragraphs] == ["A", "B", "C"]


def test_lettered_items_inside_a_numbered_paragraph_stay_in_it():
    body = (
        "1. THE MINISTER LISTED TWO DEMANDS:\n"
        "\n"
        "A. A BORDER ANNEX.\n"
        "\n"
        "B. A JOINT STATEMENT.\n"
        "\n"
        "2. WE EXPECT LITTLE PROGRESS.\n"
    )
    parsed = parse_cable(lettered_telegram(body))
    assert [p.number for p in parsed.paragraphs] == ["1", "2"]
    assert "B. A JOINT STATEMENT." in parsed.paragraphs[0].text


def test_a_single_lettered_line_in_prose_is_no_paragraph_series():
    body = "THE MINISTER LISTED HIS DEMANDS IN A NOTE.\n\nA. SMITH WILL CARRY IT TO THE CAPITAL.\n"
    parsed = parse_cable(lettered_telegram(body))
    assert all(p.number == "" for p in parsed.paragraphs)


# --- more of the same families: banners with controls ------------------------------------


def test_unclas_sensitive_before_the_post_is_sbu_not_part_of_the_post():
    parsed = cable(
        banner="UNCLAS SENSITIVE", subject="(SBU) DRAFT LAW", paragraphs=("1. (SBU) A draft.",)
    )
    assert parsed.reference_id == "06VALDERRA77"
    assert parsed.banner == Marking(Level.U, ("SBU",))


def page_break_cable(level_line: str) -> ParsedCable:
    return cable(
        banner="S E C R E T",
        paragraphs=(
            "1. (S) The minister said the talks\nwould resume",
            level_line,
            "next week.",
            "2. (S) We expect little progress.",
        ),
    )


def test_a_level_line_with_a_control_at_a_page_break_is_no_text():
    parsed = page_break_cable("SECRET NOFORN")
    assert texts(parsed) == texts(page_break_cable("SECRET"))
    assert "NOFORN" not in texts(parsed)[0]


def test_a_bare_level_line_with_a_control_is_the_classification_line_when_alone():
    text = telegram(post="VALDERRA", serial=77, banner="SECRET NOFORN").replace(
        "SECRET NOFORN VALDERRA 000077", "SECRET NOFORN"
    )
    parsed = parse_cable(text)
    assert parsed.banner == Marking(Level.S, ("NOFORN",))
    assert any(w.startswith("BANNER_WITHOUT_SERIAL") for w in parsed.warnings)


# --- more of the same families: routing lines joined by a scraper ------------------------


def test_a_date_time_group_joined_to_the_fm_line_keeps_the_originator():
    text = telegram(post="VALDERRA", serial=77).replace(
        "P 101530Z FEB 06\nFM AMEMBASSY VALDERRA\n", "P 101530Z FEB 06 FM AMEMBASSY VALDERRA\n"
    )
    parsed = parse_cable(text)
    assert parsed.dtg == "101530Z FEB 06"
    assert parsed.originator == "AMEMBASSY VALDERRA"
    assert parsed.origin == "Embassy Valderra"
    assert parsed.to == ["SECSTATE WASHDC"]


def test_fm_to_and_info_joined_on_one_line_are_read_as_on_lines_of_their_own():
    routing = "P 101530Z FEB 06\nFM AMEMBASSY VALDERRA\nTO RUEHC/SECSTATE WASHDC PRIORITY 1234\n"
    routing += "INFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n"
    apart = (
        "R 041125Z MAR 75\nFM AMEMBASSY VALDERRA\nTO SECSTATE WASHDC 4751\n"
        "INFO AMEMBASSY LONDON 1234\nAMCONSUL PORTO 45\nRUEHFR/AMEMBASSY PARIS\n"
    )
    joined = apart.replace("\n", " ").strip() + "\n"
    lines = parse_cable(telegram(post="VALDERRA", serial=77).replace(routing, apart))
    parsed = parse_cable(telegram(post="VALDERRA", serial=77).replace(routing, joined))
    assert parsed.sent_at == datetime(1975, 3, 4, 11, 25, tzinfo=UTC)
    assert parsed.originator == "AMEMBASSY VALDERRA"
    assert parsed.to == lines.to == ["SECSTATE WASHDC"]
    assert parsed.info == lines.info
    assert len(parsed.info) == 3


def test_an_fm_line_alone_is_read_as_before():
    parsed = cable()
    assert parsed.originator == "AMEMBASSY VALDERRA"
    assert parsed.to == ["SECSTATE WASHDC"]
    assert parsed.info == ["EUROPEAN POLITICAL COLLECTIVE"]
