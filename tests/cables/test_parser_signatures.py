"""The signer's name at the end of a cable, in shapes the shared corpus shows.

Each sample is written for the project in the shape of a real ending: a
declassification-schedule line ("GP-3") over the name, an embassy's "Visit ...
Classified Website" footer before the name (on its line or the next), a stray
line of ">" or '"' under the name, a mixed-case "Nnnn" end-of-message mark, a
surname alone after a mixed-case last sentence's full stop, and a bottom page
marking that differs from the banner.
"""

from __future__ import annotations

from cables.parsing import ParsedCable, parse_cable
from tests.cables.cable_text import telegram

LAST = "3. (C) Comment: we expect little progress. End comment."


def ending(tail: str, *, last: str = LAST, banner: str = "C O N F I D E N T I A L") -> ParsedCable:
    """A cable whose last paragraph ``last`` is followed by ``tail`` instead of "DOE"."""
    paragraphs = ("1. (C) Summary: the minister said the talks would resume.", last)
    text = telegram(paragraphs=paragraphs, banner=banner)
    assert text.endswith(f"{last}\n\nDOE\n")
    return parse_cable(text[: -len("DOE\n")] + tail)


# --- 1. a declassification-schedule line over the name -------------------------------------


def test_the_name_under_a_gp_schedule_line_is_the_signature():
    parsed = ending("GP-3\nROE\n")

    assert parsed.signature == "ROE"
    assert parsed.paragraphs[-1].text.endswith("GP-3")


# --- 2. an embassy's classified-website footer before the name ---------------------------


def test_the_name_on_the_line_after_a_classified_website_footer_is_the_signature():
    last = f"{LAST}  Visit Exampletown's Classified Website: XXXXXXXXXXXX"
    parsed = ending("", last=f"{last}\nROE")

    assert parsed.signature == "ROE"
    assert parsed.paragraphs[-1].text == last[len("3. (C) ") :]


def test_the_name_on_the_line_after_a_classified_website_address_is_the_signature():
    footer = "Visit Exampletown's Classified Website: http://www.example.sgov/wiki/Portal:Ex ample"
    parsed = ending(f"{footer}\nRoe\n")

    assert parsed.signature == "Roe"
    assert parsed.paragraphs[-1].text.endswith("Portal:Ex ample")


def test_the_name_after_the_redacted_classified_website_on_its_line_is_the_signature():
    last = f"{LAST} Visit Exampletown's Classified Website: XXXXXXXXXXXX"
    for glue in (" ", ""):
        parsed = ending("", last=f"{last}{glue}ROE")

        assert parsed.signature == "ROE"
        assert parsed.paragraphs[-1].text == last[len("3. (C) ") :]


def test_a_word_after_an_unredacted_classified_website_address_is_not_a_signature():
    last = f"{LAST} Visit Exampletown's Classified Website: http://www.example.sgov/Portal"
    parsed = ending("", last=last)

    assert parsed.signature is None


# --- 3. a stray line of ">" or '"' under the name ------------------------------------------


def test_the_name_over_a_line_of_only_a_quote_or_angle_bracket_is_the_signature():
    for noise in (">", '"', ' " '):
        parsed = ending(f"ROE\n{noise}\n")

        assert parsed.signature == "ROE", noise
        assert parsed.paragraphs[-1].text.endswith("End comment."), noise


def test_a_closing_quote_line_without_a_name_above_stays_in_the_text():
    parsed = ending('"\n', last=f'{LAST[:-1]} "We will see.\n')

    assert parsed.signature is None
    assert parsed.paragraphs[-1].text.endswith('"')


# --- 4. a mixed-case end-of-message mark ---------------------------------------------------


def test_a_mixed_case_nnnn_after_the_name_ends_the_message():
    parsed = ending("Roe\n\n\nNnnn\n")

    assert parsed.signature == "Roe"
    assert "Nnnn" not in parsed.paragraphs[-1].text


# --- 5. a surname alone after a mixed-case last sentence --------------------------------


def test_a_capitalised_surname_after_the_last_sentences_full_stop_is_the_signature():
    last = "3. (C) Comment: the minister expects a bridge over the canal by spring. Roe"
    parsed = ending("", last=last)

    assert parsed.signature == "Roe"


def test_a_capitalised_closing_word_after_the_last_sentence_is_not_a_signature():
    for word in ("Thanks", "Regards", "Ends"):
        parsed = ending("", last=f"3. (C) Comment: we expect little progress. {word}")

        assert parsed.signature is None, word


def test_a_capitalised_word_after_a_paragraph_number_alone_is_not_a_signature():
    parsed = ending("\u00b63. Roe\n", last="3. (C) Post requests guidance on paragraph")

    assert parsed.signature is None


# --- 6. a bottom page marking that differs from the banner -------------------------------


def test_a_bottom_marking_with_a_control_under_the_name_does_not_hide_the_signature():
    """Taken out as a page line, compared with the cable's marking: the control it adds
    stays in sight as a warning."""
    parsed = ending("ROE\n\nCONFIDENTIAL//NOFORN\n")

    assert parsed.signature == "ROE"
    assert parsed.paragraphs[-1].text.endswith("End comment.")
    assert any(
        w.startswith("PAGE_MARKING_MISMATCH") and "NOFORN not on the cable" in w
        for w in parsed.warnings
    )


def test_a_bottom_marking_the_cable_carries_gives_no_warning():
    parsed = ending("ROE\n\nSECRET//NOFORN\n", banner="S E C R E T", last="2. (S//NF) End comment.")

    assert parsed.signature == "ROE"
    assert str(parsed.classification) == "S//NF"
    assert not [w for w in parsed.warnings if w.startswith("PAGE_MARKING_MISMATCH")]
