"""Shapes of real cables the parser once misread (issue "An office can run it without a shell").

Every cable here is written for the project (fictional posts and people) in the
shape seen in published cables: a mail system's printout around the telegram, a
"TELEGRAM <date>" line as the only date, a post the publisher replaced with X's,
headings between paragraphs, and a quoted statement after the last numbered
paragraph.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cables.markings import Level, Marking
from cables.parsing import parse_cable, parse_file
from tests.cables.cable_text import telegram

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def codes(parsed) -> set[str]:
    return {w.split(":", 1)[0] for w in parsed.warnings}


def portions(parsed) -> list[tuple[str, str, bool, bool, str]]:
    return [
        (p.number, str(p.marking), p.explicit, p.heading, p.text.split("\n", 1)[0])
        for p in parsed.paragraphs
    ]


# --- 1. a mail system's printout around the telegram ------------------------------------


def test_a_mail_printout_around_the_telegram_is_read_as_if_it_were_not_there():
    wrapped = parse_file(SAMPLES / "mail_wrapper.txt")
    text = (SAMPLES / "mail_wrapper.txt").read_text(encoding="utf-8")
    bare = parse_cable(text[text.index("VZCZC") :])

    # The printout repeats the classification line above its office dissemination
    # block; taken for the cable's own, it hid the routing block and its DTG.
    assert wrapped.dtg == "081412Z FEB 06"
    assert wrapped.sent_at == datetime(2006, 2, 8, 14, 12, tzinfo=UTC)
    assert wrapped.reference_id == "06VALDERRA123"
    assert (wrapped.origin, wrapped.precedence) == ("Embassy Valderra", "PRIORITY")
    assert wrapped.to == ["SECSTATE WASHDC"]
    assert wrapped.banner_line == "C O N F I D E N T I A L VALDERRA 000123"
    assert wrapped.warnings == []
    for name in ("dtg", "sent_at", "reference_id", "origin", "to", "info", "subject", "tags"):
        assert getattr(wrapped, name) == getattr(bare, name), name
    assert [p.text for p in wrapped.paragraphs] == [p.text for p in bare.paragraphs]
    # Line numbers still count lines of the text as received.
    first = text.split("\n").index(
        "1. (C) Finance Minister Ilse Karner told the DCM on February 7 that"
    )
    assert wrapped.paragraphs[0].line == first + 1


def test_a_printout_without_a_routing_block_drops_only_the_mail_preamble():
    body = telegram(post="VALDERRA", serial=77)
    cable_text = body[body.index("C O N F I D E N T I A L") :]
    text = (
        "From: Cable Reading Room\nSent: Friday, February 10, 2006 9:02 AM\n"
        "Subject: VALDERRA 000077\n\nInbox: Search Results\n\nCable Text:\n\n"
        "Office:          EUR/CE\nDissemination:   EUR/CE INR/EU\nAction:          EUR\n\n"
        "P 101530Z FEB 06\n\n" + cable_text
    )
    parsed = parse_cable(text)

    assert parsed.reference_id == "06VALDERRA77"
    assert parsed.dtg == "101530Z FEB 06"


# --- 2. "TELEGRAM <date>" as the only date --------------------------------------------------


def test_a_telegram_date_line_gives_the_sent_date_without_a_time():
    body = telegram(post="VALDERRA", serial=412, year=2003)
    text = (
        "TELEGRAM                                         June 03, 2003\n\n"
        + body[body.index("C O N F I D E N T I A L") :]
    )
    parsed = parse_cable(text)

    assert parsed.sent_at == datetime(2003, 6, 3, tzinfo=UTC)
    assert parsed.dtg is None
    assert parsed.reference_id == "03VALDERRA412"
    assert parsed.from_metadata == []
    assert "NO_DATE" not in codes(parsed)


def test_a_routing_dtg_outranks_a_telegram_date_line():
    text = "TELEGRAM   June 03, 2003\n" + telegram(post="VALDERRA", serial=412, year=2003)

    assert parse_cable(text).sent_at == datetime(2003, 2, 10, 15, 30, tzinfo=UTC)


# --- 3. a post the publisher replaced with X's ------------------------------------------------


def test_a_redacted_post_takes_the_id_from_the_routing_serial_and_the_fm_post():
    plain = telegram(post="ROME", serial=4, year=2003)
    spaced = plain.replace(
        "C O N F I D E N T I A L ROME 000004",
        "C O N F I D E N T I A L SECTION 01 OF 02 XXXXXXXXXXXX 000004",
    )
    bare = plain.replace("C O N F I D E N T I A L ROME 000004", "CONFIDENTIAL XXXXXXXXXXXX 000004")

    for text in (spaced, bare):
        parsed = parse_cable(text)
        assert parsed.reference_id == "03ROME4"
        assert parsed.origin == "Embassy Rome"
        assert parsed.classification == Marking(Level.C)
    assert parse_cable(spaced).section_count == 2


def test_a_redacted_post_uses_the_routing_lines_serial_and_the_posts_id_name():
    text = (
        telegram(post="TRIPOLI", serial=58, year=2010)
        .replace("C O N F I D E N T I A L TRIPOLI 000058", "CONFIDENTIAL XXXXXXXXXXXX 000058")
        .replace("FM AMEMBASSY TRIPOLI", "FM AMEMBASSY TRIPOLI LY")
    )
    assert parse_cable(text).reference_id == "10TRIPOLI58"

    state = (
        telegram(post="STATE", serial=1234, year=2009)
        .replace("C O N F I D E N T I A L STATE 001234", "CONFIDENTIAL XXXXXXXXXXXX 001234")
        .replace("FM AMEMBASSY STATE", "FM SECSTATE WASHDC")
    )
    assert parse_cable(state).reference_id == "09STATE1234"


def test_a_redacted_post_without_an_fm_line_leaves_the_id_to_the_metadata():
    text = telegram(post="ROME", serial=4, year=2003).replace(
        "C O N F I D E N T I A L ROME 000004", "CONFIDENTIAL XXXXXXXXXXXX 000004"
    )
    text = text.replace("FM AMEMBASSY ROME\n", "")

    assert parse_cable(text).reference_id is None


# --- 4. headings between paragraphs ---------------------------------------------------------

HEADED = (
    "1. (C) Summary: the minister set out his priorities.",
    "2. (C) On the border talks, he expected a first round in March.\n\n"
    "Syria/Lebanon\n-------------",
    "3. (S) He said privately that the cabinet was divided on the issue.\n\nECONOMIC OUTLOOK",
    "4. (U) The press reported the meeting.",
)


def test_a_heading_between_paragraphs_is_its_own_element_not_the_end_of_the_paragraph():
    parsed = parse_cable(telegram(paragraphs=HEADED))

    assert portions(parsed) == [
        ("1", "C", True, False, "Summary: the minister set out his priorities."),
        ("2", "C", True, False, "On the border talks, he expected a first round in March."),
        ("", "S", False, True, "Syria/Lebanon"),
        ("3", "S", True, False, "He said privately that the cabinet was divided on the issue."),
        ("", "S", False, True, "ECONOMIC OUTLOOK"),
        ("4", "U", True, False, "The press reported the meeting."),
    ]  # fmt: skip
    # Text without the underline; the marking inherited as unmarked portions are (rules 2.2).
    assert parsed.paragraphs[1].text == "On the border talks, he expected a first round in March."
    assert parsed.paragraphs[2].text == "Syria/Lebanon"
    assert parsed.paragraphs[2].source == "inherited"
    assert [p.ordinal for p in parsed.paragraphs] == [1, 2, 3, 4, 5, 6]
    assert "UNMARKED_PORTION" not in codes(parsed)  # a heading is not unmarked prose
    text = telegram(paragraphs=HEADED).split("\n")
    assert parsed.paragraphs[2].line == text.index("Syria/Lebanon") + 1
    assert parsed.signature == "DOE"


def test_headings_ruled_above_and_below_or_between_dashes_lose_their_rules():
    parsed = parse_cable(
        telegram(
            paragraphs=(
                "1. (C) First point.\n\n----------- -------\n\nTHE RUSSIA FACTOR\n\n"
                "----------- -------",
                "2. (C) Second point.\n\n--- Health and Education ---",
                "3. (C) Third point.",
            )
        )
    )

    assert portions(parsed) == [
        ("1", "C", True, False, "First point."),
        ("", "C", False, True, "THE RUSSIA FACTOR"),
        ("2", "C", True, False, "Second point."),
        ("", "C", False, True, "Health and Education"),
        ("3", "C", True, False, "Third point."),
    ]
    assert parsed.paragraphs[0].text == "First point."


def test_text_after_a_heading_is_a_portion_of_its_own():
    parsed = parse_cable(
        telegram(
            paragraphs=(
                "1. (C) First point.\n\nBACKGROUND\n\nThe talks began in 2004 and stalled.",
                "2. (C) Second point.",
            )
        )
    )

    assert portions(parsed) == [
        ("1", "C", True, False, "First point."),
        ("", "C", False, True, "BACKGROUND"),
        ("", "C", False, False, "The talks began in 2004 and stalled."),
        ("2", "C", True, False, "Second point."),
    ]
    assert "UNMARKED_PORTION" in codes(parsed)  # that text is unmarked: it inherits C


@pytest.mark.parametrize(
    "between",
    [
        "END TEXT",  # closes a quotation
        "XXXXXXXXXXXX",  # a redacted name
        "1. PARIS",  # a list item
        "U.S. POSITION.",  # a sentence
    ],
)
def test_lines_that_are_not_headings_stay_in_their_paragraph(between):
    parsed = parse_cable(
        telegram(paragraphs=(f"1. (C) First point.\n\n{between}\n\nMore on it.", "2. (C) Next."))
    )

    assert not any(p.heading for p in parsed.paragraphs)
    assert between in parsed.paragraphs[0].text


def test_the_signers_name_alone_at_the_end_is_the_signature_not_a_heading():
    parsed = parse_cable(telegram(paragraphs=("1. (C) First.", "2. (C) Last.\n\nDOE")))

    assert not any(p.heading for p in parsed.paragraphs)
    assert parsed.signature == "DOE"


# --- 5. unnumbered paragraphs after the last numbered one ----------------------------------

STATEMENT = (
    "1. (C) Summary: the ministry issued a statement on the border talks.",
    "2. (C) The cabinet agreed the statement.",
    '3. (U) The statement follows:\n\nBEGIN TEXT:\n\n"The Government of Valderra welcomes the '
    "resumption of the border talks.\n\nThe talks will open in March in Port Larkin.\n\n"
    "Both delegations will report within sixty days.\n\n"
    'The Government thanks its partners for their patience."\n\nEND TEXT.',
)


def test_a_quoted_statement_after_the_last_paragraph_is_one_portion_per_paragraph():
    text = telegram(paragraphs=STATEMENT).replace("\nDOE\n", "\nDOE\nBT\n#0123\nNNNN\n")
    parsed = parse_cable(text)

    assert portions(parsed) == [
        ("1", "C", True, False, "Summary: the ministry issued a statement on the border talks."),
        ("2", "C", True, False, "The cabinet agreed the statement."),
        ("3", "U", True, False, "The statement follows:"),
        ("", "C", False, False, "BEGIN TEXT:"),
        ("", "C", False, False, "The talks will open in March in Port Larkin."),
        ("", "C", False, False, "Both delegations will report within sixty days."),
        ("", "C", False, False, 'The Government thanks its partners for their patience."'),
    ]  # fmt: skip
    # Unmarked: inherited from the cable (C), never U, whatever paragraph 3 says (rules 2.2).
    assert {p.source for p in parsed.paragraphs[3:]} == {"inherited"}
    assert any(w.startswith("UNMARKED_PORTION: 4 paragraph(s)") for w in parsed.warnings)
    assert parsed.paragraphs[2].text == "The statement follows:"
    assert parsed.paragraphs[3].text.startswith('BEGIN TEXT:\n\n"The Government of Valderra')
    # The end of the cable stays with the last portion; the signature is read; BT/NNNN dropped.
    assert parsed.paragraphs[-1].text == (
        'The Government thanks its partners for their patience."\n\nEND TEXT.'
    )
    assert parsed.signature == "DOE"
    lines = text.split("\n")
    assert (
        parsed.paragraphs[4].line == lines.index("The talks will open in March in Port Larkin.") + 1
    )


def test_blocks_that_continue_the_last_paragraph_stay_with_it():
    parsed = parse_cable(
        telegram(
            paragraphs=(
                "1. (C) First.",
                "2. (C) The minister listed three conditions:\n\n"
                "A. a ceasefire;\n\nB. a monitoring mission;\n\n"
                "and a timetable for the talks, which he said\n\n"
                "could not slip beyond March.",
            )
        )
    )

    assert [p.number for p in parsed.paragraphs] == ["1", "2"]
    assert parsed.paragraphs[1].text.endswith("could not slip beyond March.")


def test_paragraphs_in_the_middle_of_a_cable_are_not_split():
    parsed = parse_cable(
        telegram(paragraphs=("1. (C) First.\n\nStill the first paragraph.", "2. (C) Second."))
    )

    assert [p.number for p in parsed.paragraphs] == ["1", "2"]
