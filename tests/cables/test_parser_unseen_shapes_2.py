"""More shapes of real cables from other sources than the dev corpus.

A second review, as an archivist feeding the parser public cables from other
archives: sub-paragraph and bullet marks, paragraph numbers written other ways
("2 . (C)", "2) (C)", "II. (S)"), Markdown scrapes (a cable quoted in a blockquote,
fenced, around metadata tables, keeping <br> tags), an archive page with only the
header in <pre>, a mirror's mojibake ("Â¶1."), a classification line as OCR reads it,
the declassification line of an amended order, on a line of its own or glued to the
Classified By line, and 1970s telegrams as the State Department's reading room,
FOIA releases and NARA's AAD print them (page headers split over two lines, review
stamps at page breaks, a later section, NOFORN written out, the record after "NNN",
no blank line below the subject).  Each test was a strict xfail until its fix, except
the guards that check a look-alike is left alone.  Every cable here is invented (a
fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

import html

import pytest

from cables.markings import Level, Marking
from cables.parsing import ParsedCable, ParseError, parse_cable
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import telegram


def marks(parsed: ParsedCable) -> list[tuple[str, str, str]]:
    """(number, effective marking, how it was decided) per paragraph."""
    return [(p.number, str(p.marking), p.source) for p in parsed.paragraphs]


def body_cable(*paragraphs: str, banner: str = "C O N F I D E N T I A L") -> ParsedCable:
    return parse_cable(telegram(post="VALDERRA", serial=77, banner=banner, paragraphs=paragraphs))


# --- sub-paragraphs and bullets with marks of their own ------------------------------------


def test_numbered_sub_paragraphs_in_parentheses_carry_their_own_marks():
    parsed = body_cable(
        "1. (C) The minister listed three demands:",
        "(1) (S) a secret annex on the border;",
        "(2) (U) a public joint statement.",
        "2. (U) The press reported the meeting.",
    )
    assert marks(parsed) == [
        ("1", "C", "portion"),
        ("(1)", "S", "portion"),
        ("(2)", "U", "portion"),
        ("2", "U", "portion"),
    ]
    assert texts(parsed)[1:3] == ["a secret annex on the border;", "a public joint statement."]
    assert parsed.classification == Marking(Level.S)


@pytest.mark.parametrize("dash", ["--", "-"])
def test_a_bullet_marked_above_its_paragraph_raises_the_paragraph_and_the_cable(dash):
    # Bullets stay in their paragraph (as the talking points of real cables are read),
    # but their text is the paragraph's: a "(S)" bullet makes a "(C)" paragraph SECRET.
    parsed = body_cable(
        "1. (C) The minister raised two points:\n"
        f"{dash} (S) a secret annex on the border;\n"
        f"{dash} (U) a public joint statement.",
        "2. (U) The press reported the meeting.",
    )
    assert marks(parsed) == [("1", "S", "portion"), ("2", "U", "portion")]
    assert texts(parsed)[0] == (
        "The minister raised two points:\n"
        f"{dash} (S) a secret annex on the border;\n"
        f"{dash} (U) a public joint statement."
    )
    assert parsed.paragraphs[0].portion_mark == "(C)"
    assert parsed.classification == Marking(Level.S)
    assert any(w.startswith("BULLET_ABOVE_PARAGRAPH: paragraph 1:") for w in parsed.warnings)


def test_bullets_marked_at_or_below_their_paragraph_change_nothing_but_add_controls():
    parsed = body_cable(
        "1. (S) The minister raised two points:\n-- (S/NF) the annex;\n-- (C) the statement.",
        "2. (U) The press reported the meeting.",
        banner="S E C R E T",
    )
    assert marks(parsed) == [("1", "S", "portion"), ("2", "U", "portion")]
    assert parsed.classification == Marking(Level.S, ("NOFORN",))
    assert not any(w.startswith("BULLET_ABOVE_PARAGRAPH") for w in parsed.warnings)


@pytest.mark.parametrize(
    "items",
    ["-- (ABC) the ruling party;\n-- (DEF) the other.", "-- (A) one;\n-- (B) two;\n-- (C) three."],
    ids=["no-mark", "lettered-list"],
)
def test_a_dash_before_a_parenthesis_that_is_no_mark_is_prose(items):
    parsed = body_cable(
        f"1. (U) The minister listed the parties:\n{items}",
        "2. (U) The press reported the meeting.",
        banner="UNCLASSIFIED",
    )
    assert marks(parsed) == [("1", "U", "portion"), ("2", "U", "portion")]
    assert texts(parsed)[0].endswith(items)
    assert not any(w.startswith("BULLET_ABOVE_PARAGRAPH") for w in parsed.warnings)


# --- a paragraph number written apart from its period --------------------------------------


def test_a_space_between_the_number_and_its_period_still_starts_a_paragraph():
    parsed = body_cable(
        "1 . (C) The minister said the talks would resume.",
        "2 . (S) He named the envoy.",
        "3 . (U) The press reported the meeting.",
    )
    assert marks(parsed) == [("1", "C", "portion"), ("2", "S", "portion"), ("3", "U", "portion")]
    assert texts(parsed) == [
        "The minister said the talks would resume.",
        "He named the envoy.",
        "The press reported the meeting.",
    ]
    assert parsed.classification == Marking(Level.S)


# --- a Markdown scrape quoting the whole cable ---------------------------------------------

QUOTED = """## 06VALDERRA77: talks resume

> C O N F I D E N T I A L VALDERRA 000077
>
> SIPDIS
>
> E.O. 12958: DECL: 02/10/2016
> TAGS: PREL PGOV XX
> SUBJECT: (C) TALKS RESUME
>
> Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)
>
> 1. (C) The minister said the talks would resume.
>
> 2. (S/NF) He named the envoy.
>
> 3. (U) The press reported the meeting.
>
> DOE
"""


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_a_cable_quoted_whole_in_a_markdown_blockquote_is_read(newline):
    parsed = parse_cable(QUOTED.replace("\n", newline))
    assert parsed.format == "markdown"
    assert parsed.banner_line == "C O N F I D E N T I A L VALDERRA 000077"
    assert (parsed.decl, parsed.subject, parsed.tags) == (
        "02/10/2016",
        "TALKS RESUME",
        ["PREL", "PGOV", "XX"],
    )
    assert parsed.classified_by == "DCM Jane Doe"
    assert marks(parsed) == [
        ("1", "C", "portion"),
        ("2", "S//NF", "portion"),
        ("3", "U", "portion"),
    ]
    assert texts(parsed) == [
        "The minister said the talks would resume.",
        "He named the envoy.",
        "The press reported the meeting.",
    ]
    assert parsed.signature == "DOE"


def test_a_telegram_with_a_few_quoted_lines_stays_text():
    text = telegram(
        post="VALDERRA",
        serial=77,
        paragraphs=("1. (C) He wrote:\n> we agree\n> to talk", "2. (U) The press reported it."),
    )
    parsed = parse_cable(text)
    assert parsed.format == "text"
    assert texts(parsed)[0] == "He wrote:\n> we agree\n> to talk"


# --- the declassification line of an amended order, or on a line of its own ----------------


@pytest.mark.parametrize(
    "line",
    [
        "E.O. 12958 AS AMENDED: DECL: 03/10/2015",
        "E.O. 12958, as amended: DECL: 03/10/2015",
        "E.O. 12958 (AS AMENDED): DECL: 03/10/2015",
        "E.O. 12958 AS AMENDED BY E.O. 13292: DECL: 03/10/2015",
    ],
)
def test_the_decl_of_an_order_written_as_amended_is_the_date_alone(line):
    parsed = parse_cable(telegram(post="VALDERRA", serial=77, decl=line))
    assert (parsed.executive_order, parsed.decl) == ("12958", "03/10/2015")
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]


def test_a_release_stamp_after_as_amended_is_kept_as_written():
    # A declassified record's stamp in place of the DECL (as in the declassified corpus).
    parsed = parse_cable(
        telegram(
            post="VALDERRA", serial=77, decl="E.O. 12958: AS AMENDED; DECLASSIFIED JUNE 21, 2006"
        )
    )
    assert parsed.decl == "AS AMENDED; DECLASSIFIED JUNE 21, 2006"


@pytest.mark.parametrize("decl", ["DECL: 20350101", "DECL: 50X1-HUM", "DECL: OADR"])
def test_a_decl_line_of_its_own_below_classified_by_is_the_instruction(decl):
    text = telegram(post="VALDERRA", serial=77, decl="E.O. 13526").replace(
        "Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)\n",
        f"CLASSIFIED BY: DCM JANE DOE, REASONS 1.4 (B) AND (D)\n{decl}\n",
    )
    parsed = parse_cable(text)
    assert parsed.executive_order == "13526"
    assert parsed.decl == decl.split(": ", 1)[1]
    assert (parsed.classified_by, parsed.reasons) == ("DCM JANE DOE", ["1.4(b)", "1.4(d)"])
    assert not any(w.startswith("MISSING_DECL") for w in parsed.warnings)
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]


def test_a_decl_line_below_a_classified_by_without_reasons_is_the_instruction():
    text = telegram(post="VALDERRA", serial=77, decl="E.O. 12356").replace(
        "Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)\n",
        "CLASSIFIED BY: DCM JANE DOE\nDECL: OADR\n",
    )
    parsed = parse_cable(text)
    assert (parsed.classified_by, parsed.decl) == ("DCM JANE DOE", "OADR")


# --- a Markdown scrape's metadata tables and footer around the cable -----------------------

CABLE = telegram(post="VALDERRA", serial=77)
METADATA_TABLE = (
    "| Field | Value |\n|---|---|\n| Reference | 06VALDERRA77 |\n| Classification | SECRET |\n"
)


def test_a_fenced_cable_is_read_without_the_scrapes_table_and_footer_around_it():
    doc = (
        f"# 06VALDERRA77\n\n**Date:** 2006-02-10\n\n```\n{CABLE}```\n\n---\n\n"
        f"**Metadata**\n\n{METADATA_TABLE}\nScraped from an archive mirror.\n"
    )
    parsed = parse_cable(doc)
    assert parsed.format == "markdown"
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]
    assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."
    assert parsed.signature == "DOE"
    assert parsed.classification == Marking(Level.C)


def test_a_scrape_with_metadata_tables_is_markdown_and_its_tables_are_not_paragraphs():
    cable = CABLE.replace("Comment: we expect", "*Comment*: we expect")
    doc = f"## Metadata\n\n{METADATA_TABLE}\n## Text\n\n{cable}\n---\n\n{METADATA_TABLE}"
    parsed = parse_cable(doc)
    assert parsed.format == "markdown"
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]
    assert texts(parsed)[-1] == "Comment: we expect little progress. End comment."
    assert parsed.signature == "DOE"
    assert not any("|" in text for text in texts(parsed))


# --- a later section of a 1970s telegram, its numbering continued ----------------------------

SECTION_TWO = """O R 101530Z MAR 75
FM AMEMBASSY VALDERRA
TO SECSTATE WASHDC IMMEDIATE 1234
C O N F I D E N T I A L SECTION 2 OF 2 VALDERRA 0778

E.O. 11652: GDS
TAGS: PFOR, XX
SUBJECT: FISHERIES TALKS

{body}

SMITH
"""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("7. THE MINISTER SAID.\n\n8. THE PRESS REPORTED.\n\n9. COMMENT: NONE.", ["7", "8", "9"]),
        (
            "FROM SECTION ONE, THE MINISTER SAID.\n\n7. THE PRESS REPORTED.\n\n8. COMMENT: NONE.",
            ["", "7", "8"],
        ),
    ],
    ids=["numbered-from-7", "text-carried-over-first"],
)
def test_a_later_sections_paragraphs_keep_the_numbers_they_continue_with(body, expected):
    parsed = parse_cable(SECTION_TWO.format(body=body))
    assert (parsed.section, parsed.section_count) == (2, 2)
    assert [p.number for p in parsed.paragraphs] == expected
    assert texts(parsed)[-1] == "COMMENT: NONE."
    assert parsed.signature == "SMITH"


def test_a_first_section_starting_at_paragraph_seven_is_still_one_block():
    # Section 1 has no numbers carried over: "7." there is not where paragraphs begin.
    body = "THE MINISTER LISTED SEVEN POINTS, OF WHICH ONLY THE LAST MATTERED:\n7. THE FLEET."
    parsed = parse_cable(SECTION_TWO.replace("SECTION 2 OF 2", "SECTION 1 OF 2").format(body=body))
    assert [p.number for p in parsed.paragraphs] == [""]
    assert texts(parsed) == [body]


# --- a FOIA reading-room release: its page stamp repeated at each page -----------------------

FOIA_STAMP = (
    "UNCLASSIFIED U.S. Department of State Case No. F-2014-12345 Doc No. C05512345 Date: 03/10/2016"
)


def test_the_page_stamp_of_a_foia_release_is_not_paragraph_text():
    cable = telegram(post="VALDERRA", serial=77).replace(
        "\n\n3. (C)", f"\n\n{FOIA_STAMP}\n\n3. (C)"
    )
    parsed = parse_cable(f"{FOIA_STAMP}\n\nRELEASE IN PART B1,1.4(D)\n\n{cable}")
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]
    assert texts(parsed)[1] == "The press reported the meeting."
    assert parsed.reference_id == "06VALDERRA77"


# --- UTF-8 read as Windows-1252 by a mirror ("Â¶1.") ---------------------------------------


@pytest.mark.parametrize(
    "damaged",
    [("1. (C)", "\u00c2\u00b61. (C)"), ("1. (C)", "1.\u00c2\xa0(C)")],
    ids=["pilcrow", "nbsp"],
)
def test_a_mirrors_mojibake_before_a_mark_does_not_hide_the_paragraphs(damaged):
    text = telegram(post="VALDERRA", serial=77)
    for n in "123":
        text = text.replace(damaged[0].replace("1", n), damaged[1].replace("1", n))
    parsed = parse_cable(text)
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]
    assert texts(parsed)[0] == "Summary: the minister said the talks would resume."


def test_a_classification_line_repeated_at_the_bottom_in_banner_syntax_is_not_a_paragraph():
    text = (
        "SECRET//NOFORN\n\nSUBJECT: (U) TALKS\n\n1. (S//NF) One.\n\n2. (U) Two.\n\nSECRET//NOFORN\n"
    )
    parsed = parse_cable(text)
    assert marks(parsed) == [("1", "S//NF", "portion"), ("2", "U", "portion")]
    assert parsed.classification == Marking(Level.S, ("NOFORN",))


# --- paragraph numbers closed by a parenthesis, and roman numerals ---------------------------


@pytest.mark.parametrize(
    "numbers",
    [("1)", "2)", "3)"), ("1.)", "2.)", "3.)"), ("I.", "II.", "III.")],
    ids=["parenthesis", "period-parenthesis", "roman"],
)
def test_paragraph_numbers_written_another_way_keep_their_marks(numbers):
    parsed = body_cable(
        f"{numbers[0]} (C) The minister said the talks would resume.",
        f"{numbers[1]} (S) He named the envoy.",
        f"{numbers[2]} (U) The press reported the meeting.",
    )
    expected = [n.rstrip(".)") for n in numbers]
    assert marks(parsed) == [
        (expected[0], "C", "portion"),
        (expected[1], "S", "portion"),
        (expected[2], "U", "portion"),
    ]
    assert texts(parsed)[1] == "He named the envoy."
    assert parsed.classification == Marking(Level.S)


def test_a_list_numbered_with_parentheses_inside_a_paragraph_stays_in_it():
    parsed = body_cable(
        "1. (C) The minister listed:\n1) the border;\n2) the fleet;\n3) the annex.",
        "2. (U) The press reported the meeting.",
    )
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion")]
    assert texts(parsed)[0].endswith("3) the annex.")


# --- a Markdown scrape keeping the page's <br> line breaks ----------------------------------


def test_a_markdown_scrape_with_br_line_breaks_is_read_as_markdown():
    cable = CABLE
    for n in "123":
        cable = cable.replace(f"\n{n}. (", f"\n{n}\\. \\(").replace("\\(C)", "\\(C\\)")
    cable = cable.replace("\\(U)", "\\(U\\)")
    doc = "# 06VALDERRA77\n\n" + cable.replace("\n", "<br>\n")
    parsed = parse_cable(doc)
    assert parsed.format == "markdown"
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]
    assert texts(parsed)[0] == "Summary: the minister said the talks would resume."
    assert (parsed.subject, parsed.signature) == ("EXAMPLE TALKS RESUME", "DOE")


# --- a 1970s telegram as the reading room prints it (PlusD-style) -----------------------------

READING_ROOM = """CONFIDENTIAL
PAGE 01
VALDERRA 00905 01 OF 02 060018Z
ACTION SS-25
INFO OCT-01 ADS-00 SSO-00 /026 W
------------------062281 060035Z /62
O R 051020Z JUN 79
FM AMEMBASSY VALDERRA
TO SECSTATE WASHDC IMMEDIATE 1291
INFO AMEMBASSY LONDON
C O N F I D E N T I A L SECTION 1 OF 2 VALDERRA 0905
EXDIS
E.O. 12065: RDS-4 6/5/99 (DOE, JOHN H.) OR-M
TAGS: PEPR, XX, US
SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES
1. SUMMARY: IN A 2-HOUR MEETING THE MINISTER SAID THE FLEET
WOULD NOT
CONFIDENTIAL
CONFIDENTIAL
PAGE 02
VALDERRA 00905 01 OF 02 060018Z
RETURN BEFORE THE SEASON. END SUMMARY.
Jane Q. Reviewer Declassified/Released US Department of State EO Systematic Review 20 Mar 2014
2. THE MINISTER ASKED THAT WE CONSULT CLOSELY.
DOE
CONFIDENTIAL
NNN
"""


def test_a_reading_room_printouts_page_headers_and_review_stamps_are_not_paragraph_text():
    parsed = parse_cable(READING_ROOM)
    assert texts(parsed) == [
        "SUMMARY: IN A 2-HOUR MEETING THE MINISTER SAID THE FLEET\nWOULD NOT\n"
        "RETURN BEFORE THE SEASON. END SUMMARY.",
        "THE MINISTER ASKED THAT WE CONSULT CLOSELY.",
    ]
    assert parsed.signature == "DOE"
    assert parsed.declassification_notes == [
        "Jane Q. Reviewer Declassified/Released US Department of State EO Systematic Review "
        "20 Mar 2014"
    ]
    assert (parsed.decl, parsed.subject) == (
        "RDS-4 6/5/99 (DOE, JOHN H.) OR-M",
        "DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES",
    )
    assert parsed.classification == Marking(Level.C, ("EXDIS",))
    assert (parsed.reference_id, parsed.section, parsed.section_count) == ("79VALDERRA905", 1, 2)


@pytest.mark.parametrize(
    "statement", ["C - ENTIRE TEXT.", "CONFIDENTIAL ENTIRE TEXT.", "C-ENTIRE TEXT"]
)
def test_an_entire_text_statement_written_short_marks_every_paragraph(statement):
    text = READING_ROOM.replace("2. THE MINISTER", "3. THE MINISTER")
    parsed = parse_cable(text.replace("1. SUMMARY:", f"1. {statement}\n2. SUMMARY:"))
    assert [p.source for p in parsed.paragraphs] == ["entire_text"] * 3
    assert {str(p.marking) for p in parsed.paragraphs} == {"C//XD"}
    assert not any(w.startswith(("UNMARKED_PORTION", "BANNER_ABOVE")) for w in parsed.warnings)


# --- a passing instruction right below the subject ------------------------------------------


@pytest.mark.parametrize(
    "instruction",
    ["DEPT PASS USUN", "DEPT PLEASE PASS USUN AND USNATO", "SUGGEST DEPT REPEAT TO USUN."],
)
def test_a_passing_instruction_below_the_subject_is_not_part_of_it(instruction):
    text = READING_ROOM.replace(
        "SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES",
        f"SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES\n{instruction}",
    )
    parsed = parse_cable(text)
    assert parsed.subject == "DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES"
    assert parsed.passing == [instruction]
    assert [p.number for p in parsed.paragraphs] == ["1", "2"]


def test_a_subject_wrapped_onto_a_second_line_is_still_one_subject():
    text = READING_ROOM.replace(
        "SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES",
        "SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES AND\nPASSAGE OF THE FLEET",
    )
    parsed = parse_cable(text)
    assert parsed.subject == (
        "DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES AND PASSAGE OF THE FLEET"
    )


@pytest.mark.parametrize(
    "page_header",
    ["PAGE 02\nVALDERRA 00905", "PAGE 02 VALDERRA 00905", "PAGE 02\nVALDERRA 00905 01 OF 02"],
    ids=["split", "one-line", "split-with-section"],
)
def test_a_page_header_naming_only_the_post_and_serial_is_not_paragraph_text(page_header):
    text = READING_ROOM.replace("PAGE 02\nVALDERRA 00905 01 OF 02 060018Z", page_header)
    parsed = parse_cable(text)
    assert texts(parsed)[0] == (
        "SUMMARY: IN A 2-HOUR MEETING THE MINISTER SAID THE FLEET\nWOULD NOT\n"
        "RETURN BEFORE THE SEASON. END SUMMARY."
    )


def test_a_line_like_a_page_header_of_another_serial_stays_text():
    text = READING_ROOM.replace(
        "PAGE 02\nVALDERRA 00905 01 OF 02 060018Z", "PAGE 02 VALDERRA 00906"
    )
    assert "PAGE 02 VALDERRA 00906" in texts(parse_cable(text))[0]


def test_a_page_header_with_a_travel_serial_is_not_paragraph_text():
    # Telegrams to a travelling Secretary carry a second serial ("TOSEC 340058").
    text = READING_ROOM.replace(
        "PAGE 02\nVALDERRA 00905 01 OF 02 060018Z", "PAGE 02 VALDERRA 00905 TOSEC 340058"
    )
    assert "TOSEC" not in texts(parse_cable(text))[0]


# --- the first paragraph right below the subject, no blank line between ---------------------


@pytest.mark.parametrize(
    "first",
    [
        "SUMMARY: THE MINISTER SAID THE TALKS WOULD RESUME. END SUMMARY.",
        "BEGIN SUMMARY: THE MINISTER SAID THE TALKS WOULD RESUME.",
        "QUOTE: THE MINISTER SAID THE TALKS WOULD RESUME.",
        "A. FOLLOWING ARE THE POINTS THE MINISTER MADE.",
        "THE MINISTER SAID THE TALKS WOULD RESUME.",
    ],
)
def test_an_unnumbered_first_paragraph_right_below_a_short_subject_is_a_paragraph(first):
    text = READING_ROOM.replace(
        "SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES", f"SUBJ: FISHERIES TALKS\n{first}"
    )
    parsed = parse_cable(text)
    assert parsed.subject == "FISHERIES TALKS"
    assert texts(parsed)[0] == first
    assert [p.number for p in parsed.paragraphs] == ["", "1", "2"]


def test_a_short_subject_wrapped_onto_a_line_that_is_no_sentence_keeps_it():
    text = READING_ROOM.replace(
        "SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES",
        "SUBJ: VALDERRA MEDIA REACTION REPORT\nTUESDAY, MARCH 22, 2005",
    )
    assert parse_cable(text).subject == "VALDERRA MEDIA REACTION REPORT TUESDAY, MARCH 22, 2005"


# --- the classification block of E.O. 13526 glued onto one line -----------------------------


@pytest.mark.parametrize(
    ("block", "decl"),
    [
        ("Classified By: John Doe, Ambassador; Reason: 1.4(b), (d); Declassify On: 20350101",
         "20350101"),
        ("CLASSIFIED BY: JOHN DOE, AMBASSADOR. REASON: 1.4 (B). DECLASSIFY ON: 25X1", "25X1"),
    ],
)  # fmt: skip
def test_a_declassify_on_glued_to_the_classified_by_line_is_the_instruction(block, decl):
    text = telegram(post="VALDERRA", serial=77, decl="E.O. 13526").replace(
        "Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)", block
    )
    parsed = parse_cable(text)
    assert parsed.decl == decl
    assert parsed.classified_by.upper() == "JOHN DOE, AMBASSADOR"
    assert "1.4(b)" in parsed.reasons
    assert not any(w.startswith("MISSING_DECL") for w in parsed.warnings)


# --- an archive page with the header in <pre> and the text in paragraphs ---------------------


def _page_with_pre_header(body_html) -> str:
    head, body = CABLE.split("Classified By", 1)
    body = "Classified By" + body
    return (
        "<html><head><title>06VALDERRA77</title></head><body>"
        "<table><tr><th>Classification</th><td>SECRET</td></tr></table>"
        f"<pre>{html.escape(head)}</pre>{body_html(body)}<footer>Mirror of an archive</footer>"
        "</body></html>"
    )


@pytest.mark.parametrize(
    "body_html",
    [
        lambda body: "".join(f"<p>{html.escape(b)}</p>" for b in body.split("\n\n")),
        lambda body: (
            "<div>" + "<br>\n".join(html.escape(line) for line in body.split("\n")) + "</div>"
        ),
    ],
    ids=["p", "div-br"],
)
def test_a_page_with_the_header_in_pre_and_the_text_outside_keeps_the_text(body_html):
    parsed = parse_cable(_page_with_pre_header(body_html))
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]
    assert texts(parsed)[0] == "Summary: the minister said the talks would resume."
    assert (parsed.classified_by, parsed.subject) == ("DCM Jane Doe", "EXAMPLE TALKS RESUME")
    assert parsed.classification == Marking(Level.C)


def test_a_page_with_the_whole_cable_in_pre_still_ignores_the_text_around_it():
    page = (
        "<html><body><p>1. (S) Not the cable: a note of the mirror.</p>"
        f"<pre>{html.escape(CABLE)}</pre><p>Mirror footer.</p></body></html>"
    )
    parsed = parse_cable(page)
    assert marks(parsed) == [("1", "C", "portion"), ("2", "U", "portion"), ("3", "C", "portion")]


# --- NOFORN written out on the caption line -------------------------------------------------


@pytest.mark.parametrize(
    "caption",
    ["NO FOREIGN DISSEM", "NOT RELEASABLE TO FOREIGN NATIONALS", "NO FOREIGN DISSEMINATION"],
)
def test_noforn_written_out_on_the_caption_line_is_a_noforn_control(caption):
    text = READING_ROOM.replace(
        "C O N F I D E N T I A L SECTION 1 OF 2 VALDERRA 0905\nEXDIS",
        f"C O N F I D E N T I A L SECTION 1 OF 2 VALDERRA 0905\n{caption}",
    )
    parsed = parse_cable(text)
    assert parsed.classification == Marking(Level.C, ("NOFORN",))
    assert caption in parsed.captions
    assert parsed.passing == []


# --- a classification line as OCR reads it, or with a single slash ---------------------------


@pytest.mark.parametrize(
    ("banner", "marking"),
    [
        ("C 0 N F I D E N T I A L", "C"),
        ("C0NFIDENTIAL", "C"),
        ("CONFIDENTlAL", "C"),
        ("UNCLASSlFIED", "U"),
        ("CONFIDENTIAL/NOFORN", "C//NF"),
    ],
)
def test_a_classification_line_read_by_ocr_or_with_one_slash_is_found(banner, marking):
    parsed = parse_cable(telegram(post="VALDERRA", serial=77, banner=banner))
    assert str(parsed.banner) == marking
    assert parsed.reference_id == "06VALDERRA77"
    assert (parsed.subject, parsed.decl) == ("EXAMPLE TALKS RESUME", "02/10/2016")


def test_an_ocr_misread_classification_line_is_flagged_and_needs_post_and_serial():
    parsed = parse_cable(telegram(post="VALDERRA", serial=77, banner="C0NFIDENTIAL"))
    assert any(w.startswith("MISSPELLED_BANNER") for w in parsed.warnings)
    with pytest.raises(ParseError):
        parse_cable("C0NFIDENTIAL\n\nTHE MINISTER SAID THE TALKS WOULD RESUME.\n")


# --- an archive's record fields after the end of the message ---------------------------------

RECORD_FIELDS = """Draft Date: 10 MAR 1975
Original Classification: CONFIDENTIAL
Review Action: RELEASED, APPROVED
Type: TE"""


@pytest.mark.parametrize("after", [RECORD_FIELDS, "<< END OF DOCUMENT >>"], ids=["fields", "end"])
def test_what_follows_the_end_of_message_line_is_not_cable_text(after):
    text = READING_ROOM.replace("CONFIDENTIAL\nNNN\n", f"CONFIDENTIAL\nNNN\n\n{after}\n")
    parsed = parse_cable(text)
    assert texts(parsed)[-1] == "THE MINISTER ASKED THAT WE CONSULT CLOSELY."
    assert parsed.signature == "DOE"
    assert any(w.startswith("AFTER_END_OF_MESSAGE") for w in parsed.warnings)


def test_a_second_section_after_the_end_of_message_line_is_kept():
    section_two = READING_ROOM.replace("SECTION 1 OF 2", "SECTION 2 OF 2")
    parsed = parse_cable(READING_ROOM + "\n" + section_two)
    assert not any(w.startswith("AFTER_END_OF_MESSAGE") for w in parsed.warnings)
    assert "\n".join(texts(parsed)).count("RETURN BEFORE THE SEASON") == 2  # both sections


def test_an_unfinished_subject_goes_on_even_onto_a_line_like_a_paragraph_opening():
    text = READING_ROOM.replace(
        "SUBJ: DISCUSSION WITH THE FOREIGN MINISTER ON FISHERIES",
        "SUBJ: SCENESETTER FOR\nA. SMITH VISIT",
    )
    assert parse_cable(text).subject == "SCENESETTER FOR A. SMITH VISIT"


def test_a_caption_filled_out_with_slashes_leaves_no_passing_line():
    text = READING_ROOM.replace("\nEXDIS\n", "\nSTADIS//////////////////////////////////\n")
    parsed = parse_cable(text)
    assert parsed.captions == ["STADIS"]
    assert parsed.passing == []
