"""The approval's word check (``releases.withheld.repeats``) reads a word as a reader
sees it: letters of other scripts drawn like Latin ones, characters that draw
nothing, a word hyphenated across a line, and the words of an address written in
small letters.  What it allowed stays allowed: ordinary words in small letters, a
hyphenated compound, common words of a redaction shown elsewhere.

Pure functions on the decisions, no database: the release-level cases are in
``test_review_withheld_leaves.py``.
"""

from __future__ import annotations

import time

import pytest

from cables.words import word_keys
from releases.document import DecisionIn, ParagraphIn
from releases.withheld import check_keys, repeated_in_released, repeats

B1 = "(b)(1) 1.4(c)"
B6 = "(b)(6)"
NOTHING: frozenset[str] = frozenset()  # a small corpus: only the stop words are common


def _check(
    withheld: str, secret: str, released: str, common: frozenset[str] = NOTHING
) -> list[tuple[str, int, int]]:
    """Paragraph 1 with ``secret`` redacted, paragraph 2 released: the repeats, as
    (paragraph, start, end) of the released text."""
    start = withheld.index(secret)
    paragraphs = [
        ParagraphIn(1, 1, "1", "C", True, withheld),
        ParagraphIn(2, 2, "2", "U", True, released),
    ]
    decisions = {
        1: DecisionIn(10, 1, "redact", ((start, start + len(secret), B6),)),
        2: DecisionIn(11, 2, "release"),
    }
    return [(r.paragraph, r.start, r.end) for r in repeats(paragraphs, decisions, common)]


# -- what a word is to the check -----------------------------------------------------------


def test_check_keys_fold_look_alike_letters_and_keep_offsets_in_the_text():
    text = "MET BLU\u0415HERON AND \u0392\u039f\u039d\u039d AT NOON"  # Cyrillic IE, Greek BONN
    keyed = check_keys(text)
    assert [k for k, _, _ in keyed] == ["met", "blueheron", "and", "bonn", "at", "noon"]
    assert [text[s:e] for _, s, e in keyed][1] == "BLU\u0415HERON"


@pytest.mark.parametrize("char", ["\u2063", "\u200e", "\u034f", "\ufe0f", "\u202e", "\u00ad"])
def test_check_keys_drop_characters_that_draw_nothing(char):
    text = f"MET BLUE{char}HERON TODAY"
    assert [(k, text[s:e]) for k, s, e in check_keys(text)][1] == (
        "blueheron",
        f"BLUE{char}HERON",
    )


@pytest.mark.parametrize("gap", ["-\n", "- \n  ", "-", "\u2010\r\n"])
def test_check_keys_join_a_word_hyphenated_across_a_line_and_keep_its_parts(gap):
    text = f"OF BLUE{gap}HERON WITH"
    keys = [k for k, _, _ in check_keys(text)]
    assert keys == ["of", "blue", "blueheron", "heron", "with"]
    assert [k for k, _, _ in check_keys(text, joins=False)] == ["of", "blue", "heron", "with"]


def test_word_keys_the_near_duplicate_index_reads_are_unchanged():
    # The stored band hashes are computed from word_keys: the check's folding is its own.
    assert [k for k, _, _ in word_keys("BLU\u0415HERON BLUE-\nHERON")] == [
        "blu\u0435heron",
        "blue",
        "heron",
    ]


# -- leaks the check now finds --------------------------------------------------------------

EMAIL = "oriol.varga@mod.example"


def test_a_redacted_address_in_small_letters_repeated_elsewhere_is_found():
    p1 = f"The Minister asked that his private address {EMAIL} be used."
    p2 = f"Post sent the list to {EMAIL} on Friday."
    found = _check(p1, EMAIL, p2)
    assert found and {(p, s) for p, s, _ in found} >= {("2", p2.index(EMAIL))}


@pytest.mark.parametrize(
    "address",
    [EMAIL, "https://mod.example/oriol-varga", "oriol_varga", "@oriol-varga", "varga.oriol"],
)
def test_a_redacted_name_released_inside_an_address_in_small_letters_is_found(address):
    p1 = "Defense Minister Oriol Varga told the Ambassador that talks open in June."
    p2 = f"Experts may write to {address} for the agenda."
    assert _check(p1, "Oriol Varga", p2)


def test_a_redacted_codename_hyphenated_across_a_line_is_found_where_it_stands():
    p2 = "THE AMBASSADOR DID NOT RAISE BLUE-\nHERON WITH THE MINISTER."
    found = _check("THE SOURCE BLUEHERON REPORTED.", "BLUEHERON", p2)
    start = p2.index("BLUE-")
    assert ("2", start, start + len("BLUE-\nHERON")) in found


@pytest.mark.parametrize("char", ["\u2063", "\u200e", "\u034f", "\ufe0f"])
def test_the_approval_finds_a_redacted_word_split_by_an_invisible_character(char):
    assert _check("THE SOURCE BLUEHERON REPORTED.", "BLUEHERON", f"WE MET BLUE{char}HERON.")


def test_a_redacted_codename_spelt_with_a_look_alike_letter_is_found():
    assert _check("THE SOURCE BLUEHERON REPORTED.", "BLUEHERON", "WE MET BLU\u0415HERON.")


def test_a_look_alike_spelling_redacted_finds_the_plain_spelling_released():
    assert _check("THE SOURCE BLU\u0415HERON REPORTED.", "BLU\u0415HERON", "WE MET BLUEHERON.")


def test_verification_without_common_words_finds_a_look_alike_run_of_a_withheld_paragraph():
    withheld = "THE SOURCE BLUEHERON SAID THE TROOPS WOULD MOVE NORTH AT DAWN ON MONDAY."
    released = "IT WAS SAID: THE SOURCE BLU\u0415HERON SAID THE TROOPS WOULD MOVE NORTH AT DAWN."
    paragraphs = [
        ParagraphIn(1, 1, "1", "S", True, withheld),
        ParagraphIn(2, 2, "2", "U", True, released),
    ]
    decisions = {
        1: DecisionIn(10, 1, "withhold", label=B1),
        2: DecisionIn(11, 2, "release"),
    }
    assert repeated_in_released(paragraphs, decisions, None)


# -- what stays allowed ------------------------------------------------------------------------


def test_ordinary_words_in_small_letters_still_do_not_repeat_a_redaction():
    p1 = "The station CIA STATION BLUEHERON reported troop movements."
    p2 = "The station chief said the reporting is at www.state.example for all to read."
    assert _check(p1, "CIA STATION BLUEHERON", p2) == []


def test_a_redaction_in_small_letters_of_prose_is_still_not_checked_word_by_word():
    # A reviewer redacting "the northern harbor" does not stop a release that says
    # "the northern harbor" elsewhere: these are ordinary words in mixed-case text.
    p1 = "The talks will move to the northern harbor next week."
    p2 = "Fishing boats left the northern harbor early."
    assert _check(p1, "the northern harbor", p2) == []


def test_hyphenated_compounds_and_addresses_that_name_no_one_withheld_do_not_block():
    p1 = "Defense Minister Oriol Varga told the Ambassador that talks open in June."
    p2 = (
        "A well-\nknown expert wrote to info@harbor.example and cited e.g. the "
        "co-operation accord at https://harbor.example/talks."
    )
    assert _check(p1, "Oriol Varga", p2) == []


def test_common_words_of_an_address_redacted_do_not_block():
    p1 = f"The Minister asked that his private address {EMAIL} be used."
    p2 = "The list of experts is an example for the ministry."
    common = frozenset({"example", "mod"})
    assert _check(p1, EMAIL, p2, common) == []


def test_words_in_other_scripts_that_are_no_withheld_word_do_not_block():
    p1 = "THE SOURCE BLUEHERON REPORTED."
    p2 = "\u041c\u0418\u0414 \u0420\u041e\u0421\u0421\u0418\u0418 " + (
        "\u0421\u041e\u041e\u0411\u0429\u0418\u041b."  # MID ROSSII SOOBSHCHIL
    )
    assert _check(p1, "BLUEHERON", p2) == []


def _long_cable(n: int) -> tuple[list[ParagraphIn], dict[int, DecisionIn]]:
    texts = [
        f"Minister Oriol Varga{i} told the Ambassador at the harbor-\nfront that talks "
        f"on BLU\u0415HERON{i} open in June, per note{i}@mod.example and the minutes." * 6
        for i in range(n)
    ]
    paragraphs = [ParagraphIn(i, i, str(i), "C", True, t) for i, t in enumerate(texts, 1)]
    decisions = {
        i: DecisionIn(100 + i, i, "redact", ((0, 40, B6),))
        if i % 2
        else DecisionIn(100 + i, i, "release")
        for i in range(1, n + 1)
    }
    return paragraphs, decisions


def _seconds(n: int) -> float:
    paragraphs, decisions = _long_cable(n)
    best = float("inf")
    for _ in range(3):
        began = time.perf_counter()
        repeats(paragraphs, decisions, NOTHING)
        best = min(best, time.perf_counter() - began)
    return best


def test_the_check_stays_fast_on_a_long_cable():
    # Against the same check on a quarter of the cable, in the same run (machines differ
    # in speed from day to day): a check comparing every paragraph with every other
    # would take 16 times as long, one growing with the text about 4 times.
    assert _seconds(60) < 10 * _seconds(15)
