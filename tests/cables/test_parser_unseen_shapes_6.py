"""More shapes of real cables (6): a FOIA reading-room printout's page stamps ("RELEASED
IN PART B1, 1.4(D)", the "Case No." stamp with its "UNCLASSIFIED" on the line above, both
inside reflowed lines), and an E.O. cited in the Classified By line before its reasons.

Each test below marked "defect" failed against the parser before its fix; the others
guard a look-alike that must keep reading as it did.  Every cable is invented (a
fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

from cables.markings import Level, Marking
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import parsed_telegram as cable

_CASE_STAMP = "U.S. Department of State Case No. F-2008-00123 Doc No. C01234567 Date: 01/01/2010"

# --- a FOIA release's page stamps ----------------------------------------------------------


def test_a_released_in_part_stamp_at_a_page_break_is_taken_out_of_the_paragraph():
    """Defect: "RELEASED IN PART B1, 1.4(D)" stayed inside paragraph 2's text."""
    parsed = cable(
        paragraphs=(
            "1. (C) Summary: the minister said the talks\nwould resume soon.",
            "2. (C) The press reported\nRELEASED IN PART B1, 1.4(D)\nthe meeting at length.",
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
