"""More shapes of real cables (5): a control in a parenthesis of its own, "SEPT", and a
month written as a word in a DECL date wrapped below its E.O. line.

Each test below marked "defect" failed against the parser before its fix; the others
guard a look-alike that must keep reading as it did.  Every cable is invented (a
fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cables.markings import Level, Marking
from cables.parsing import parse_cable
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import parsed_telegram as cable
from tests.cables.cable_text import telegram

# --- the control in a second parenthesis: "2. (S) (NF) text" ----------------------------------


def test_a_control_in_a_second_parenthesis_is_part_of_the_paragraph_mark():
    """Defect: "2. (S) (NF) Text" was read as plain SECRET, and "(NF)" stayed in the text."""
    parsed = cable(
        paragraphs=(
            "1. (C) Summary: the minister said the talks would resume.",
            "2. (S) (NF) The envoy named his sources.",
            "3. (C) (REL UK) Shared with London.",
            "4. (S) (NF/XD) Not for wide distribution.",
        )
    )
    assert [p.marking for p in parsed.paragraphs] == [
        Marking(Level.C),
        Marking(Level.S, ("NOFORN",)),
        Marking(Level.C, ("REL TO UK",)),
        Marking(Level.S, ("NOFORN", "EXDIS")),
    ]
    assert texts(parsed)[1:] == [
        "The envoy named his sources.",
        "Shared with London.",
        "Not for wide distribution.",
    ]
    assert parsed.classification.level == Level.S
    assert "NOFORN" in parsed.classification.controls


def test_a_control_in_a_second_parenthesis_keeps_both_as_the_portion_mark_written():
    parsed = cable(paragraphs=("1. (C) First.", "2. (S) (NF) The envoy named his sources."))
    second = parsed.paragraphs[1]
    assert second.portion_mark == "(S) (NF)"
    assert second.marker == "2. (S) (NF)"


def test_a_control_in_a_second_parenthesis_after_an_unnumbered_or_midline_mark_counts():
    """Defect: the same shape on an unnumbered portion and on a reflowed line."""
    parsed = cable(
        paragraphs=(
            "1. (C) First point. 2. (S) (NF) Second point.",
            "(S) (NF) An unnumbered portion.",
        )
    )
    assert [(p.number, p.marking) for p in parsed.paragraphs] == [
        ("1", Marking(Level.C)),
        ("2", Marking(Level.S, ("NOFORN",))),
        ("", Marking(Level.S, ("NOFORN",))),
    ]
    assert texts(parsed)[1:] == ["Second point.", "An unnumbered portion."]


def test_a_control_in_a_second_parenthesis_inside_a_line_cuts_a_portion_of_its_own():
    """Defect: "(S) (NF)" inside a SECRET paragraph's line was no higher mark: the NOFORN
    text stayed in the plain SECRET paragraph."""
    parsed = cable(
        paragraphs=("1. (C) First.", "2. (S) The report says: (S) (NF) The October talks.")
    )
    assert [p.marking for p in parsed.paragraphs][1:] == [
        Marking(Level.S),
        Marking(Level.S, ("NOFORN",)),
    ]
    assert texts(parsed)[1:] == ["The report says:", "The October talks."]


@pytest.mark.parametrize(
    ("line", "mark", "text"),
    [
        ("2. (S) (Ref A) The envoy replied.", Marking(Level.S), "(Ref A) The envoy replied."),
        ("2. (C) (a) first point", Marking(Level.C), "(a) first point"),
        ("2. (U) (Note: the date moved.) Talks", Marking(Level.U), "(Note: the date moved.) Talks"),
        ("2. (S) (NDI) The institute met.", Marking(Level.S), "(NDI) The institute met."),
        ("2. (C) (SBU) Mixed marks.", Marking(Level.C), "(SBU) Mixed marks."),
        ("2. (C) (nf) lower case.", Marking(Level.C), "(nf) lower case."),
        ("2. (C) (N) the next item.", Marking(Level.C), "(N) the next item."),
    ],
)
def test_a_parenthesis_after_the_mark_that_is_no_control_stays_text(line, mark, text):
    parsed = cable(paragraphs=("1. (C) First.", line))
    assert parsed.paragraphs[1].marking == mark
    assert texts(parsed)[1] == text


# --- "SEPT" in a date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "line", ["R 151230Z SEPT 08", "R 151230Z Sept 08", "R 151230ZSEPT08", "151230Z SEPT 2008"]
)
def test_sept_in_a_date_time_group_gives_september(line):
    """Defect: "SEPT" (four letters) was no month: the cable had no date."""
    parsed = parse_cable(telegram(post="VALDERRA", serial=77).replace("P 101530Z FEB 06", line))
    assert parsed.sent_at == datetime(2008, 9, 15, 12, 30, tzinfo=UTC)
    assert parsed.dtg == line.removeprefix("R ")
    assert parsed.reference_id == "08VALDERRA77"


@pytest.mark.parametrize(
    "line",
    [
        "Monday, 15 Sept 2008, 12:30",
        "Date: 2008 Sept 15, 12:30 (Monday)",
        "TELEGRAM   Sept. 15, 2008",
    ],
)
def test_sept_in_an_archive_date_line_gives_september(line):
    """Defect (the dateline and the archive date line): "Sept" was no month name."""
    text = telegram(post="VALDERRA", serial=77).replace("P 101530Z FEB 06\n", f"{line}\n\n")
    assert parse_cable(text).sent_at.date() == datetime(2008, 9, 15).date()


@pytest.mark.parametrize("line", ["R 151230Z SEPX 08", "R 151230Z SEPTEMBER 08"])
def test_a_month_word_that_is_not_an_abbreviation_gives_no_date(line):
    parsed = parse_cable(telegram(post="VALDERRA", serial=77).replace("P 101530Z FEB 06", line))
    assert parsed.sent_at is None


def test_a_decl_date_with_sept_is_kept_as_written():
    parsed = cable(decl="E.O. 12958: DECL: 12 SEPT 2018")
    assert parsed.decl == "12 SEPT 2018"


# --- the subject's mark with its control in a second parenthesis ----------------------------


def test_a_subject_marked_with_a_control_in_a_second_parenthesis_gives_both():
    """Defect: "(S) (NF) TALKS" gave the subject "(NF) TALKS" marked plain SECRET."""
    parsed = cable(subject="(S) (NF) TALKS RESUME")
    assert parsed.subject == "TALKS RESUME"
    assert parsed.subject_marking == Marking(Level.S, ("NOFORN",))
    assert parsed.classification == Marking(Level.S, ("NOFORN",))


@pytest.mark.parametrize("subject", ["(C) (PART 2) TALKS", "(C) (NDI) TALKS", "(C) (U.S.) TALKS"])
def test_a_subject_with_a_second_parenthesis_that_is_no_control_keeps_it(subject):
    parsed = cable(subject=subject)
    assert parsed.subject == subject.removeprefix("(C) ")
    assert parsed.subject_marking == Marking(Level.C)


# --- a DECL date with its month as a word, below the E.O. line ------------------------------


@pytest.mark.parametrize(
    "value", ["12 SEPT 2018", "12 SEP 2018", "SEPT 12, 2018", "12 September 2018", "12-Sep-18"]
)
def test_a_wrapped_decl_date_with_a_month_word_is_read(value):
    """Defect: "E.O. 12958: DECL:" with "12 SEPT 2018" on the next line gave MISSING_DECL
    (only numeric dates were read there)."""
    parsed = cable(decl=f"E.O. 12958: DECL:\n{value}")
    assert parsed.decl == value
    assert not any(w.startswith("MISSING_DECL") for w in parsed.warnings)


@pytest.mark.parametrize("line", ["12 MAYORS MET IN 2018", "12 SEPT MEETING", "SEPTEMBER 12 TALKS"])
def test_a_line_below_an_empty_decl_that_only_starts_like_a_date_is_no_instruction(line):
    parsed = cable(decl=f"E.O. 12958: DECL:\n{line}")
    assert parsed.decl is None
