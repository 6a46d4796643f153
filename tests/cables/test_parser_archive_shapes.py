"""Archive shapes around the edges of the unseen-shapes fixes: what each fix decides
beyond the review's own tests (tests/cables/test_parser_unseen_shapes.py).

A second cable in one file is refused, but a cable quoting another is not; a bare
level line after the text gives the level only when nothing else does; Markdown is
known by an escaped paragraph number, and only a converter's list markers go;
invisible characters and page feeds are dropped without moving line numbers; a
file that is not UTF-8 is named with its line on every way in; the same cable with
other line endings is unchanged, another text still a conflict.
"""

from __future__ import annotations

import io

import pytest

from cables.ingest import CableSource, cables_import
from cables.markings import Level, Marking
from cables.models import Cable
from cables.parsing import ParseError, parse_cable
from cables.parsing.normalize import detect_format, to_lines
from cables.uploads import upload_source
from tests.cables.cable_text import telegram

VALDERRA = telegram(post="VALDERRA", serial=77)
BODY = VALDERRA[VALDERRA.index("C O N F I D E N T I A L") :]
EXPECTED_MARKS = [("1", "C"), ("2", "U"), ("3", "C")]


def marks(parsed) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(p.number, str(p.marking)) for p in parsed.paragraphs]


def codes(parsed) -> set[str]:  # type: ignore[no-untyped-def]
    return {w.split(":", 1)[0] for w in parsed.warnings}


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# --- two cables in one file ----------------------------------------------------------------

OSTRAVEL = telegram(post="OSTRAVEL", serial=88, banner="S E C R E T")


def test_a_second_cable_is_refused_at_its_classification_line():
    joined = VALDERRA + "\n" + OSTRAVEL

    with pytest.raises(ParseError) as caught:
        parse_cable(joined, source="dump.txt")

    assert caught.value.source == "dump.txt"
    assert caught.value.line == line_of(joined, "S E C R E T OSTRAVEL")
    assert "second cable" in caught.value.message and "OSTRAVEL" in caught.value.message


def test_a_second_cable_right_below_its_routing_lines_is_refused():
    second = OSTRAVEL.replace(
        "EUROPEAN POLITICAL COLLECTIVE\n\n", "EUROPEAN POLITICAL COLLECTIVE\n"
    )
    joined = VALDERRA + "\nNNNN\n" + second

    with pytest.raises(ParseError) as caught:
        parse_cable(joined, source="dump.txt")

    assert caught.value.line == line_of(joined, "S E C R E T OSTRAVEL")


def test_a_paragraph_quoting_another_cables_classification_line_is_not_a_second_cable():
    text = telegram(
        post="VALDERRA",
        serial=77,
        paragraphs=(
            "1. (C) Our report, sent as\nC O N F I D E N T I A L VALDERRA 000061\nstands.",
            "2. (U) REF A:\nS E C R E T OSTRAVEL 000088\nTAGS: PREL was the wrong tag.",
        ),
    )

    parsed = parse_cable(text)

    assert parsed.reference_id == "06VALDERRA77"
    assert [p.number for p in parsed.paragraphs] == ["1", "2"]
    assert "VALDERRA 000061" in parsed.paragraphs[0].text


def test_a_repeated_cable_quoted_whole_with_its_header_is_not_a_second_cable():
    quoted = OSTRAVEL[OSTRAVEL.index("S E C R E T") :].replace("(S)", "(C)")
    text = telegram(
        post="VALDERRA",
        serial=77,
        paragraphs=("1. (C) Following repeated for your information. QUOTE", quoted + "UNQUOTE"),
    )

    parsed = parse_cable(text)

    assert parsed.reference_id == "06VALDERRA77"
    assert parsed.paragraphs[0].marking == Marking(Level.C)


def test_the_pages_and_sections_of_one_cable_are_not_a_second_cable():
    page = "\n\nC O N F I D E N T I A L SECTION 02 OF 02 VALDERRA 000077\n\nSIPDIS\n\n"
    text = VALDERRA.replace("\n\n2. (U)", page + "2. (U)")

    parsed = parse_cable(text)

    assert marks(parsed) == EXPECTED_MARKS


# --- a classification line only after the text ----------------------------------------------

TOPLESS = """E.O. 11652: GDS
TAGS: PFOR VD
SUBJECT: FOREIGN MINISTER ON TALKS

1. FOREIGN MINISTER TOLD AMBASSADOR TALKS WOULD RESUME IN MARCH.

2. HE ASKED FOR OUR SUPPORT.

KARNER
{end}
"""


def test_a_trailing_level_line_gives_the_level_with_a_warning_naming_its_line():
    text = TOPLESS.format(end="BT\n#1234\nNNNN\nSECRET//NOFORN")

    parsed = parse_cable(text)

    assert parsed.classification == Marking(Level.S, ("NOFORN",))
    assert [str(p.marking) for p in parsed.paragraphs] == ["S//NF", "S//NF"]
    [warning] = [w for w in parsed.warnings if w.startswith("NO_BANNER")]
    assert f"line {line_of(text, 'SECRET//NOFORN')}" in warning
    assert "after the text" in warning


def test_portion_marks_win_over_a_trailing_level_line():
    text = TOPLESS.format(end="CONFIDENTIAL").replace("1. FOREIGN", "1. (S) FOREIGN")

    parsed = parse_cable(text)

    assert parsed.classification.level == Level.S
    assert any("comes from the portion marks" in w for w in parsed.warnings)


def test_a_level_line_far_above_the_end_is_not_a_trailer():
    text = TOPLESS.format(end="") + "\n".join(f"{n}. MORE TEXT." for n in range(3, 10))
    text = text.replace("KARNER", "CONFIDENTIAL\n\nKARNER")

    with pytest.raises(ParseError) as caught:
        parse_cable(text, source="extract.txt")

    assert "no classification line" in caught.value.message


def test_a_word_in_the_last_lines_that_starts_like_a_level_is_not_a_trailer():
    with pytest.raises(ParseError):
        parse_cable(TOPLESS.format(end="Secret talks continue"), source="extract.txt")


# --- Markdown -------------------------------------------------------------------------------


def test_an_escaped_number_only_in_mid_line_does_not_make_text_markdown():
    assert detect_format(VALDERRA.replace("the talks", "talks 1\\. and 2\\.")) == "text"
    assert detect_format(BODY.replace("2. (U)", "2\\. (U)")) == "markdown"
    assert detect_format(BODY.replace("2. (U)", "\u00b62\\. (U)")) == "markdown"


def test_a_markdown_bullet_that_is_no_paragraph_marker_keeps_its_dash():
    doc = BODY.replace("1. (C)", "1\\. (C)").replace(
        "we expect little progress.", "we expect little progress:\n- the talks stall"
    )

    parsed = parse_cable(doc)

    assert parsed.format == "markdown"
    assert parsed.paragraphs[2].text.endswith("progress:\n- the talks stall End comment.")


def test_list_markers_before_lettered_and_unnumbered_marks_are_dropped():
    lines = to_lines("1\\. (C) Two points:\n- A\\. (C) one.\n* (U) two.\n\\- kept", "markdown")

    assert lines == ["1. (C) Two points:", "A. (C) one.", "(U) two.", "- kept"]


# --- invisible characters and page feeds ----------------------------------------------------


@pytest.mark.parametrize("invisible", ["\u200b", "\u00ad", "\u200d", "\ufeff"])
def test_an_invisible_character_before_a_paragraph_marker_is_dropped(invisible):
    parsed = parse_cable(VALDERRA.replace("2. (U)", invisible + "2. (U)"))

    assert marks(parsed) == EXPECTED_MARKS
    assert "UNMARKED_PORTION" not in codes(parsed)


def test_an_invisible_character_written_as_an_entity_is_dropped():
    page = "<html><body><pre>" + VALDERRA.replace("C O N F", "&#8203;C O N F") + "</pre>"

    parsed = parse_cable(page)

    assert parsed.reference_id == "06VALDERRA77"


def test_page_feeds_keep_line_numbers_and_are_whitespace_in_mid_line():
    fed = VALDERRA.replace("\n\n2. (U)", "\n\x0c\n\x0c2. (U)").replace(
        "the talks would", "the talks\x0cwould"
    )

    parsed = parse_cable(fed)
    plain = parse_cable(VALDERRA)

    assert [p.line for p in parsed.paragraphs] == [p.line for p in plain.paragraphs]
    assert parsed.paragraphs[0].text == "Summary: the minister said the talks would resume."


# --- encodings on every way in --------------------------------------------------------------


def test_a_windows_1252_file_read_for_import_names_its_line(tmp_path):
    path = tmp_path / "06VALDERRA77.txt"
    text = VALDERRA.replace("press reported", "press\u2019 reported")
    path.write_bytes(text.encode("cp1252"))

    with pytest.raises(ParseError) as caught:
        CableSource(name=str(path), path=path).read()

    assert caught.value.line == line_of(text, "press\u2019")
    assert "0x92" in caught.value.message


class _Upload(io.BytesIO):
    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name, self.size = name, len(data)


def test_an_uploaded_windows_1252_file_names_its_line():
    text = VALDERRA.replace("press reported", "press\u2019 reported")

    error = upload_source(_Upload("latin.txt", text.encode("cp1252")))

    assert isinstance(error, ParseError)
    assert str(error).startswith(f"latin.txt:{line_of(text, 'press')}: not UTF-8 text")


# --- the same cable saved again -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "again"),
    [
        pytest.param(VALDERRA.replace("\n", "\r\n"), VALDERRA, id="crlf-stored-lf-again"),
        pytest.param(VALDERRA, "\ufeff" + VALDERRA, id="bom-again"),
        pytest.param(VALDERRA, VALDERRA.replace("\n", "\r"), id="cr-again"),
    ],
)
def test_other_line_endings_are_unchanged_and_the_stored_hash_stays(first, again):
    cables_import([CableSource(name="a.txt", text=first)], workers=1)
    stored = Cable.objects.values_list("sha256", "raw_text").get()

    report = cables_import([CableSource(name="b.txt", text=again)], workers=1)

    assert (report.unchanged, report.conflicts) == (1, [])
    assert Cable.objects.values_list("sha256", "raw_text").get() == stored


@pytest.mark.django_db
def test_other_text_with_other_line_endings_is_still_a_conflict():
    cables_import([CableSource(name="a.txt", text=VALDERRA)], workers=1)
    changed = VALDERRA.replace("resume", "stall").replace("\n", "\r\n")

    report = cables_import([CableSource(name="b.txt", text=changed)], workers=1)

    assert report.unchanged == 0
    assert [c["reference_id"] for c in report.conflicts] == ["06VALDERRA77"]


@pytest.mark.django_db
def test_the_same_cable_twice_in_one_import_with_other_line_endings_is_unchanged():
    report = cables_import(
        [
            CableSource(name="a.txt", text=VALDERRA),
            CableSource(name="b.txt", text=VALDERRA.replace("\n", "\r\n")),
        ],
        workers=1,
    )

    assert (report.imported, report.unchanged, report.conflicts) == (1, 1, [])
