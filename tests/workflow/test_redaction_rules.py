"""Rule specs and the checks that refuse a rule at save time, with the admin's message."""

from __future__ import annotations

import pytest

from redaction.engine.labels import parse_label
from redaction.engine.personal_data import PERSONAL_DATA_PATTERNS, personal_data_pattern
from redaction.engine.rule_regex import compile_rule_regex, regex_problems
from redaction.engine.rules import (
    MarkingRule,
    PersonalDataRule,
    RegexRule,
    RuleError,
    TermListRule,
    normalize_control,
    validate_rule,
)


def regex_rule(pattern: str, **changes) -> RegexRule:
    fields = {"id": 7, "version": 2, "label": "(b)(6)", "pattern": pattern} | changes
    return RegexRule(**fields)


def refusal(spec) -> str:
    with pytest.raises(RuleError) as caught:
        validate_rule(spec)
    return str(caught.value)


# --- regexes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        r"\b\d{2} ?(?:STATE|[A-Z]{4,12}) ?\d{3,6}\b",
        r"\b(?:\d{1,3}\.){3}\d{1,3}\b",
        r"(?i)\bpassport\b",
        r"\bMinister [A-Z][a-z]+(?: [A-Z][a-z]+)?\b",
        r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        r"\bTAGS: ?(?:[A-Z]{2,6} ){0,7}[A-Z]{2,6}\b",
        r"(ab|a)*c",
        r"é+",
    ],
)
def test_reasonable_regexes_are_accepted(pattern):
    validate_rule(regex_rule(pattern))


def test_a_regex_that_does_not_compile_is_refused_with_re2s_reason():
    message = refusal(regex_rule(r"\d{2}(?:STATE"))
    assert message.startswith("rule 7 v2: regex '\\\\d{2}(?:STATE' is not valid RE2 syntax")
    assert "missing )" in message


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+b",
        r"(\w+\s?)*x",
        r"(.*)*x",
        r"(a|a)*x",
        r"\d+\d+x",
        r"[a-z]*y[a-z]*y[a-z]*z",
        r"\w{1,1000}\w{1,1000}\w{1,1000}!",
    ],
)
def test_shapes_that_backtrack_are_accepted_because_nothing_backtracks(pattern):
    """RE2 and hyperscan run in linear time whatever the shape: no shape is refused."""
    validate_rule(regex_rule(pattern))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"(a)\1", "backreferences are not supported"),
        (r"(?P<x>a)(?P=x)", "backreferences are not supported"),
        (r"(a)?(?(1)b|c)", "conditional groups are not supported"),
        (r"Doe(?= said)", "lookaheads are not supported"),
        (r"Doe(?! said)", "lookaheads are not supported"),
        (r"(?<!Mr\. )Doe", "lookbehinds are not supported"),
        (r"(?>ab)c", "atomic groups are not supported"),
        (r"a++b", "possessive repeats are not supported"),
        (r"x\Z", "write \\z for the end of the paragraph"),
        (r"\d{1,2000}", "RE2 repeats at most 1000 times"),
    ],
)
def test_regexes_re2_cannot_run_are_refused_with_the_reason(pattern, expected):
    message = refusal(regex_rule(pattern))
    assert "is not valid RE2 syntax" in message, message
    assert expected in message, message


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\pL+", "bad escape \\p"),
        (r"[[:alpha:]]+", "nested set"),
        (r"(?U)a+", "unknown extension ?U"),
        (r"(?<n>a)", "unknown extension ?<n"),
        (r"a{99999999999}", "the repetition number is too large"),
    ],
)
def test_re2_only_forms_are_refused(pattern, expected):
    message = refusal(regex_rule(pattern))
    assert "uses a form rule regexes do not take" in message, message
    assert expected in message, message


def test_a_repeat_written_without_its_lower_bound_is_refused_with_the_fix():
    message = refusal(regex_rule(r"ab{,3}c"))
    assert "uses {,3}, which RE2 reads as plain text: write {0,3} for a repeat" in message
    validate_rule(regex_rule(r"ab{0,3}c"))
    validate_rule(regex_rule(r"ab\{,3}c"))
    validate_rule(regex_rule(r"a[{,3}]c"))


def test_end_of_text_is_written_as_re2_writes_it():
    validate_rule(regex_rule(r"SECRET\z"))


@pytest.mark.parametrize("depth", [300, 500])
def test_a_deeply_nested_regex_is_refused_not_crashed_on(depth):
    assert "is nested too deeply" in refusal(regex_rule("(" * depth + "a" + ")" * depth))


def test_a_regex_matching_the_empty_string_is_refused():
    assert "can match the empty string" in refusal(regex_rule(r"\d*"))
    assert "can match the empty string" in refusal(regex_rule(r"\b"))


def test_unicode_mode_flags_are_refused():
    assert "invalid perl operator: (?u" in refusal(regex_rule(r"(?u)\w+"))


def test_every_problem_is_reported_at_once():
    with pytest.raises(RuleError) as caught:
        validate_rule(regex_rule(r"(a)\1", id=0, label="(b)(1)", action="erase"))
    problems = caught.value.problems
    assert any("id must be a positive integer, got 0" in p for p in problems)
    assert any("action must be one of redact, withhold, flag, got 'erase'" in p for p in problems)
    assert any("(b)(1) without a classification basis" in p for p in problems)
    assert any("backreferences are not supported" in p for p in problems)


def test_regex_problems_can_be_asked_directly():
    assert regex_problems(r"\bREF\b") == []
    assert regex_problems(r"(a+)+") == []
    assert regex_problems(r"a(?=b)")[0].startswith("is not valid RE2 syntax")


# --- term lists -------------------------------------------------------------------------


def test_term_list_rule_accepts_a_list_and_stores_a_tuple():
    rule = TermListRule(id=1, version=1, label="B6", terms=["Doe", "Jane  Doe"])
    assert rule.terms == ("Doe", "Jane  Doe")
    assert rule.label == parse_label("(b)(6)")
    validate_rule(rule)


def test_an_empty_term_list_is_refused():
    message = refusal(TermListRule(id=3, version=1, label="B6", terms=()))
    assert message == "rule 3 v1: the term list is empty: add at least one term"


def test_blank_terms_are_refused_with_their_positions():
    message = refusal(TermListRule(id=3, version=1, label="B6", terms=("Doe", "", " \t", "Roe")))
    assert "empty or whitespace-only term at position(s) 1, 2" in message


def test_many_blank_terms_are_summarised():
    terms = ("Doe",) + ("",) * 9
    assert "position(s) 1, 2, 3, 4, 5 and 4 more" in refusal(
        TermListRule(id=3, version=1, label="B6", terms=terms)
    )


def test_terms_must_be_a_list_of_strings():
    assert "terms must be a list of strings" in refusal(
        TermListRule(id=3, version=1, label="B6", terms="Doe")
    )
    assert "item(s) 1 are not" in refusal(
        TermListRule(id=3, version=1, label="B6", terms=("Doe", 4))
    )


# --- labels -----------------------------------------------------------------------------


def test_an_unknown_label_is_refused_with_the_parsers_message():
    message = refusal(TermListRule(id=3, version=1, label="(b)(6) PII", terms=("Doe",)))
    assert "unknown exemption label '(b)(6) PII'" in message
    assert "unrecognised text 'PII'" in message


def test_b1_needs_a_basis_and_b3_a_statute():
    assert "(b)(1) without a classification basis: add the category" in refusal(
        regex_rule("x", label="B1")
    )
    assert "(b)(3) without naming the statute" in refusal(regex_rule("x", label="B3"))
    validate_rule(regex_rule("x", label="B1, 1.4(d)"))
    validate_rule(regex_rule("x", label="(b)(3) 50 U.S.C. 3024(i)"))


def test_a_label_that_is_not_a_label_is_refused():
    assert "label must be an exemption label" in refusal(regex_rule("x", label=6))


# --- personal data ----------------------------------------------------------------------


def test_personal_data_rule_defaults_to_b6_and_every_kind():
    rule = PersonalDataRule(id=9, version=1)
    validate_rule(rule)
    assert str(rule.label) == "(b)(6)"
    assert rule.pattern == personal_data_pattern(("email", "phone_intl", "phone_us", "passport"))


def test_personal_data_rule_refuses_unknown_kinds_and_non_privacy_labels():
    assert "unknown personal-data kind(s) 'ssn'" in refusal(
        PersonalDataRule(id=9, version=1, kinds=("email", "ssn"))
    )
    assert "choose at least one personal-data kind" in refusal(
        PersonalDataRule(id=9, version=1, kinds=())
    )
    assert "must include (b)(6) or (b)(7)(C), got (b)(5)" in refusal(
        PersonalDataRule(id=9, version=1, label="B5")
    )
    validate_rule(PersonalDataRule(id=9, version=1, label="B7(C)", kinds=["email"]))


@pytest.mark.parametrize("pattern", list(PERSONAL_DATA_PATTERNS.values()))
def test_built_in_patterns_pass_their_own_checks(pattern):
    assert regex_problems(pattern) == []


@pytest.mark.parametrize(
    ("kind", "text", "found"),
    [
        ("email", "write to jane.doe@state.gov today", "jane.doe@state.gov"),
        ("email", "j_roe+cables@mail.example.co.uk.", "j_roe+cables@mail.example.co.uk"),
        ("phone_intl", "call +44 20 7946 0958 now", "+44 20 7946 0958"),
        ("phone_intl", "tel. +1-202-555-0173", "+1-202-555-0173"),
        ("phone_intl", "+33 (0)1 23 45 67 89", "+33 (0)1 23 45 67 89"),
        ("phone_intl", "mobile +254722123456", "+254722123456"),
        ("phone_us", "(202) 555-0173", "(202) 555-0173"),
        ("phone_us", "at 202.555.0173 ext", "202.555.0173"),
        ("passport", "passport X1234567 issued", "X1234567"),
        ("passport", "passport no. 123456789", "123456789"),
        ("passport", "AB123456", "AB123456"),
    ],
)
def test_personal_data_patterns_find_the_usual_shapes(kind, text, found):
    match = compile_rule_regex(PERSONAL_DATA_PATTERNS[kind]).search(text)
    assert match is not None and match.group() == found


@pytest.mark.parametrize(
    "text",
    [
        "C O N F I D E N T I A L SECTION 01 OF 03 BRASILIA 000862",
        "P 101530Z FEB 06",
        "E.O. 12958: DECL: 04/07/2014",
        "REF: A. STATE 012345",
        "TO RUEHC/SECSTATE WASHDC PRIORITY 1234",
        "Reason 1.4 (b) and (d)",
        "+1 2 3",
        "DE RUEHNR #1114/01 0691248",
    ],
)
def test_personal_data_patterns_stay_quiet_on_cable_boilerplate(text):
    every_kind = compile_rule_regex(personal_data_pattern(tuple(PERSONAL_DATA_PATTERNS)))
    assert every_kind.search(text) is None


# --- marking rules ----------------------------------------------------------------------


def test_marking_rule_applies_by_level_or_control():
    secret = MarkingRule(id=4, version=1, label="B1, 1.4(d)", min_level=2)
    noforn = MarkingRule(id=5, version=1, label="B1, 1.4(d)", controls=["nf", "ORCON"])
    validate_rule(secret)
    validate_rule(noforn)
    assert noforn.controls == frozenset({"NOFORN", "ORCON"})
    assert secret.applies(2, []) and secret.applies(3, []) and not secret.applies(1, ["NF"])
    assert noforn.applies(0, ["NOFORN"]) and noforn.applies(1, ["oc"])
    assert not noforn.applies(3, ["SIPDIS"])


def test_marking_rule_checks():
    assert "a marking rule has no text span to redact" in refusal(
        MarkingRule(id=4, version=1, label="B6", action="redact", min_level=1)
    )
    assert "min_level must be 0 (U), 1 (C), 2 (S) or 3 (TS), got 4" in refusal(
        MarkingRule(id=4, version=1, label="B6", min_level=4)
    )
    assert "needs a minimum level, a control, or both" in refusal(
        MarkingRule(id=4, version=1, label="B6")
    )
    assert "controls must be a set of marking names" in refusal(
        MarkingRule(id=4, version=1, label="B6", controls="NOFORN")
    )
    validate_rule(MarkingRule(id=4, version=1, label="B6", action="flag", min_level=0))


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("nf", "NOFORN"),
        ("NOFORN", "NOFORN"),
        (" oc ", "ORCON"),
        ("XD", "EXDIS"),
        ("REL TO USA, GBR", "REL TO"),
        ("sbu", "SBU"),
    ],
)
def test_controls_are_normalised(written, normal):
    assert normalize_control(written) == normal


def test_not_a_spec_is_refused():
    with pytest.raises(RuleError, match="not a rule spec: str"):
        validate_rule("Doe")  # type: ignore[arg-type]
