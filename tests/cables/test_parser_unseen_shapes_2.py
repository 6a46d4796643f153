"""More shapes of real cables from other sources than the dev corpus.

A second review, as an archivist feeding the parser public cables from other
archives: sub-paragraph and bullet marks, a paragraph number written apart from its
period, a Markdown scrape that quotes the whole cable, the declassification line of
an amended order or written on its own line, and 1970s telegrams as the State
Department's reading room and NARA's AAD print them.  Every cable here is invented
(a fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

import pytest

from cables.markings import Level, Marking
from cables.parsing import ParsedCable, parse_cable
from tests.cables.cable_text import telegram


def marks(parsed: ParsedCable) -> list[tuple[str, str, str]]:
    """(number, effective marking, how it was decided) per paragraph."""
    return [(p.number, str(p.marking), p.source) for p in parsed.paragraphs]


def texts(parsed: ParsedCable) -> list[str]:
    return [p.text for p in parsed.paragraphs]


def body_cable(*paragraphs: str, banner: str = "C O N F I D E N T I A L") -> ParsedCable:
    return parse_cable(telegram(post="VALDERRA", serial=77, banner=banner, paragraphs=paragraphs))


# --- sub-paragraphs and bullets with marks of their own ------------------------------------


def test_numbered_sub_paragraphs_in_parentheses_carry_their_own_marks():
    parsed = body_cable(
        "1. (C) The minister listed three demands:",
        "(1) (S) a secret annex on the border;",
        "(2) (U) a public joint statement.",
        "2. (U) The press reported the meeting.",
    )
    assert marks(parsed) == [
        ("1", "C", "portion"),
        ("(1)", "S", "portion"),
        ("(2)", "U", "portion"),
        ("2", "U", "portion"),
    ]
    assert texts(parsed)[1:3] == ["a secret annex on the border;", "a public joint statement."]
    assert parsed.classification == Marking(Level.S)


@pytest.mark.parametrize("dash", ["--", "-"])
def test_a_bullet_marked_above_its_paragraph_raises_the_paragraph_and_the_cable(dash):
    # Bullets stay in their paragraph (as the talking points of real cables are read),
    # but their text is the paragraph's: a "(S)" bullet makes a "(C)" paragraph SECRET.
    parsed = body_cable(
        "1. (C) The minister raised two points:\n"
        f"{dash} (S) a secret annex on the border;\n"
        f"{dash} (U) a public joint statement.",
        "2. (U) The press reported the meeting.",
    )
    assert marks(parsed) == [("1", "S", "portion"), ("2", "U", "portion")]
    assert texts(parsed)[0] == (
        "The minister raised two points:\n"
        f"{dash} (S) a secret annex on the border;\n"
        f"{dash} (U) a public joint statement."
    )
    assert parsed.paragraphs[0].portion_mark == "(C)"
    assert parsed.classification == Marking(Level.S)
    assert any(w.startswith("BULLET_ABOVE_PARAGRAPH: paragraph 1:") for w in parsed.warnings)


def test_bullets_marked_at_or_below_their_paragraph_change_nothing_but_add_controls():
    parsed = body_cable(
        "1. (S) The minister raised two points:\n-- (S/NF) the annex;\n-- (C) the statement.",
        "2. (U) The press reported the meeting.",
        banner="S E C R E T",
    )
    assert marks(parsed) == [("1", "S", "portion"), ("2", "U", "portion")]
    assert parsed.classification == Marking(Level.S, ("NOFORN",))
    assert not any(w.startswith("BULLET_ABOVE_PARAGRAPH") for w in parsed.warnings)


@pytest.mark.parametrize(
    "items",
    ["-- (ABC) the ruling party;\n-- (DEF) the other.", "-- (A) one;\n-- (B) two;\n-- (C) three."],
    ids=["no-mark", "lettered-list"],
)
def test_a_dash_before_a_parenthesis_that_is_no_mark_is_prose(items):
    parsed = body_cable(
        f"1. (U) The minister listed the parties:\n{items}",
        "2. (U) The press reported the meeting.",
        banner="UNCLASSIFIED",
    )
    assert marks(parsed) == [("1", "U", "portion"), ("2", "U", "portion")]
    assert texts(parsed)[0].endswith(items)
    assert not any(w.startswith("BULLET_ABOVE_PARAGRAPH") for w in parsed.warnings)


# --- a paragraph number written apart from its period --------------------------------------


def test_a_space_between_the_number_and_its_period_still_starts_a_paragraph():
    parsed = body_cable(
        "1 . (C) The minister said the talks would resume.",
        "2 . (S) He named the envoy.",
        "3 . (U) The press reported the meeting.",
    )
    assert marks(parsed) == [("1", "C", "portion"), ("2", "S", "portion"), ("3", "U", "portion")]
    assert texts(parsed) == [
        "The minister said the talks would resume.",
        "He named the envoy.",
        "The press reported the meeting.",
    ]
    assert parsed.classification == Marking(Level.S)
