"""The parser's and the COPY loader's shortcuts give what the long way gives.

Each shortcut taken for speed (a test that avoids joining a draft's lines, COPY text
built per cable) is checked here against the plain computation it replaces, on the
samples and, when present, the shared corpus.  Equality only: how fast it runs is
measured by ``bench/ingest.py``, never asserted in a test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cables import loaders
from cables.parsing import ParseError, metadata_for_file, parse_file
from cables.parsing.body import Draft, _has_text, read_body

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("DECLASS_SHARED_DIR", ROOT.parent / "shared"))
FILES = sorted(
    [
        *(ROOT / "tests" / "samples").iterdir(),
        *(ROOT / "cables" / "demo").glob("*.*"),
        *(SHARED / "cables" / "dev").glob("*.txt"),
    ]
)


def _cables():
    for path in FILES:
        if path.suffix.lower() not in (".txt", ".html", ".md"):
            continue
        try:
            yield path, parse_file(path, metadata=metadata_for_file(path))
        except ParseError:  # a sample that is meant not to parse
            continue


@pytest.mark.parametrize(
    "lines",
    [[], [""], ["   ", "\t"], ["", "text"], ["text", ""], ["\u2003"], ["\x0c", " a "]],
)
def test_has_text_is_whether_the_draft_text_is_empty(lines):
    draft = Draft(number="", line=1, lines=list(lines))
    assert _has_text(draft.lines) == bool(draft.text)


def test_has_text_agrees_with_the_text_of_every_draft_of_the_samples():
    for path, _ in _cables():
        text = path.read_text(encoding="utf-8")
        lines = [(i + 1, line) for i, line in enumerate(text.split("\n"))]
        for draft in read_body(lines).drafts:
            assert _has_text(draft.lines) == bool(draft.text), path.name


@pytest.mark.parametrize("lines", [(), ("a",), ("a", "b\\tc", "")])
def test_prefixed_lines_are_the_lines_each_after_the_id_and_ending_in_a_newline(lines):
    assert loaders._prefixed("17\t", lines) == "".join(f"17\t{line}\n" for line in lines)
