"""Property: for any rule set and any text, the engine proposes exactly what the oracle does.

Rule sets mix term lists (overlapping terms, case variants, non-ASCII letters, punctuation at
the edges, several words) with regexes from a small generator of patterns that pass
validation (the oracle runs those on RE2, as the engine does: where RE2 and Python's ``re``
differ, such as ``(?i)k`` and the Kelvin sign or ``\\s`` and ``\\v``, RE2 is the meaning).
Texts are drawn from the same small alphabet, with the rules' own terms spliced in (in
other cases, across line breaks) so that hits are common, not a lucky accident.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from redaction.engine.labels import parse_label
from redaction.engine.matcher import compile_rules
from redaction.engine.oracle import Oracle
from redaction.engine.rule_regex import regex_problems
from redaction.engine.rules import RegexRule, TermListRule
from redaction.engine.spans import merge_spans
from redaction.engine.terms import normalize_term

# Few distinct letters, so that terms overlap and texts contain them; plus the characters
# whose handling differs between ASCII and Unicode, or between bytes and characters.
LETTERS = "abAB"
UNICODE_LETTERS = "éÉßẞİıſKÜü東"
OTHER = "0_ .-'\n\t\x0b\u00a0¶’😀\u0301ks"
ALPHABET = LETTERS + UNICODE_LETTERS + OTHER

LABELS = [parse_label(t) for t in ("(b)(6)", "(b)(1) 1.4(d)", "(b)(5)", "(b)(7)(C)")]
ACTIONS = ["redact", "redact", "withhold", "flag"]

word = st.text(alphabet=LETTERS + UNICODE_LETTERS + "0_.-'", min_size=1, max_size=4)
term = st.one_of(
    word,
    st.lists(word, min_size=2, max_size=3).map(" ".join),
    st.text(alphabet=LETTERS + UNICODE_LETTERS + "0_.-' ", min_size=1, max_size=6),
).filter(lambda t: bool(normalize_term(t)))
separator = st.sampled_from(["", " ", " ", "\n", "  ", ".", "_", "é", "¶", "a", "-"])

# Regex pieces: single-character atoms may be quantified; sequences of them are joined, and
# a few shapes (alternation, optional group, word boundaries) wrap them.
atom = st.sampled_from(
    [
        "a",
        "b",
        "A",
        "é",
        r"\.",
        "-",
        " ",
        "[ab]",
        "[^a]",
        "[a-b]",
        r"\d",
        r"\w",
        r"\W",
        r"\s",
        r"\S",
        ".",
        "[éa]",
        "_",
        r"\b",
        r"\B",
        "\n",
        "k",
        "\u212a",
        "(?i:s)",
        "[r-t]",
    ]
)
quantifier = st.sampled_from(["", "", "", "?", "+", "*", "{1,2}", "{2}", "+?"])
piece = st.builds(lambda a, q: a + q, atom, quantifier)
sequence = st.lists(piece, min_size=1, max_size=4).map("".join)


@st.composite
def regex_source(draw: st.DrawFn) -> str:
    body = draw(sequence)
    shape = draw(
        st.sampled_from(
            [
                "plain",
                "alternation",
                "group",
                "boundaries",
                "ignorecase",
                "anchors",
                "multiline",
                "dotall",
            ]
        )
    )
    if shape == "alternation":
        body = f"(?:{body}|{draw(sequence)})"
    elif shape == "group":
        body = f"{draw(sequence)}(?:{body})?{draw(sequence)}"
    elif shape == "boundaries":
        body = rf"\b{body}\b"
    elif shape == "ignorecase":
        body = f"(?i){body}"
    elif shape == "anchors":
        body = draw(st.sampled_from(["^{}", "{}$", "^{}$", r"\A{}", r"{}\z"])).format(body)
    elif shape == "multiline":
        body = f"(?m)^{body}$"
    elif shape == "dotall":
        body = f"(?s){body}"
    return body


@st.composite
def rule_sets(draw: st.DrawFn) -> list:
    specs = []
    for index in range(draw(st.integers(1, 3))):
        words = draw(st.lists(term, min_size=1, max_size=5))
        if len(words) > 1 and draw(st.booleans()):  # a term that extends another one
            words.append(words[0] + draw(st.sampled_from([" ", "", "-"])) + words[-1])
        specs.append(
            TermListRule(
                id=index + 1,
                version=1,
                label=draw(st.sampled_from(LABELS)),
                action=draw(st.sampled_from(ACTIONS)),
                terms=tuple(words),
            )
        )
    for index in range(draw(st.integers(0, 3))):
        source = draw(regex_source())
        if not regex_problems(source):
            specs.append(
                RegexRule(
                    id=100 + index,
                    version=1,
                    label=draw(st.sampled_from(LABELS)),
                    action=draw(st.sampled_from(ACTIONS)),
                    pattern=source,
                )
            )
    return specs


def _variant(draw: st.DrawFn, word: str) -> str:
    """The term as a text might carry it: other case, other whitespace between its words."""
    form = draw(st.sampled_from(["same", "upper", "lower", "swap"]))
    word = {"same": word, "upper": word.upper(), "lower": word.lower(), "swap": word.swapcase()}[
        form
    ]
    return re.sub(" ", lambda _m: draw(st.sampled_from([" ", "\n", "  ", "\u00a0", "\t "])), word)


@st.composite
def texts_for(draw: st.DrawFn, specs: list) -> list[str]:
    words = [w for s in specs if isinstance(s, TermListRule) for w in s.terms]
    texts = []
    for _ in range(draw(st.integers(1, 3))):
        parts = []
        for _ in range(draw(st.integers(0, 8))):
            if words and draw(st.integers(0, 2)):
                parts.append(_variant(draw, draw(st.sampled_from(words))))
            else:
                parts.append(draw(st.text(alphabet=ALPHABET, max_size=6)))
            parts.append(draw(separator))
        texts.append("".join(parts))
    return texts


@st.composite
def cases(draw: st.DrawFn) -> tuple[list, list[str]]:
    specs = draw(rule_sets())
    return specs, draw(texts_for(specs))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_engine_and_oracle_propose_the_same_spans(case):
    specs, texts = case
    assume(specs)
    engine, oracle = compile_rules(specs), Oracle(specs)
    for text in texts:
        expected = oracle.scan(text)
        found = engine.scan(text)
        assert found == expected, (specs, text)
        assert merge_spans(found) == merge_spans(expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(term, min_size=1, max_size=8), st.text(alphabet=ALPHABET, max_size=40))
def test_terms_alone_on_arbitrary_text(words, text):
    specs = [TermListRule(id=1, version=1, label="B6", terms=tuple(words))]
    assert compile_rules(specs).scan(text) == Oracle(specs).scan(text)


# Regexes of unbounded width that begin with a part of bounded width: hyperscan looks for that
# part, and where it ends bounds where matches start.
lead = st.lists(
    st.sampled_from(["a", "b", "[ab]", "A", r"\b", " ", r"\d", "é", "(?i:b)"]),
    min_size=4,
    max_size=7,
).map("".join)
tail = st.lists(piece, min_size=0, max_size=3).map("".join)
unbounded = st.sampled_from([r"\w+", "a*", "[ab ]+", r"\d+", "(?: b+)*", ".+?", r"\S*"])


@settings(max_examples=200, deadline=None)
@given(lead, unbounded, tail, st.lists(st.text(alphabet="abAB 0_é.\n", max_size=8), max_size=6))
def test_unbounded_regexes_with_a_leading_part(head, middle, rest, pieces):
    source = head + middle + rest
    assume(not regex_problems(source))
    specs = [RegexRule(id=1, version=1, label="B6", pattern=source)]
    text = "".join(p + head.replace("\\b", "").replace("[ab]", "a") for p in pieces)
    assert compile_rules(specs).scan(text) == Oracle(specs).scan(text)
