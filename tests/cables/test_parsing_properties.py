"""Mutated, truncated and re-wrapped cables: the parser returns a cable or raises ParseError.

Real input arrives damaged (cut transfers, scraper glitches, stray bytes), so
the contract is checked on the synthetic samples after random damage: the
parser may refuse a text, but only with ParseError, and never crashes.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cables.markings import Marking
from cables.parsing import ParsedCable, ParseError, parse_cable

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
BASES = [p.read_text(encoding="utf-8") for p in sorted(SAMPLES.iterdir())]

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    database=None,  # keep no example database in the repository
    suppress_health_check=[HealthCheck.too_slow],
)


def _truncate(text: str, data: st.DataObject) -> str:
    return text[: data.draw(st.integers(0, len(text)), label="cut at")]


def _delete_line(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    del lines[data.draw(st.integers(0, len(lines) - 1), label="delete line")]
    return "\n".join(lines)


def _duplicate_line(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    i = data.draw(st.integers(0, len(lines) - 1), label="duplicate line")
    lines.insert(i, lines[i])
    return "\n".join(lines)


def _swap_lines(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    i = data.draw(st.integers(0, len(lines) - 1), label="swap a")
    j = data.draw(st.integers(0, len(lines) - 1), label="swap b")
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def _substitute(text: str, data: st.DataObject) -> str:
    if not text:
        return text
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 8), label="substitutions")):
        chars[data.draw(st.integers(0, len(chars) - 1))] = data.draw(st.characters())
    return "".join(chars)


def _insert_unicode(text: str, data: st.DataObject) -> str:
    at = data.draw(st.integers(0, len(text)), label="insert at")
    return text[:at] + data.draw(st.text(max_size=40), label="inserted") + text[at:]


def _reflow(text: str, data: st.DataObject) -> str:
    lines = text.split("\n")
    start = data.draw(st.integers(0, len(lines) - 1), label="reflow from")
    end = data.draw(st.integers(start, len(lines)), label="reflow to")
    return "\n".join([*lines[:start], " ".join(lines[start:end]), *lines[end:]])


def _wrap_html(text: str, data: st.DataObject) -> str:
    body = html.escape(text).replace("\n", data.draw(st.sampled_from(["\n", "&#x000A;", "<br>"])))
    return f"<!DOCTYPE html><html><body><h3>Viewing cable</h3><pre>{body}</pre></body></html>"


def _wrap_markdown(text: str, data: st.DataObject) -> str:
    end = data.draw(st.sampled_from(["  ", "\\", ""]), label="hard break")
    lines = [
        line.replace("TAGS: ", "TAGS: [X](https://example.org/tag/X) ") + end
        for line in text.split("\n")
    ]
    return "# Cable\n\n**Classification:** SECRET\n\n" + "\n".join(lines)


MUTATIONS = [
    _truncate,
    _delete_line,
    _duplicate_line,
    _swap_lines,
    _substitute,
    _insert_unicode,
    _reflow,
    _wrap_html,
    _wrap_markdown,
]


def check_contract(text: str) -> None:
    """The parser returns a usable cable or raises ParseError; nothing else escapes."""
    try:
        parsed = parse_cable(text, source="mutated.txt")
    except ParseError as error:
        assert error.source == "mutated.txt"
        assert not error.message.startswith("internal error"), error.message
        return
    assert isinstance(parsed, ParsedCable)
    assert isinstance(parsed.classification, Marking)
    assert all(isinstance(p.marking, Marking) for p in parsed.paragraphs)
    assert [p.ordinal for p in parsed.paragraphs] == list(range(1, len(parsed.paragraphs) + 1))
    json.dumps(parsed.to_json_dict())


@PROPERTY_SETTINGS
@given(base=st.sampled_from(BASES), data=st.data())
def test_damaged_cables_parse_or_raise_parse_error(base, data):
    text = base
    for mutation in data.draw(
        st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=4), label="mutations"
    ):
        text = mutation(text, data)

    check_contract(text)


@PROPERTY_SETTINGS
@given(text=st.text())
def test_arbitrary_text_parses_or_raises_parse_error(text):
    check_contract(text)


LINE_SHAPES = [
    "S E C R E T VALDERRA 000123",
    "UNCLAS",
    "SIPDIS",
    "NOFORN",
    "E.O. 12958: DECL: 1/2/2016",
    "TAGS: PREL",
    "SUBJECT: (C) X",
    "REF: A. X 1",
    "Classified By: A, reasons 1.4 (b)",
    "",
    "1. (C) Text.",
    "(SBU) Text.",
    "A. (U) Text.",
    "5.A. (S/NF) x",
    "¶2.",
    "1.4 (b) and",
    "(C - ENTIRE TEXT)",
    "VALDERRA 00000123  002 OF 002",
    "PAGE 02 VALDERRA 00123 01 OF 02 101530Z",
    "O 101530Z FEB 06",
    "FM AMEMBASSY VALDERRA",
    "TO SECSTATE WASHDC",
    "Cable dated:2006-01-01T00:00:00",
    "-------",
    "ROE",
    "(B) item",
    "CONFIDENTIAL",
]


@PROPERTY_SETTINGS
@given(lines=st.lists(st.sampled_from(LINE_SHAPES), max_size=30))
def test_any_arrangement_of_real_line_shapes_parses_or_raises_parse_error(lines):
    check_contract("\n".join(lines))
