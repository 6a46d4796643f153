"""Shapes real archives produce that the existing parser tests do not cover.

Every cable here is invented (fictional posts, people and events) in a shape seen in
archives: bytes and line endings of other systems, archive HTML pages and Markdown
scrapes, 1970s telegram printouts and declassified records, and inputs that are not
cables at all.  Each test states what a careful archivist expects: the classification,
the DECL instruction, the paragraphs with their markings, the reference id, or a clear
error naming the file, the line and the problem.  Thirteen of these shapes were defects
(each test a strict xfail until its fix); all now document shapes that work.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from cables.ingest import CableSource, cables_import
from cables.markings import Level, Marking
from cables.models import Cable
from cables.parsing import ParsedCable, ParseError, parse_cable
from tests.cables.cable_text import telegram

C = Marking(Level.C)
U = Marking(Level.U)
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
OLD_PRINTOUT = SAMPLES / "old_1978_page_headers.txt"

VALDERRA = telegram(post="VALDERRA", serial=77)
BODY = VALDERRA[VALDERRA.index("C O N F I D E N T I A L") :]  # banner down to the end


def marks(parsed: ParsedCable) -> list[tuple[str, str, str]]:
    """(number, effective marking, how it was decided) per paragraph."""
    return [(p.number, str(p.marking), p.source) for p in parsed.paragraphs]


def codes(parsed: ParsedCable) -> set[str]:
    return {w.split(":", 1)[0] for w in parsed.warnings}


EXPECTED_MARKS = [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]


def import_json(capsys: pytest.CaptureFixture[str], *paths: Path) -> dict:
    """Run ``manage.py import_cables --json`` as a person would; its JSON report."""
    try:
        call_command("import_cables", *map(str, paths), "--json", "--workers", "1")
    except SystemExit:
        pass  # exit status 1 when anything failed; the report is what is checked
    return json.loads(capsys.readouterr().out)


# --- 1. bytes, encodings and line endings ------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda t: "\ufeff" + t, id="utf8-bom"),
        pytest.param(lambda t: t.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda t: t.replace("\n", "\r"), id="cr-only"),
        pytest.param(lambda t: "\ufeff" + t.replace("\n", "\r\n"), id="bom-and-crlf"),
        pytest.param(lambda t: t.replace("\n\n2. (U)", "\n\x0c\n2. (U)"), id="form-feed"),
        pytest.param(lambda t: t.replace("1. (C) Summary", "1.\t(C)\tSummary"), id="tabs"),
        pytest.param(lambda t: t.replace("1. (C) Summary", "1.\xa0(C)\xa0Summary"), id="nbsp"),
    ],
)
def test_other_systems_bytes_and_line_endings_read_like_the_plain_cable(variant):
    parsed = parse_cable(variant(VALDERRA), source="in/06VALDERRA77.txt")

    assert parsed.reference_id == "06VALDERRA77"
    assert parsed.classification == C
    assert parsed.decl == "02/10/2016"
    assert marks(parsed) == EXPECTED_MARKS
    assert parsed.paragraphs[0].text == "Summary: the minister said the talks would resume."


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u2060"], ids=["zwsp", "bom", "wj"])
def test_an_invisible_character_before_the_classification_line_is_ignored(invisible):
    head = VALDERRA[: VALDERRA.index("C O N F")]

    parsed = parse_cable(head + invisible + BODY)

    assert parsed.banner == C
    assert parsed.reference_id == "06VALDERRA77"
    assert "NO_BANNER" not in codes(parsed)


@pytest.mark.django_db
def test_importing_a_windows_1252_file_names_the_file_the_line_and_the_byte(tmp_path, capsys):
    path = tmp_path / "06VALDERRA77.txt"
    text = VALDERRA.replace("the talks would resume", "the talks\u2019 timetable held")
    path.write_bytes(text.encode("cp1252"))  # the apostrophe is byte 0x92
    line = text.split("\n").index(next(s for s in text.split("\n") if "\u2019" in s)) + 1

    report = import_json(capsys, path)

    assert report["imported"] == 0
    error = report["failed"][0]["error"]
    assert str(path) in error and "UTF-8" in error
    assert f"{path}:{line}:" in error


@pytest.mark.django_db
def test_a_binary_file_named_txt_is_refused_by_name(tmp_path, capsys):
    path = tmp_path / "06VALDERRA77.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)

    report = import_json(capsys, path)

    assert report["imported"] == 0
    assert str(path) in report["failed"][0]["error"]
    assert "UTF-8" in report["failed"][0]["error"]


@pytest.mark.django_db
def test_a_utf16_file_saved_by_a_windows_editor_is_refused_by_name(tmp_path, capsys):
    path = tmp_path / "06VALDERRA77.txt"
    path.write_bytes(VALDERRA.encode("utf-16"))

    report = import_json(capsys, path)

    assert report["imported"] == 0
    assert str(path) in report["failed"][0]["error"]


@pytest.mark.django_db
def test_the_same_cable_saved_with_windows_line_endings_is_unchanged_not_a_conflict():
    first = cables_import([CableSource(name="mirror-a.txt", text=VALDERRA)], workers=1)
    again = cables_import(
        [CableSource(name="mirror-b.txt", text=VALDERRA.replace("\n", "\r\n"))], workers=1
    )

    assert first.imported == 1
    assert again.conflicts == []
    assert again.unchanged == 1


# --- 2. archive HTML pages ----------------------------------------------------------------


def test_an_archive_pre_block_with_curly_quotes_and_nbsp_entities_is_read():
    page = (
        "<!DOCTYPE html><html><head><title>06VALDERRA77</title></head><body><pre>"
        + html.escape(VALDERRA)
        .replace("the talks would", "the minister&#8217;s talks would")
        .replace("1. (C)", "1.&nbsp;(C)")
        .replace("press reported", "press &amp; radio reported")
        + "</pre></body></html>"
    )

    parsed = parse_cable(page)

    assert parsed.format == "html"
    assert parsed.reference_id == "06VALDERRA77"
    assert marks(parsed) == EXPECTED_MARKS
    assert (
        parsed.paragraphs[0].text
        == "Summary: the minister said the minister\u2019s talks would resume."
    )
    assert parsed.paragraphs[1].text == "The press & radio reported the meeting."


def test_a_page_with_a_metadata_table_scripts_and_paragraphs_in_divs_reads_the_cables_marking():
    rows = "".join(
        f"<tr><th>{k}</th><td>{v}</td></tr>\n"
        for k, v in [
            ("Reference ID", "06VALDERRA77"),
            ("Created", "2006-02-10 15:30"),
            ("Classification", "SECRET//NOFORN"),  # the site's metadata, not the cable's
        ]
    )
    paragraphs = "".join(f"<p>{html.escape(block)}</p>\n" for block in VALDERRA.split("\n\n"))
    page = (
        "<html><head><script>var level = 'SECRET';</script><style>p {margin: 0}</style></head>"
        f"<body><table>{rows}</table><div class='cable'><div>{paragraphs}</div></div></body></html>"
    )

    parsed = parse_cable(page)

    assert parsed.classification == C
    assert parsed.reference_id == "06VALDERRA77"
    assert marks(parsed) == EXPECTED_MARKS


def test_br_separated_lines_without_pre_are_read_as_lines():
    page = "<html><body><div>" + "<br>\n".join(html.escape(s) for s in VALDERRA.split("\n"))
    parsed = parse_cable(page + "</div></body></html>")

    assert parsed.dtg == "101530Z FEB 06"
    assert marks(parsed) == EXPECTED_MARKS


def test_an_archive_page_without_a_cable_is_refused_with_a_named_error():
    page = (
        "<!DOCTYPE html><html><head><title>Not found</title></head><body><nav>"
        "<a href='/'>Home</a> | <a href='/c/secret'>SECRET cables</a></nav>"
        "<p>Sorry, cable 06VALDERRA77 is not in the archive.</p></body></html>"
    )

    with pytest.raises(ParseError) as caught:
        parse_cable(page, source="pages/06VALDERRA77.html")

    assert caught.value.source == "pages/06VALDERRA77.html"
    assert "no classification line" in caught.value.message


SECOND = telegram(
    post="OSTRAVEL",
    serial=88,
    banner="S E C R E T",
    paragraphs=("1. (S) The general asked for aircraft.", "2. (S/NF) Our assessment."),
)


@pytest.mark.parametrize(
    "joined",
    [
        pytest.param(VALDERRA + "\n\n" + SECOND, id="text"),
        pytest.param(
            f"<html><body><pre>{html.escape(VALDERRA)}</pre><hr>"
            f"<pre>{html.escape(SECOND)}</pre></body></html>",
            id="html",
        ),
    ],
)
def test_a_file_holding_two_cables_is_refused_or_reported(joined):
    try:
        parsed = parse_cable(joined, source="dump.txt")
    except ParseError as error:
        assert "OSTRAVEL" in error.message or error.line is not None
        return
    assert any("OSTRAVEL" in w for w in parsed.warnings)


# --- 3. Markdown scrapes ------------------------------------------------------------------

# An HTML-to-Markdown converter escapes "1." at a line start (it would become a list)
# and bolds the field labels; no heading, link or code fence.
CONVERTED_MD = (
    BODY.replace("1. (C)", "1\\. (C)")
    .replace("2. (U)", "2\\. (U)")
    .replace("3. (C)", "3\\. (C)")
    .replace("TAGS:", "**TAGS:**")
    .replace("SUBJECT:", "**SUBJECT:**")
)


@pytest.mark.django_db
def test_a_converted_markdown_scrape_without_headings_or_links_is_read_as_markdown(
    tmp_path, capsys
):
    path = tmp_path / "06VALDERRA77.md"
    path.write_text(CONVERTED_MD, encoding="utf-8")

    report = import_json(capsys, path)

    assert report["imported"] == 1, report
    cable = Cable.objects.get(reference_id="06VALDERRA77")
    assert cable.subject == "EXAMPLE TALKS RESUME"
    assert cable.tags == ["PREL", "PGOV", "XX"]
    stored = list(cable.paragraphs.order_by("ordinal").values_list("number", "level", "explicit"))
    assert stored == [("1", Level.C, True), ("2", Level.U, True), ("3", Level.C, True)]


def test_markdown_with_front_matter_a_heading_and_escapes_is_read():
    doc = (
        "---\ntitle: '06VALDERRA77: EXAMPLE TALKS RESUME'\nclassification: SECRET\n---\n\n"
        "# 06VALDERRA77\n\n" + CONVERTED_MD.replace("would resume", "would \\*resume\\*")
    )

    parsed = parse_cable(doc)

    assert parsed.format == "markdown"
    assert parsed.classification == C  # the front matter's SECRET is the site's, not the cable's
    assert parsed.subject == "EXAMPLE TALKS RESUME"
    assert marks(parsed) == EXPECTED_MARKS
    assert parsed.paragraphs[0].text == "Summary: the minister said the talks would *resume*."


def test_markdown_list_markers_before_paragraph_numbers_are_dropped():
    doc = "# Cable 06VALDERRA77\n\n" + BODY.replace("1. (C)", "- 1\\. (C)").replace(
        "2. (U)", "- 2\\. (U)"
    ).replace("3. (C)", "- 3\\. (C)")

    parsed = parse_cable(doc)

    assert marks(parsed) == EXPECTED_MARKS
    assert parsed.paragraphs[0].text == "Summary: the minister said the talks would resume."
    assert "UNMARKED_PORTION" not in codes(parsed)


# --- 4. telegram shapes -------------------------------------------------------------------


def test_subj_fields_in_another_order_and_a_wrapped_subject_are_read():
    text = VALDERRA.replace(
        "E.O. 12958: DECL: 02/10/2016\nTAGS: PREL PGOV XX\nSUBJECT: (C) EXAMPLE TALKS RESUME",
        "SUBJ: (C) EXAMPLE TALKS RESUME AFTER A LONG PAUSE AND\n     THE MINISTER PROMISES MORE\n"
        "TAGS: PREL PGOV XX\nE.O. 12958: DECL: 02/10/2016",
    )

    parsed = parse_cable(text)

    assert parsed.subject == (
        "EXAMPLE TALKS RESUME AFTER A LONG PAUSE AND THE MINISTER PROMISES MORE"
    )
    assert (parsed.executive_order, parsed.decl) == ("12958", "02/10/2016")
    assert parsed.tags == ["PREL", "PGOV", "XX"]
    assert marks(parsed) == EXPECTED_MARKS


def test_a_cable_without_subject_or_tags_keeps_its_marks():
    parsed = parse_cable(
        VALDERRA.replace("TAGS: PREL PGOV XX\nSUBJECT: (C) EXAMPLE TALKS RESUME\n", "")
    )

    assert (parsed.subject, parsed.tags) == (None, [])
    assert marks(parsed) == EXPECTED_MARKS


@pytest.mark.parametrize(
    "shape",
    [
        ("1. ( C )", "2. ( U )", "3. ( C )"),
        ("1. (c)", "2. (u)", "3. (c)"),
        ("1.(C)", "2.(U)", "3.(C)"),
    ],
    ids=["spaced", "lower-case", "no-space"],
)
def test_portion_marks_with_spaces_or_in_lower_case_are_read(shape):
    paragraphs = (f"{shape[0]} First.", f"{shape[1]} Second.", f"{shape[2]} Third.")

    parsed = parse_cable(telegram(paragraphs=paragraphs))

    assert marks(parsed) == EXPECTED_MARKS


def test_lettered_sub_paragraphs_carry_their_own_marks():
    parsed = parse_cable(
        telegram(paragraphs=("1. (C) Two points:", "A. (C) one.", "B. (U) two.", "2. (U) Press."))
    )

    assert marks(parsed) == [
        ("1", "C", "portion"),
        ("A", "C", "portion"),
        ("B", "U", "portion"),
        ("2", "U", "portion"),
    ]


def test_para_n_markers_are_paragraph_markers():
    parsed = parse_cable(
        telegram(paragraphs=("PARA 1. (C) First.", "PARA 2. (U) Second.", "PARA 3. (C) Third."))
    )

    assert marks(parsed) == EXPECTED_MARKS
    assert [p.text for p in parsed.paragraphs] == ["First.", "Second.", "Third."]


def test_a_mark_written_before_the_number_keeps_both():
    parsed = parse_cable(telegram(paragraphs=("(C) 1. First.", "(U) 2. Second.", "(C) 3. Third.")))

    assert marks(parsed) == EXPECTED_MARKS
    assert parsed.paragraphs[0].text == "First."


def test_an_sbu_noforn_mark_written_with_double_slashes_is_read():
    parsed = parse_cable(
        telegram(paragraphs=("1. (C) First.", "2. (SBU//NF) Visa figures.", "3. (C) Third."))
    )

    assert parsed.paragraphs[1].marking == Marking(Level.U, ("SBU", "NOFORN"))
    assert parsed.paragraphs[1].explicit


@pytest.mark.parametrize(
    ("line", "decl"), [("E.O. 11652: GDS", "GDS"), ("E.O. 11652: XGDS-1", "XGDS-1")]
)
def test_1970s_general_declassification_schedule_lines_are_read(line, decl):
    parsed = parse_cable(telegram(year=1975, decl=line))

    assert (parsed.executive_order, parsed.decl) == ("11652", decl)
    assert parsed.reference_id == "75EXAMPLETOWN123"


OLD_TELEGRAM = """P 101530Z FEB 76
FM AMEMBASSY VALDERRA
TO SECSTATE WASHDC 1234
BT
{banner}
E.O. 11652: GDS
TAGS: PFOR VD
SUBJECT: FOREIGN MINISTER ON TALKS

1. FOREIGN MINISTER TOLD AMBASSADOR TALKS WOULD RESUME IN MARCH.

2. HE ASKED FOR OUR SUPPORT.

KARNER
{end}
"""


@pytest.mark.parametrize(
    "stamp",
    [
        "DECLASSIFIED\nAuthority NND 969000\nBy AR NARA Date 5/1/2006",
        "Declassified/Released US Department of State EO Systematic Review 30 JUN 2005",
        "DECAPTIONED",
    ],
    ids=["nara-authority", "state-review", "decaptioned"],
)
def test_declassification_stamps_below_the_banner_leave_the_header_intact(stamp):
    banner = f"C O N F I D E N T I A L VALDERRA 1234\n{stamp}"

    parsed = parse_cable(OLD_TELEGRAM.format(banner=banner, end="BT\n#1234\nNNNN"))

    assert parsed.reference_id == "76VALDERRA1234"
    assert (parsed.executive_order, parsed.decl) == ("11652", "GDS")
    assert parsed.subject == "FOREIGN MINISTER ON TALKS"
    assert [(p.number, str(p.marking)) for p in parsed.paragraphs] == [("1", "C"), ("2", "C")]
    assert parsed.signature == "KARNER"


def test_a_declassified_per_eo_stamp_is_a_note_not_the_cables_eo_line():
    banner = "C O N F I D E N T I A L VALDERRA 1234\nDECLASSIFIED PER E.O. 12958, AS AMENDED"

    parsed = parse_cable(OLD_TELEGRAM.format(banner=banner, end=""))

    assert (parsed.executive_order, parsed.decl) == ("11652", "GDS")
    assert any("AS AMENDED" in note for note in parsed.declassification_notes)


def test_an_nnn_end_of_message_line_is_not_the_signature():
    banner = "C O N F I D E N T I A L VALDERRA 1234"

    parsed = parse_cable(OLD_TELEGRAM.format(banner=banner, end="\nCONFIDENTIAL\n\nNNN"))

    assert parsed.signature == "KARNER"
    assert parsed.paragraphs[-1].text == "HE ASKED FOR OUR SUPPORT."


def test_a_classification_line_only_after_the_text_gives_the_level():
    parsed = parse_cable(OLD_TELEGRAM.format(banner="", end="BT\n#1234\nNNNN\nCONFIDENTIAL"))

    assert parsed.classification == C
    assert [str(p.marking) for p in parsed.paragraphs] == ["C", "C"]


def test_form_feeds_before_page_headers_of_a_printout_change_nothing():
    text = OLD_PRINTOUT.read_text(encoding="utf-8")

    plain = parse_cable(text)
    fed = parse_cable(text.replace("\nPAGE ", "\n\x0cPAGE "))

    assert [p.text for p in fed.paragraphs] == [p.text for p in plain.paragraphs]


# --- 5. absurd inputs ---------------------------------------------------------------------


def test_a_cable_that_is_only_its_header_is_kept_and_flagged():
    parsed = parse_cable(VALDERRA[: VALDERRA.index("Classified By")])

    assert parsed.reference_id == "06VALDERRA77"
    assert parsed.paragraphs == []
    assert "NO_PARAGRAPHS" in codes(parsed)


@pytest.mark.django_db
def test_a_5_mb_file_is_refused_unread_by_name(tmp_path, capsys):
    path = tmp_path / "06VALDERRA77.txt"
    filler = "\n\n".join(f"{n}. (C) " + "The talks went on. " * 250 for n in range(2, 1200))
    path.write_text(VALDERRA + filler, encoding="utf-8")
    assert path.stat().st_size > 5_000_000

    report = import_json(capsys, path)

    assert report["imported"] == 0
    assert str(path) in report["failed"][0]["error"]
    assert "over the limit" in report["failed"][0]["error"]


def test_a_two_megabyte_line_parses_quickly_and_keeps_its_marks():
    parsed = parse_cable(telegram(paragraphs=("1. (C) " + "word " * 400_000, "2. (U) Short.")))

    assert [str(p.marking) for p in parsed.paragraphs] == ["C", "U"]
