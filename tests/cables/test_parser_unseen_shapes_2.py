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


@pytest.mark.xfail(strict=True, reason="(1) (S): the sub-paragraph's mark is missed")
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


@pytest.mark.xfail(strict=True, reason="a bullet's mark is read as text of the paragraph above")
@pytest.mark.parametrize("dash", ["--", "-"])
def test_bullets_with_marks_are_portions_of_their_own(dash):
    parsed = body_cable(
        "1. (C) The minister raised two points:\n"
        f"{dash} (S) a secret annex on the border;\n"
        f"{dash} (U) a public joint statement.",
        "2. (U) The press reported the meeting.",
    )
    assert marks(parsed) == [
        ("1", "C", "portion"),
        ("", "S", "portion"),
        ("", "U", "portion"),
        ("2", "U", "portion"),
    ]
    assert texts(parsed)[:3] == [
        "The minister raised two points:",
        "a secret annex on the border;",
        "a public joint statement.",
    ]
    assert parsed.paragraphs[1].marker == f"{dash} (S)"
    assert parsed.classification == Marking(Level.S)


def test_a_dash_in_prose_before_a_parenthesis_stays_in_its_paragraph():
    parsed = body_cable(
        "1. (C) The minister listed the parties:\n-- (ABC) the ruling party;\n-- (DEF) the other.",
        "2. (U) The press reported the meeting.",
    )
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion")]
    assert texts(parsed)[0].endswith("-- (DEF) the other.")


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
