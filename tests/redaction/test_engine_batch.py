"""``batch.scan_many``: many paragraphs in one hyperscan call, exactly ``scan`` of each.

The whole matcher and property suites run again here with ``Matcher.scan`` replaced by a
scan of the text *inside a batch* (between other paragraphs, twice, see ``_scan_in_batch``),
so every case that pins the engine against the oracle pins the batch path too.  The tests
below add what only a batch has: separators, paragraphs that would match across them,
anchors at the edges, chunking, and the dev corpus.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import redaction.engine.batch as batch_module
from redaction.engine.matcher import Matcher, compile_rules
from redaction.engine.oracle import Oracle
from redaction.engine.rules import MarkingRule, PersonalDataRule
from redaction.engine.spans import propose, propose_many
from tests.workflow import test_redaction_matcher as matcher_tests
from tests.workflow import test_redaction_properties as property_tests
from tests.workflow.test_redaction_matcher import regex, terms

_scan_alone = Matcher.scan


def _scan_in_batch(self: Matcher, text: str) -> list:
    """``text`` scanned twice within a batch; both copies, and its neighbours, must agree
    with scanning each paragraph alone."""
    if self._database is None:
        return _scan_alone(self, text)
    batch = [text, "", f"Doe {text} x", text[::-1], text, "é"]
    found = batch_module.scan_many(self, batch)
    assert found == [_scan_alone(self, t) for t in batch]
    return found[0]


@pytest.fixture(autouse=True, scope="module")
def _batch_scans():
    """Every batch through the batch path, however small (see ``_SMALL_BATCH``)."""
    Matcher.scan = _scan_in_batch
    small, batch_module._SMALL_BATCH = batch_module._SMALL_BATCH, 0
    yield
    Matcher.scan = _scan_alone
    batch_module._SMALL_BATCH = small


def _rerun(module) -> dict:
    return {name: getattr(module, name) for name in dir(module) if name.startswith("test_")}


# Every test of the matcher and property suites, through _scan_in_batch.
globals().update({f"{name}_in_a_batch": test for name, test in _rerun(matcher_tests).items()})
globals().update({f"{name}_in_a_batch": test for name, test in _rerun(property_tests).items()})


def test_no_match_across_paragraphs():
    specs = [terms("Foreign Minister", "Minister"), regex(r"\bForeign\s+Minister\b")]
    texts = ["the Foreign", "Minister said", "Foreign\nMinister"]
    assert batch_module.scan_many(compile_rules(specs), texts) == [
        Oracle(specs).scan(t) for t in texts
    ]
    assert [len(h) for h in batch_module.scan_many(compile_rules(specs), texts)] == [0, 1, 2]


def test_anchors_keep_their_meaning_at_paragraph_edges():
    specs = [
        regex(r"^Doe", rule_id=50),
        regex(r"Doe$", rule_id=51),
        regex(r"\ADoe\z", rule_id=52),
        regex(r"(?m)^Doe$", rule_id=53),
        regex(r"\bDoe\b", rule_id=54),
        regex(r"\BDoe", rule_id=55),
    ]
    texts = ["Doe", "Doe Doe", "xDoe", "Doe\nDoe", "", "é Doe é", "Doe"]
    assert batch_module.scan_many(compile_rules(specs), texts) == [
        Oracle(specs).scan(t) for t in texts
    ]


def test_words_apart_by_runs_and_placeholders():
    specs = [terms("Prime Minister"), terms("Foreign Minister of", rule_id=2)]
    texts = [
        "Prime Minister",
        "Prime  Minister",
        "Prime\u00a0Minister",
        "PRIME\n\tMINISTER",
        "xPrime Minister",
        "Prime Ministerx",
        "éPrime Minister",
        "Foreign Minister of",
        "Foreign \u00a0Minister\nof",
    ]
    assert batch_module.scan_many(compile_rules(specs), texts) == [
        Oracle(specs).scan(t) for t in texts
    ]


def test_text_beyond_latin1_is_answered_in_the_batch(monkeypatch):
    """Curly quotes, dashes and other scripts (text from web pages) next to a term, and the
    regexes that cannot tell such characters apart, need no paragraph-by-paragraph pass: the
    Latin-1 buffer tells word characters from the others (``東``, ``Ω`` are; ``’``, ``—``,
    ``😀`` are not), and a blind regex is searched in the scanned bytes."""
    specs = [
        terms("Doe"),
        regex(r"\bMr\. [A-Z][a-z]+\b", rule_id=51),
        regex(r"\d{3}[^a-z]\d", rule_id=52),
        regex(r"caf[eé]", rule_id=53),  # names a character beyond ASCII: not blind
    ]
    texts = [
        "“Doe” said Mr. Smith’s 123—4 aide",
        "Doe東 and 東Doe and ΩDoe and Doe’s",
        "😀Doe😀 and Mr. Doe in 555😀6 at the café",
    ]
    sent_on = []
    finish = Matcher._finish
    monkeypatch.setattr(
        Matcher,
        "_finish",
        lambda self, text, *rest: sent_on.append(text) or finish(self, text, *rest),
    )
    found = batch_module.scan_many(compile_rules(specs), texts)
    assert found == [Oracle(specs).scan(t) for t in texts]
    assert [(h.start, h.rule_id) for h in found[1]] == [(27, 1)]  # only Doe’s is a whole word
    assert {h.rule_id for h in found[0]} == {1, 51, 52}
    assert sent_on == [texts[2]]  # café: the one regex that tells é from other characters


def test_which_regexes_treat_characters_beyond_ascii_alike():
    from redaction.engine.prefilter import treats_non_ascii_alike

    blind = [r"\bMr\. [A-Z][a-z]+", r"[^a-z]+x", r".{3}\W", r"(?:ab|c[d-f])+", r"[\x00-\x7f]"]
    telling = [r"caf\xe9", "café", r"[\x00-\xff]", r"(?i)kilo", r"(?i:s)", "東"]
    assert all(map(treats_non_ascii_alike, blind))
    assert not any(map(treats_non_ascii_alike, telling))


def test_chunks(monkeypatch):
    monkeypatch.setattr(batch_module, "_CHUNK_CHARACTERS", 16)
    specs = [terms("Doe"), regex(r"\b\d{3}\b")]
    texts = ["Doe 123", "a much longer paragraph about Doe and 456", "", "Doe"] * 3
    assert batch_module.scan_many(compile_rules(specs), texts) == [
        Oracle(specs).scan(t) for t in texts
    ]


def test_empty_batches_and_matchers_without_hyperscan():
    assert batch_module.scan_many(compile_rules([terms("Doe")]), []) == []
    assert batch_module.scan_many(compile_rules([terms("Doe")]), ["", ""]) == [[], []]
    assert batch_module.scan_many(compile_rules([]), ["Doe"]) == [[]]


def test_small_batches_are_scanned_a_paragraph_at_a_time(monkeypatch):
    monkeypatch.setattr(Matcher, "scan", _scan_alone)
    monkeypatch.setattr(batch_module, "_SMALL_BATCH", 10)
    matcher = compile_rules([terms("Doe")])
    calls = []
    monkeypatch.setattr(batch_module, "_scan_chunks", lambda *a: calls.append(a) or [[]])
    assert batch_module.scan_many(matcher, ["Doe"]) == [[Oracle([terms("Doe")]).scan("Doe")[0]]]
    assert calls == []
    batch_module.scan_many(matcher, ["Doe Doe Doe"])
    assert len(calls) == 1


@pytest.mark.corpus
def test_batch_equals_oracle_on_real_cables(corpus_dir: Path):
    paragraphs = [
        p
        for f in sorted(corpus_dir.glob("*.txt"))[:60]
        for p in re.split(r"\n[ \t]*\n", f.read_text(encoding="utf-8"))
        if p.strip()
    ]
    specs = [
        terms("Minister", "Prime Minister", "Foreign Minister", "Brazil", "Itamaraty"),
        terms("Iran", "Tehran", rule_id=2),
        terms("Foreign Minister", rule_id=3),
        terms("State", rule_id=4),
        regex(r"\b\d{6}Z ?[A-Z]{3} ?\d{2}\b"),
        regex(r"\b(?:President|Ambassador) [A-Z][a-z]+\b", rule_id=51),
        regex(r"^[A-Z ]+$", rule_id=52),
        PersonalDataRule(id=60, version=1),
    ]
    oracle = Oracle(specs)
    assert batch_module.scan_many(compile_rules(specs), paragraphs) == [
        oracle.scan(p) for p in paragraphs
    ]


def test_propose_many_is_propose_of_each(monkeypatch):
    monkeypatch.setattr(Matcher, "scan", _scan_alone)
    specs = [
        terms("Doe"),
        regex(r"\b\d{3}\b", action="withhold"),
        terms("Smith", rule_id=3, action="flag"),
        MarkingRule(id=70, version=1, label=matcher_tests.B1, min_level=2),
    ]
    matcher = compile_rules(specs)
    paragraphs = [("Doe met Smith", 1, ["NOFORN"]), ("room 101, Doe", 2, []), ("", 0, [])]
    expected = [propose(text, level, controls, matcher) for text, level, controls in paragraphs]
    assert propose_many(paragraphs, matcher) == expected
    with pytest.raises(ValueError):
        propose_many([("Doe", 7, [])], matcher)
