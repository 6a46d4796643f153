"""``batch.scan_many``'s regex path: every group's first search in one pass, the walks that go
on continued from their first match.

A walk that goes on after its first search (several matches of a regex in one paragraph, a
lead found again after a match) must give exactly what :meth:`Matcher.scan` gives; so must a
first search whose match does not settle the group, which hyperscan's exact expressions never
cause and is made here with reports of our own.
"""

from __future__ import annotations

import numpy as np
import pytest

import redaction.engine.batch as batch_module
from redaction.engine import native_scan
from redaction.engine.matcher import _UNANCHORED, _regex_matches, compile_rules
from redaction.engine.oracle import Oracle
from tests.workflow.test_redaction_matcher import regex, terms

SPECS = [
    terms("Doe"),
    # unbounded after a bounded lead: looked for by its lead (_lead_matches)
    regex(r"\b(?:Ambassador|Minister) [A-Z][a-z]+(?: [A-Z][a-z]+)*", rule_id=50),
    # bounded: looked for whole (_regex_matches), several ends for one match
    regex(r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b", rule_id=51),
    regex(r"\b\d{3}(?:-\d{4})?\b", rule_id=52),
]
TEXTS = [
    "Ambassador Doe met Minister Roe Smith and Ambassador Lee on 1/2/2003 and 4/5/06",
    "Ambassador Ambassador Xu",  # a lead inside a match
    "call 555-1234 or 555 or 123-4567, 890",
    "Minister Doe",
    "",
    "é Ambassador Müller on 12/12/12 at 555 é",  # Latin-1: the Latin-1 programs
    "“Minister Doe” 555—1234 Ω",  # beyond Latin-1: the blind regexes in the scanned bytes
    "Doe",
]


@pytest.fixture
def walks(monkeypatch):
    """The walks that went on, per group: whether they had a first match."""
    seen: list[bool] = []
    walk = batch_module._walks

    def spy(matcher, subjects, bases, lengths, groups, going_on):
        seen.extend(end >= 0 for end in going_on[2].tolist())
        return walk(matcher, subjects, bases, lengths, groups, going_on)

    monkeypatch.setattr(batch_module, "_walks", spy)
    monkeypatch.setattr(batch_module, "_SMALL_BATCH", 0)
    return seen


def test_walks_that_go_on_give_what_scan_gives(walks):
    matcher = compile_rules(SPECS)
    found = batch_module.scan_many(matcher, TEXTS * 3)
    assert found == [Oracle(SPECS).scan(t) for t in TEXTS * 3]
    assert found == [matcher.scan(t) for t in TEXTS * 3]
    assert walks and all(walks)  # several walks went on from their first match


def test_a_first_match_short_of_the_report_is_walked_on():
    """One report at the end of ``12 45``: the first search, from the report less the width,
    finds ``12`` (the first alternative wins at 0), which does not end at the report; the walk
    goes on from there and finds ``45``, as ``_regex_matches`` does from the start."""
    pattern = r"\b\d{2}\b|\b\d{2} \d{2}\b"
    matcher = compile_rules([regex(pattern)])
    tables = batch_module.batch_tables(matcher, len(matcher._quick_length))
    texts = ["12 45"]
    data, latin1, kinds = batch_module._joined(texts)
    bases, lengths = batch_module._bases(list(map(len, texts)))
    expr = len(matcher._terms)
    end = int(bases[0]) + len(texts[0])
    reports = (np.array([expr]), np.array([end]), np.array([0]), kinds[[0]].astype(np.int64))
    starts, ends, rules = batch_module._regex_hits(
        matcher, tables, (data, latin1, data), bases, lengths, reports
    )
    program = matcher._regexes[0]
    assert program.match(_UNANCHORED, data, int(bases[0]), end)[0][1] != end
    expected = _regex_matches(program.width, program.match, data, [end], 0, 1, int(bases[0]))
    assert list(zip(starts.tolist(), ends.tolist(), strict=True)) == expected
    assert len(expected) == 2
    assert rules.tolist() == [program.rule] * 2


needs_native = pytest.mark.skipif(
    not native_scan.available(), reason="numba or hyperscan's C API cannot be loaded here"
)


@needs_native
def test_the_compiled_sorting_out_is_the_arrays_one():
    """Every report, real or not (random expressions and ends, as an approximate prefilter
    could report them, on separators too), is placed, sent on or dropped alike."""
    specs = [*SPECS, terms("Prime Minister", "Foreign Minister of", rule_id=2)]
    matcher = compile_rules(specs)
    tables = batch_module.batch_tables(matcher, len(matcher._quick_length))
    texts = [*TEXTS, "Prime  Minister and Foreign Minister\nof Prime\u00a0Minister"] * 5
    data, latin1, _kinds = batch_module._joined(texts)
    bases, lengths = batch_module._bases(list(map(len, texts)))
    buffer, latin1_buffer = np.frombuffer(data, np.uint8), np.frombuffer(latin1, np.uint8)
    rng = np.random.default_rng(7)
    real = batch_module._reports(matcher, data)
    count = 20_000
    made = np.empty(2 * count, np.int64)
    made[0::2] = rng.integers(0, len(matcher._quick_length), count)
    made[1::2] = rng.integers(40, len(data) - 1, count)
    for pairs in (real, made):
        exprs, ends = pairs[0::2], pairs[1::2]
        by_arrays = batch_module._sort_out_by_arrays(
            tables, buffer, latin1_buffer, exprs, ends, bases, lengths
        )
        compiled = batch_module._sort_out(
            matcher, tables, buffer, latin1_buffer, pairs, bases, lengths
        )
        for mine, theirs in zip(compiled, by_arrays, strict=True):
            for a, b in zip(mine, theirs, strict=True):
                assert a.tolist() == b.tolist()
    assert len(by_arrays[0][0]) and len(by_arrays[1][0])


@needs_native
def test_scan_many_without_the_compiled_parts_gives_the_same(monkeypatch):
    monkeypatch.setattr(batch_module, "_SMALL_BATCH", 0)
    texts = TEXTS * 4
    compiled = compile_rules(SPECS)
    by_arrays = compile_rules(SPECS)
    by_arrays._native = False
    assert batch_module.scan_many(compiled, texts) == batch_module.scan_many(by_arrays, texts)
    assert compiled._native and by_arrays._native is False
