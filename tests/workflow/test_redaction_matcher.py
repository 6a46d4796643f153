"""The hyperscan engine: offsets, whole words, case, overlaps, big term lists, spans, proposals.

Every test that checks hits also checks that the oracle agrees, so each one pins the shared
semantics as well as the engine.
"""

from __future__ import annotations

import random
import re
import threading
from pathlib import Path

import pytest

import redaction.engine.matcher as matcher_module
from redaction.engine.hit import Hit
from redaction.engine.labels import parse_label
from redaction.engine.matcher import compile_rules
from redaction.engine.oracle import Oracle
from redaction.engine.prefilter import Untranslatable, encode_for_scan
from redaction.engine.rules import (
    MarkingRule,
    PersonalDataRule,
    RegexRule,
    RuleError,
    TermListRule,
)
from redaction.engine.spans import MergedSpan, merge_spans, propose

B6 = parse_label("(b)(6)")
B1 = parse_label("(b)(1) 1.4(d)")


def terms(*words: str, rule_id: int = 1, **changes) -> TermListRule:
    return TermListRule(**({"id": rule_id, "version": 1, "label": B6, "terms": words} | changes))


def regex(pattern: str, rule_id: int = 50, **changes) -> RegexRule:
    return RegexRule(**({"id": rule_id, "version": 1, "label": B1, "pattern": pattern} | changes))


def scan(specs, text: str) -> list[Hit]:
    """The engine's hits, after checking that the oracle finds exactly the same."""
    hits = compile_rules(specs).scan(text)
    assert hits == Oracle(specs).scan(text)
    return hits


def spans(specs, text: str) -> list[str]:
    return [text[h.start : h.end] for h in scan(specs, text)]


# --- offsets ----------------------------------------------------------------------------


def test_offsets_are_characters_not_utf8_bytes():
    text = "¶1. (C) «Zoë» 東京 😀 met Doe, then DOE."
    hits = scan([terms("Doe")], text)
    first, second = text.index("Doe"), text.index("DOE")
    assert [(h.start, h.end) for h in hits] == [(first, first + 3), (second, second + 3)]
    assert len(text[:first].encode()) != first  # byte offsets would differ


def test_regex_offsets_are_characters_too():
    text = "‘Fünf’ — ref 04BRASILIA862 🙂 and 05 STATE 226504"
    assert spans([regex(r"\b\d{2} ?(?:STATE|[A-Z]{4,12}) ?\d{3,6}\b")], text) == [
        "04BRASILIA862",
        "05 STATE 226504",
    ]


def test_the_scanned_bytes_have_one_byte_per_character():
    assert encode_for_scan("a¶b😀c") == b"a\x80b\x80c"


# --- whole words ------------------------------------------------------------------------


def test_whole_words_only_with_unicode_word_characters():
    assert spans([terms("Jos")], "Jos José _Jos Jos_ Jos1 1Jos (Jos) Jos") == ["Jos", "Jos", "Jos"]


def test_terms_with_punctuation_at_the_edges_need_non_word_neighbours():
    assert spans([terms("U.S.")], "the U.S. and U.S.A., (U.S.)") == ["U.S.", "U.S."]
    assert spans([terms("-Doe")], "x-Doe -Doe") == ["-Doe"]


def test_non_ascii_word_characters_around_an_ascii_term():
    assert spans([terms("Ali")], "Alié éAli Ali¶ ¶Ali Ali’s") == ["Ali", "Ali", "Ali"]


# --- case -------------------------------------------------------------------------------


def test_case_insensitive_for_ascii_and_other_scripts():
    assert spans([terms("Müller")], "MÜLLER müller Müller MULLER") == ["MÜLLER", "müller", "Müller"]
    assert spans([terms("Ελλάδα")], "ΕΛΛΆΔΑ ελλάδα") == ["ΕΛΛΆΔΑ", "ελλάδα"]


def test_only_one_character_case_forms_count():
    # ß has no one-character upper case; the Kelvin sign lowers to k but k does not raise to it.
    assert spans([terms("Straße")], "STRASSE straße STRAẞE") == ["straße"]
    assert spans([terms("kelvin")], "Kelvin KELVIN \u212aelvin") == ["Kelvin", "KELVIN"]
    assert spans([terms("\u212aelvin")], "Kelvin kelvin \u212aelvin") == ["kelvin", "\u212aelvin"]


# --- whitespace -------------------------------------------------------------------------


def test_a_space_in_a_term_matches_any_whitespace_run():
    text = "the Prime\nMinister, PRIME  MINISTER, Prime\u00a0Minister, Prime-Minister"
    assert spans([terms("Prime Minister")], text) == [
        "Prime\nMinister",
        "PRIME  MINISTER",
        "Prime\u00a0Minister",
    ]


def test_term_whitespace_is_normalised():
    assert spans([terms("  Prime \t Minister ")], "Prime Minister") == ["Prime Minister"]


# --- overlaps ---------------------------------------------------------------------------


def test_within_a_rule_the_leftmost_longest_match_wins():
    rule = terms("New York", "York", "New York City", "City Hall")
    assert spans([rule], "New York City Hall, York") == ["New York City", "York"]


def test_rules_are_matched_independently_and_may_overlap():
    specs = [
        terms("Foreign Minister", rule_id=1),
        terms("Minister", rule_id=2),
        regex(r"\bMinister [A-Z][a-z]+\b", rule_id=3),
    ]
    hits = scan(specs, "the Foreign Minister Amorim")
    assert [(h.rule_id, h.start, h.end) for h in hits] == [(1, 4, 20), (2, 12, 20), (3, 12, 27)]


def test_a_term_shared_by_two_rules_hits_both():
    hits = scan([terms("Doe", rule_id=1), terms("Roe", "Doe", rule_id=2)], "Doe")
    assert [h.rule_id for h in hits] == [1, 2]


def test_a_term_that_overlaps_itself():
    assert spans([terms("a-a")], "a-a-a-a") == ["a-a", "a-a"]
    assert spans([terms("x y x")], "x y x y x y x") == ["x y x", "x y x"]


def test_multi_word_terms_that_cannot_overlap_keep_every_match():
    rule = terms("Foreign Minister")
    text = "FOREIGN MINISTER, foreign\n  minister Foreign\u00a0Minister xForeign Minister"
    assert spans([rule], text) == [
        "FOREIGN MINISTER",
        "foreign\n  minister",
        "Foreign\u00a0Minister",
    ]
    assert spans([terms("Abu Abu")], "Abu Abu Abu Abu Abu") == ["Abu Abu", "Abu Abu"]
    assert spans([terms("ab AB ab")], "AB ab AB ab AB") == ["AB ab AB"]
    assert spans([terms("\u212a k")], "k k k") == ["k k"]  # Kelvin sign: k is a case form


def test_unbounded_regexes_looked_for_by_their_leading_part():
    title = r"\b(?:Ambassador|Minister|Consul) [A-Z][a-z]+(?: [A-Z][a-z]+)?\b"
    text = (
        "Ambassador Smith met Minister Doe Roe, xMinister Foe, Minister X, Consul Abcdefghijkl"
        " and MINISTER DOE; Minister Ab Cd Ef. Ambassador Ambassador Smith"
    )
    assert spans([regex(title)], text) == [
        "Ambassador Smith",
        "Minister Doe Roe",
        "Consul Abcdefghijkl",
        "Minister Ab Cd",
        "Ambassador Ambassador Smith",
    ]
    classified = r"(?i:classified by):? [A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+){0,3}"
    text = "Classified By: Robert A. O'Neill, reasons 1.4. CLASSIFIED BY Jo classified by: x"
    assert spans([regex(classified)], text) == [
        "Classified By: Robert A. O'Neill",
        "CLASSIFIED BY Jo",
    ]
    assert spans([regex(r"abcd\d+")], "abcd abcd1 abcd22abcd333") == ["abcd1", "abcd22", "abcd333"]
    assert spans([regex(r"[ab]{4}c*")], "abab bbbbcc aaaaab") == ["abab", "bbbbcc", "aaaa"]


def test_regex_matches_are_leftmost_first_and_do_not_overlap():
    assert spans([regex(r"\d{3}")], "1234567") == ["123", "456"]
    assert spans([regex(r"ab|abc")], "abc") == ["ab"]
    assert spans([regex(r"a.*?c")], "abcabc") == ["abc", "abc"]


def test_regex_with_a_leading_word_boundary():
    rule = regex(r"\b(?:Ambassador|Minister) [A-Z][a-z]+\b")
    assert spans([rule], "xMinister Doe, Minister Roe and AMinister Foo; Ambassador Poe") == [
        "Minister Roe",
        "Ambassador Poe",
    ]


def test_regex_ascii_semantics():
    text = "١٢٣ 123 café straße"
    assert spans([regex(r"\d+")], text) == ["123"]
    assert spans([regex(r"\b\w+\b")], text) == ["123", "caf", "stra", "e"]
    assert spans([regex(r"(?i)CAFÉ")], text) == ["café"]  # RE2 folds case as Unicode does
    assert spans([regex(r"é")], text) == ["é"]


def test_regex_semantics_are_re2s():
    """Where RE2 and Python's re differ, the rule means what RE2 runs."""
    assert spans([regex(r"(?i)k")], "\u212a k") == ["\u212a", "k"]  # Kelvin sign folds to k
    assert spans([regex("(?i)\u017f")], "s S \u017f") == ["s", "S", "\u017f"]  # long s
    assert spans([regex(r"(?i)\w"), regex(r"(?i)[^\W]", 51)], "\u017f") == ["\u017f"] * 2
    assert spans([regex(r"(?i)CAF[É]")], "Café CAFÉ caf\u00e9") == ["Café", "CAFÉ", "café"]
    assert spans([regex(r"x$")], "x\n") == []  # $ is the end of the text, not before a \n
    assert spans([regex(r"(?m)x$")], "x\nx") == ["x", "x"]
    assert spans([regex(r"x\z")], "x x") == ["x"]
    assert spans([regex(r"x\s"), regex(r"y\S", 51)], "x\x0b y\x0b") == ["y\x0b"]  # RE2's \s: no \v


def test_regexes_that_cannot_be_prefiltered_are_still_exact(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise Untranslatable("for the test")

    monkeypatch.setattr(matcher_module, "regex_prefilter", refuse)
    assert spans([regex(r"\bREF\b"), terms("Doe")], "REF Doe REF") == ["REF", "Doe", "REF"]


# --- many terms -------------------------------------------------------------------------


def _words(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(count)]


def test_a_term_list_of_thousands():
    words = sorted(set(_words(5000, seed=1)))
    rule = terms(*words, "Saint Petersburg", "Zoë")
    rng = random.Random(2)
    chosen = rng.sample(words, 200)
    text = " ".join(w.upper() if i % 3 == 0 else w for i, w in enumerate(chosen))
    text += " ¶ saint\npetersburg ZOË"
    hits = scan([rule], text)
    assert len(hits) == 202
    assert {h.rule_id for h in hits} == {1}


def test_thousands_of_rules_in_one_matcher():
    words = sorted(set(_words(3000, seed=3)))
    specs = [terms(w, rule_id=i + 1) for i, w in enumerate(words)]
    text = " ".join(words[::7])
    hits = compile_rules(specs).scan(text)
    assert [text[h.start : h.end] for h in hits] == words[::7]


# --- the matcher as a whole -------------------------------------------------------------


def test_duplicate_rule_ids_are_refused():
    with pytest.raises(ValueError, match="rule id 1 appears twice"):
        compile_rules([terms("a"), terms("b")])


def test_invalid_rules_are_refused_when_compiling():
    with pytest.raises(RuleError, match="lookaheads are not supported"):
        compile_rules([regex(r"Doe(?= said)")])


def test_no_text_rules_means_no_hits():
    marking = MarkingRule(id=1, version=1, label=B1, min_level=2)
    matcher = compile_rules([marking])
    assert matcher.scan("anything") == []
    assert matcher.marking_rules == (marking,)


def test_hits_carry_the_rule_fields():
    rule = terms("Doe", rule_id=12, version=3, action="flag")
    assert scan([rule], "Doe") == [Hit(0, 3, 12, 3, B6, "flag")]


def test_personal_data_rule_in_the_matcher():
    text = "Reach jane.doe@state.gov or +44 20 7946 0958; passport X1234567."
    assert spans([PersonalDataRule(id=5, version=1)], text) == [
        "jane.doe@state.gov",
        "+44 20 7946 0958",
        "X1234567",
    ]


def test_threads_can_share_a_matcher():
    matcher = compile_rules([terms("Doe"), regex(r"\b\d{3}\b")])
    text = "Doe 123 " * 50
    expected = matcher.scan(text)
    results: list[bool] = []

    def work() -> None:
        results.extend(matcher.scan(text) == expected for _ in range(200))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 800


@pytest.mark.corpus
def test_engine_equals_oracle_on_real_cables(corpus_dir: Path):
    paragraphs = [
        p
        for f in sorted(corpus_dir.glob("*.txt"))[:40]
        for p in re.split(r"\n[ \t]*\n", f.read_text(encoding="utf-8"))
        if p.strip()
    ]
    specs = [
        terms("Minister", "Prime Minister", "Foreign Minister", "Brazil", "Itamaraty"),
        terms("Iran", "Tehran", rule_id=2),
        regex(r"\b\d{6}Z ?[A-Z]{3} ?\d{2}\b"),
        regex(r"\b(?:President|Ambassador) [A-Z][a-z]+\b", rule_id=51),
        PersonalDataRule(id=60, version=1),
    ]
    matcher, oracle = compile_rules(specs), Oracle(specs)
    for paragraph in paragraphs:
        assert matcher.scan(paragraph) == oracle.scan(paragraph)


# --- spans and proposals ----------------------------------------------------------------


def _hit(start: int, end: int, rule_id: int, label: str = "B6", action: str = "redact") -> Hit:
    return Hit(start, end, rule_id, 1, parse_label(label), action)


def test_overlapping_spans_merge_and_keep_every_label_and_rule():
    hits = [
        _hit(5, 9, 2, "(b)(1) 1.4(d)"),
        _hit(0, 6, 1),
        _hit(8, 12, 3, "B6"),
        _hit(20, 25, 4, "B5"),
    ]
    assert merge_spans(hits) == [
        MergedSpan(0, 12, "redact", (parse_label("(b)(1) 1.4(d)"), B6), ((1, 1), (2, 1), (3, 1))),
        MergedSpan(20, 25, "redact", (parse_label("B5"),), ((4, 1),)),
    ]


def test_touching_spans_stay_apart():
    merged = merge_spans([_hit(0, 5, 1), _hit(5, 9, 2, "B5")])
    assert [(s.start, s.end) for s in merged] == [(0, 5), (5, 9)]


def test_merging_does_not_depend_on_hit_order():
    hits = [_hit(0, 6, 1), _hit(5, 9, 2, "B5"), _hit(3, 4, 3), _hit(30, 31, 4, action="flag")]
    assert merge_spans(hits) == merge_spans(list(reversed(hits)))


def test_flags_never_widen_a_redaction():
    merged = merge_spans([_hit(0, 10, 1, action="flag"), _hit(4, 6, 2)])
    assert [(s.start, s.end, s.action) for s in merged] == [(0, 10, "flag"), (4, 6, "redact")]


def test_withheld_text_is_redacted_too():
    merged = merge_spans([_hit(0, 4, 1, action="withhold"), _hit(3, 8, 2)])
    assert [(s.start, s.end, s.action) for s in merged] == [(0, 8, "redact")]


def test_proposal_with_marking_rules_and_text_rules():
    specs = [
        terms("Doe", "Jane Doe"),
        regex(r"\bAmbassador\b", rule_id=2, action="flag", priority=5),
        regex(r"\bsource\b", rule_id=3, action="withhold", label="(b)(1) 25X1"),
        MarkingRule(id=4, version=1, label=B1, controls=["NOFORN"], priority=9),
        MarkingRule(id=5, version=1, label=B1, action="flag", min_level=2),
    ]
    matcher = compile_rules(specs)
    text = "Ambassador Jane Doe said"

    plain = propose(text, 1, [], matcher)
    assert not plain.withheld_in_full and plain.flagged and plain.flag_rules == ((2, 1),)
    assert [(s.start, s.end, s.action) for s in plain.spans] == [
        (0, 10, "flag"),
        (11, 19, "redact"),
    ]
    assert plain.labels == (B6,) and str(plain.release_label()) == "(b)(6)"

    noforn = propose(text, 2, ["NF"], matcher)
    assert noforn.withheld_in_full and noforn.withhold_rules == ((4, 1),)
    assert noforn.withhold_labels == (B1,) and noforn.flag_rules == ((2, 1), (5, 1))

    sourced = propose("a source said", 0, [], matcher)
    assert sourced.withheld_in_full and sourced.withhold_labels == (parse_label("B1, 25X1"),)
    assert [(s.start, s.end) for s in sourced.redactions] == [(2, 8)]


def test_proposal_refuses_an_unknown_level():
    with pytest.raises(ValueError, match="level must be 0"):
        propose("x", 4, [], compile_rules([]))


def test_proposal_can_use_other_marking_rules():
    matcher = compile_rules([terms("Doe")])
    rule = MarkingRule(id=9, version=1, label=B1, min_level=3)
    assert propose("Doe", 3, [], matcher, [rule]).withheld_in_full
    assert not propose("Doe", 3, [], matcher).withheld_in_full
