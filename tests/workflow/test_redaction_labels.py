"""Redaction labels (classification-rules.md §5.2): every form seen on released documents."""

from __future__ import annotations

import pytest

from redaction.engine.labels import (
    Basis,
    Exemption,
    ExemptionLabel,
    LabelError,
    labels_union,
    parse_label,
)

# (label as written, canonical form)
SEEN_ON_RELEASES = [
    ("(b)(1)", "(b)(1)"),
    ("(b)(1) 1.4(b)", "(b)(1) 1.4(b)"),
    ("(b)(1) 1.4(d)", "(b)(1) 1.4(d)"),
    ("(b)(1) 1.4(b), 1.4(d)", "(b)(1) 1.4(b), 1.4(d)"),
    ("(b)(1) 25X1", "(b)(1) 25X1"),
    ("(b)(1) 3.3(b)(1)", "(b)(1) 3.3(b)(1)"),
    ("(b)(1) 50X1-HUM", "(b)(1) 50X1-HUM"),
    ("(b)(3) 50 U.S.C. 3024(i)", "(b)(3) 50 U.S.C. 3024(i)"),
    ("(b)(5)", "(b)(5)"),
    ("(b)(6)", "(b)(6)"),
    ("(b)(7)(C)", "(b)(7)(C)"),
    ("(b)(7)(E)", "(b)(7)(E)"),
    ("B1", "(b)(1)"),
    ("B1, 1.4(D)", "(b)(1) 1.4(d)"),
    ("B1,1.4(B),1.4(D)", "(b)(1) 1.4(b), 1.4(d)"),
    ("B6", "(b)(6)"),
    ("B5,B6", "(b)(5), (b)(6)"),
    ("B7(C)", "(b)(7)(C)"),
]


@pytest.mark.parametrize(("text", "canonical"), SEEN_ON_RELEASES)
def test_every_form_seen_on_releases_parses_to_its_canonical_form(text, canonical):
    label = parse_label(text)
    assert str(label) == canonical
    assert parse_label(canonical) == label  # the canonical form parses back


@pytest.mark.parametrize(
    "text",
    [
        "b1, 1.4(d)",
        "(B)(1) 1.4(D)",
        "( b )( 1 ) 1 . 4 ( d )",
        "B 1,1.4 (d)",
        "(b)(1)1.4(d)",
        "  (b)(1)   1.4(d)  ",
    ],
)
def test_case_and_spaces_do_not_matter(text):
    assert str(parse_label(text)) == "(b)(1) 1.4(d)"


def test_old_numbering_1_5_is_stored_as_1_4():
    assert parse_label("(b)(1) 1.5(d)") == parse_label("(b)(1) 1.4(d)")
    assert str(parse_label("B1, 1.5(b), 1.4(b)")) == "(b)(1) 1.4(b)"


def test_exemptions_and_bases_are_sorted_and_deduplicated():
    label = parse_label("B6, B1, 1.4(d), 25X1, 1.4(b), B1, 1.4(d), B6")
    assert str(label) == "(b)(1) 1.4(b), 1.4(d), 25X1, (b)(6)"
    assert label.numbers == {1, 6}


def test_statute_belongs_to_b3_and_keeps_its_spelling():
    label = parse_label("(b)(3)  26 U.S.C.   6103(b)(2), B6")
    assert [str(b) for b in label.statutes] == ["26 U.S.C. 6103(b)(2)"]
    assert str(label) == "(b)(3) 26 U.S.C. 6103(b)(2), (b)(6)"
    assert parse_label(str(label)) == label


def test_statute_stops_at_an_exemption_written_after_a_space():
    assert str(parse_label("(b)(3) INA (b)(6)")) == "(b)(3) INA, (b)(6)"
    assert str(parse_label("(b)(3) ARMSEXP B6")) == "(b)(3) ARMSEXP, (b)(6)"


def test_mixed_label_with_both_kinds_of_basis():
    label = parse_label("(b)(1) 1.4(d), (b)(3) 50 U.S.C. 3024(i), (b)(6)")
    assert str(label) == "(b)(1) 1.4(d), (b)(3) 50 U.S.C. 3024(i), (b)(6)"
    assert [b.code for b in label.eo_bases] == ["1.4(d)"]


def test_b_form_is_the_state_stamp_spelling():
    assert parse_label("(b)(1) 1.4(b), 1.4(d), (b)(6)").b_form() == "B1, 1.4(B), 1.4(D), B6"
    assert parse_label("(b)(7)(C)").b_form() == "B7(C)"


def test_labels_order_and_union():
    labels = [parse_label(t) for t in ("B6", "(b)(1) 1.4(d)", "B5", "(b)(1) 1.4(b)")]
    assert [str(x) for x in sorted(labels)] == [
        "(b)(1) 1.4(b)",
        "(b)(1) 1.4(d)",
        "(b)(5)",
        "(b)(6)",
    ]
    assert str(labels_union(labels)) == "(b)(1) 1.4(b), 1.4(d), (b)(5), (b)(6)"


def test_labels_are_hashable_values():
    assert len({parse_label("B6"), parse_label("(b)(6)"), parse_label("b 6")}) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the label is empty"),
        ("   ", "the label is empty"),
        ("1.4(d)", "basis 1.4(d) comes before any exemption"),
        ("(b)(6) 1.4(d)", "basis 1.4(d) is only valid attached to (b)(1), but it follows (b)(6)"),
        ("B5, 25X1", "basis 25X1 is only valid attached to (b)(1), but it follows (b)(5)"),
        (
            "(b)(3) 3.3(b)(1)",
            "basis 3.3(b)(1) is only valid attached to (b)(1), but it follows (b)(3)",
        ),
        ("(b)(7)(C) 50X1-HUM", "only valid attached to (b)(1), but it follows (b)(7)(C)"),
        ("(b)(10)", "the number must be 1 to 9"),
        ("B0", "the number must be 1 to 9"),
        ("(b)(7)(G)", "the sub-paragraph must be one of (A) to (F), got (G)"),
        ("(b)(1) 1.4(i)", "1.4 takes a letter from (a) to (h), got (i)"),
        ("(b)(1) 1.5(h)", "E.O. 12958 §1.5 had no category (h)"),
        ("(b)(1) 1.6(a)", "the classification category is written 1.4(a)-(h)"),
        ("(b)(1) 25X0", "25X takes a number from 1 to 9, got 0"),
        ("(b)(1) 3.3(b)(12)", "3.3(b) takes a number from 1 to 9, got 12"),
        ("(b)(6) Privacy Act", "unrecognised text 'Privacy Act' at position 7"),
        (
            "(b)(6) Privacy Act",
            "free text such as a statute citation is only allowed right after (b)(3)",
        ),
        ("B1,", "trailing comma"),
        ("B1,,B6", "two commas in a row"),
        (",B1", "cannot start with a comma"),
        ("exempt", "expected an exemption such as (b)(6) or B6"),
    ],
)
def test_errors_say_exactly_what_is_wrong(text, message):
    with pytest.raises(LabelError) as caught:
        parse_label(text)
    assert message in str(caught.value)


def test_label_error_is_a_value_error():
    assert issubclass(LabelError, ValueError)
    with pytest.raises(LabelError, match="must be text"):
        parse_label(None)  # type: ignore[arg-type]


def test_labels_built_directly_keep_the_same_rules():
    label = ExemptionLabel((Exemption(6), Exemption(1)), (Basis("1.4", "1.4(d)"),))
    assert str(label) == "(b)(1) 1.4(d), (b)(6)"
    with pytest.raises(LabelError, match=r"basis 1.4\(d\) is only valid with \(b\)\(1\)"):
        ExemptionLabel((Exemption(6),), (Basis("1.4", "1.4(d)"),))
    with pytest.raises(LabelError, match="at least one exemption"):
        ExemptionLabel(())
    with pytest.raises(LabelError, match="1 to 9"):
        Exemption(0)
