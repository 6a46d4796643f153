"""More shapes of real cables (7): archive pages and Markdown scrapes.  A leaked-cable
page's metadata table (labels over a row of values: Reference ID, Created, Released,
Classification, Origin), in <tr> rows, Markdown pipes or YAML front matter, is the only
date, id and origin of a cable published without routing lines; an archive record's
Message Text cell holding the whole cable with <br> breaks; a site footer element; a
converter's indented code block, fenced entity-escaped source, adjacent links, underscore
emphasis and escaped punctuation; a page writing a line per element; raw HTML and in-page
navigation a Markdown scrape passes through.

Each test below marked "defect" failed against the parser before its fix; the others
guard a look-alike that must keep reading as it did.  Every cable is invented (a
fictional post, fictional people) in a shape seen in archives.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime

import pytest

from cables.parsing import ParsedCable, parse_cable
from tests.cables.cable_text import paragraph_texts as texts
from tests.cables.cable_text import telegram

_EXTRACT = "This record is a partial extract of the original cable."
_BODY = telegram(post="VALDERRA", serial=77).split("\n\n", 1)[1]  # from the banner down
_CREATED = datetime(2006, 2, 10, 15, 30, tzinfo=UTC)
_TEXTS = [
    "Summary: the minister said the talks would resume.",
    "The press reported the meeting.",
    "Comment: we expect little progress. End comment.",
]


def _entities(text: str) -> str:
    return text.replace("\n", "&#x000A;")


# --- a leaked-cable page's metadata table ---------------------------------------------------


def _cablegate_page(rows: str, body: str = _BODY) -> str:
    return (
        "<!DOCTYPE html><html><head><title>Cable Viewer</title></head><body>"
        f"<div class='pane big'><code><table class='cable'>{rows}</table></code>"
        f"<pre>{_EXTRACT}</pre><pre>{_entities(body)}</pre></div></body></html>"
    )


_LABELS_OVER_VALUES = (
    "<tr><th>Reference ID</th><th>Created</th><th>Released</th><th>Classification</th>"
    "<th>Origin</th></tr>\n<tr><td><a href='/cable/2006/02/06VALDERRA77.html'>06VALDERRA77"
    "</a></td><td>2006-02-10 15:30</td><td>2011-08-30 01:44</td><td>SECRET</td>"
    "<td><a href='/origin/99_0.html'>Embassy Valderra</a></td></tr>"
)


def test_a_partial_extracts_page_is_dated_by_its_metadata_table():
    """Defect: only the <pre> text was read, so a cable without routing lines had no date
    (NO_DATE) and no reference id although the page's table gives its creation time."""
    parsed = parse_cable(_cablegate_page(_LABELS_OVER_VALUES))
    assert (parsed.sent_at, parsed.reference_id) == (_CREATED, "06VALDERRA77")
    assert not any(w.startswith("NO_DATE") for w in parsed.warnings)
    assert str(parsed.classification) == "C"  # the table's SECRET is the site's, not read
    assert texts(parsed) == _TEXTS


def test_a_metadata_table_with_each_label_beside_its_value_dates_the_cable_too():
    rows = "".join(
        f"<tr><th>{k}</th><td>{v}</td></tr>"
        for k, v in [("Reference ID", "06VALDERRA77"), ("Created:", "2006-02-10 15:30")]
    )
    assert parse_cable(_cablegate_page(rows)).sent_at == _CREATED


def test_the_tables_created_time_does_not_replace_the_routing_lines_dtg():
    routed = telegram(post="VALDERRA", serial=77)  # P 101530Z FEB 06
    page = _cablegate_page(_LABELS_OVER_VALUES.replace("2006-02-10 15:30", "2006-02-11 09:00"))
    parsed = parse_cable(page.replace(_entities(_BODY), _entities(routed)))
    assert (parsed.dtg, parsed.sent_at) == ("101530Z FEB 06", _CREATED)


def test_a_created_cell_that_is_not_a_date_time_dates_nothing():
    rows = "<tr><th>Created</th><th>Origin</th></tr><tr><td>unknown</td><td>Valderra</td></tr>"
    parsed = parse_cable(_cablegate_page(rows))
    assert parsed.sent_at is None
    assert texts(parsed) == _TEXTS


# --- the same table in a Markdown scrape ----------------------------------------------------

_PIPE_TABLE = (
    "| Reference ID | Created | Released | Classification | Origin |\n"
    "|---|---|---|---|---|\n"
    "| [06VALDERRA77](https://example.org/cable/2006/02/06VALDERRA77.html) | 2006-02-10 15:30 "
    "| 2011-08-30 01:44 | SECRET | **Embassy Valderra** |\n"
)


def test_a_scrapes_pipe_table_dates_the_fenced_cable_below_it():
    """Defect: the fences held the whole cable, so only they were read and the table's
    date was lost (NO_DATE, no reference id)."""
    parsed = parse_cable(f"# Cable 06VALDERRA77\n\n{_PIPE_TABLE}\n```\n{_EXTRACT}\n\n{_BODY}```\n")
    assert parsed.format == "markdown"
    assert (parsed.sent_at, parsed.reference_id) == (_CREATED, "06VALDERRA77")
    assert str(parsed.classification) == "C"
    assert texts(parsed) == _TEXTS


def test_an_unfenced_scrape_is_dated_by_its_table_and_keeps_its_line_numbers():
    parsed = parse_cable(f"{_PIPE_TABLE}\n{_EXTRACT}\n\n{_BODY}")
    assert (parsed.sent_at, parsed.reference_id) == (_CREATED, "06VALDERRA77")
    first = _BODY.split("\n").index("1. (C) Summary: the minister said the talks would resume.")
    assert parsed.paragraphs[0].line == 6 + first + 1  # table, blank, extract, blank above


def test_a_table_below_the_cable_adds_nothing_to_its_last_paragraph_or_signature():
    parsed = parse_cable(f"{_EXTRACT}\n\n{_BODY}\n{_PIPE_TABLE}")
    assert parsed.sent_at is None
    assert texts(parsed) == _TEXTS
    assert parsed.signature == "DOE"


# --- an archive record's cell holding the whole cable ---------------------------------------

_AAD_MESSAGE = (
    "CONFIDENTIAL<br>PAGE 01 VALDER 00077 021230Z<br>R 021200Z JAN 75<br>"
    "FM AMEMBASSY VALDERRA<br>TO SECSTATE WASHDC 1234<br><br>"
    "C O N F I D E N T I A L VALDERRA 0077<br><br>E.O. 11652: GDS<br>TAGS: PFOR, VD<br>"
    "SUBJECT: FISHERIES TALKS<br><br>1\\. THE MINISTER SAID THE TALKS WOULD RESUME.<br><br>"
    "2\\. WE EXPECT LITTLE PROGRESS.<br><br>DOE<br><br>CONFIDENTIAL<br><br>NNN"
)


def _aad_scrape(concepts: str = "FISHING, NEGOTIATIONS", message: str = _AAD_MESSAGE) -> str:
    rows = [
        ("Draft Date:", "02 JAN 1975"),
        ("Document Number:", "1975VALDER00077"),
        ("TAGS:", "PFOR, VD"),
        ("Classification:", "SECRET"),
        ("Message Text:", message),
        ("Concepts:", concepts),
    ]
    table = "".join(f"| {k} | {v} |\n" for k, v in rows)
    return f"# Access to Archival Databases\n\n| Field | Value |\n|---|---|\n{table}"


def test_a_scraped_archive_records_message_cell_is_read_as_the_cable():
    """Defect: the <br> tags made the scrape HTML, its escapes stayed ("1\\. THE ..."),
    and the cell's pipes and the next rows joined one paragraph that hid the signer."""
    parsed = parse_cable(_aad_scrape())
    assert parsed.format == "markdown"
    assert (parsed.reference_id, parsed.sent_at) == (
        "75VALDERRA77",
        datetime(1975, 1, 2, 12, 0, tzinfo=UTC),
    )
    assert str(parsed.classification) == "C"
    assert texts(parsed) == [
        "THE MINISTER SAID THE TALKS WOULD RESUME.",
        "WE EXPECT LITTLE PROGRESS.",
    ]
    assert parsed.signature == "DOE"


def test_another_cell_with_line_breaks_is_no_cable_text():
    unended = _AAD_MESSAGE.removesuffix("<br><br>CONFIDENTIAL<br><br>NNN")  # no NNN below
    concepts = "FISHING<br>NEGOTIATIONS<br>TERRITORIAL WATERS"
    parsed = parse_cable(_aad_scrape(concepts=concepts, message=unended))
    assert texts(parsed)[-1] == "WE EXPECT LITTLE PROGRESS."
    assert parsed.signature == "DOE"


# --- a page's footer element below a cable read without <pre> -------------------------------


def _flowing_page(after: str, before: str = "") -> str:
    lines = "<br>\n".join(telegram(post="VALDERRA", serial=77).split("\n"))
    body = f"{before}<div class='text-content'>{lines}</div>{after}"
    return f"<!DOCTYPE html><html><body>{body}</body></html>"


def test_a_footer_div_below_the_cable_is_not_its_last_paragraph():
    """Defect: the footer's words joined paragraph 3 and the signer's name was lost."""
    page = _flowing_page("<div class='site-footer'><div>Search the library</div>About us</div>")
    parsed = parse_cable(page)
    assert texts(parsed) == _TEXTS
    assert parsed.signature == "DOE"


def test_a_footer_element_above_the_cable_leaves_the_page_whole():
    page = _flowing_page("", before="<div id='footer-links'>Home</div>")
    parsed = parse_cable(page)
    assert texts(parsed) == _TEXTS
    assert parsed.signature == "DOE"


def test_the_word_footer_in_the_cables_text_cuts_nothing():
    page = _flowing_page("").replace(
        "we expect little progress.", "the footer class='x' of the page said footer."
    )
    parsed = parse_cable(page)
    assert (
        texts(parsed)[-1] == "Comment: the footer class='x' of the page said footer. End comment."
    )


# --- the page's origin ----------------------------------------------------------------------


def test_the_metadata_tables_origin_places_a_cable_without_routing_lines():
    """Defect: with no FM line the cable had no origin, though the page names it."""
    assert parse_cable(_cablegate_page(_LABELS_OVER_VALUES)).origin == "Embassy Valderra"
    scrape = f"{_PIPE_TABLE}\n```\n{_EXTRACT}\n\n{_BODY}```\n"
    assert parse_cable(scrape).origin == "Embassy Valderra"


def test_a_scrapes_bold_origin_label_places_the_cable():
    """Defect: "**Origin:** Embassy Valderra" above the cable was read as nothing."""
    labels = "**Created:** 2006-02-10 15:30  \n**Origin:** Embassy Valderra"
    scrape = f"# Cable 06VALDERRA77\n\n{labels}\n\n{_BODY}"
    parsed = parse_cable(scrape)
    assert (parsed.origin, parsed.reference_id) == ("Embassy Valderra", "06VALDERRA77")


def test_the_fm_line_names_the_origin_before_the_pages_label():
    routed = telegram(post="VALDERRA", serial=77)
    assert parse_cable(f"Origin: Embassy Elsewhere\n\n{routed}").origin == "Embassy Valderra"


def test_an_old_telegrams_origin_office_is_not_its_post():
    text = _BODY.replace("C O N F I D", "ORIGIN EUR-12\n\nC O N F I D", 1)
    assert parse_cable(text).origin is None


# --- a converter's indented code block ------------------------------------------------------


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.split("\n"))


def test_a_cable_in_an_indented_code_block_loses_the_blocks_indent():
    """Defect: html2text writes <pre> as a block indented by four spaces, and every
    continuation line of a paragraph kept those spaces."""
    body = _BODY.replace("the talks would resume.", "the talks\nwould resume.")
    scrape = f"# Cable 06VALDERRA77\n\n{_PIPE_TABLE}\n{_indented(body)}\n\n* * *\n\nScraped.\n"
    parsed = parse_cable(scrape)
    assert parsed.format == "markdown"
    assert texts(parsed)[0] == "Summary: the minister said the talks\nwould resume."
    assert (parsed.sent_at, parsed.origin, parsed.signature) == (
        _CREATED,
        "Embassy Valderra",
        "DOE",
    )


def test_an_indented_passage_inside_an_unindented_cable_keeps_its_indent():
    quoted = "    -- first, the talks;\n    -- second, the fisheries."
    body = _BODY.replace("2. (U) The press", f"{quoted}\n\n2. (U) The press")
    parsed = parse_cable(f"# Cable 06VALDERRA77\n\n[Archive](https://example.org/)\n\n{body}")
    assert parsed.format == "markdown"
    assert quoted in texts(parsed)[0]


# --- the page's reference id ----------------------------------------------------------------

_BARE_BODY = _BODY.replace("C O N F I D E N T I A L VALDERRA 000077", "CONFIDENTIAL")


def test_the_pages_reference_id_names_a_cable_whose_classification_line_cannot():
    """Defect: a classification line without post and serial gave no reference id,
    though the page's table (or its "Reference ID:" label) names it."""
    assert parse_cable(_cablegate_page(_LABELS_OVER_VALUES, _BARE_BODY)).reference_id == (
        "06VALDERRA77"
    )
    labelled = "# Cable\n\n**Reference ID:** 06VALDERRA77  \n**Origin:** Embassy Valderra\n\n"
    parsed = parse_cable(labelled + _BARE_BODY)
    assert (parsed.reference_id, parsed.from_metadata) == ("06VALDERRA77", [])


def test_the_classification_lines_reference_id_wins_over_the_pages():
    page = _cablegate_page(_LABELS_OVER_VALUES.replace(">06VALDERRA77<", ">06VALDERRA78<"))
    assert parse_cable(page).reference_id == "06VALDERRA77"


def test_a_reference_id_label_that_is_no_cable_id_is_not_read():
    labelled = "# Cable\n\n**Reference ID:** see the index  \n**Origin:** Embassy Valderra\n\n"
    assert parse_cable(labelled + _BARE_BODY).reference_id is None


# --- a fence around the page's source text --------------------------------------------------


def test_a_fenced_cable_written_with_newline_entities_is_read_line_by_line():
    """Defect: a scrape fencing the page's <pre> source ("...000077&#x000A;&#x000A;SIPDIS")
    had the whole cable on one line: NO_PARAGRAPHS."""
    parsed = parse_cable(f"{_PIPE_TABLE}\n```\n{_entities(_BODY)}\n```\n")
    assert texts(parsed) == _TEXTS
    assert (parsed.reference_id, parsed.signature) == ("06VALDERRA77", "DOE")


def test_a_fenced_line_with_other_entities_is_kept_as_written():
    body = _BODY.replace("The press reported", "The press &amp; radio reported")
    parsed = parse_cable(f"{_PIPE_TABLE}\n```\n{body}```\n")
    assert texts(parsed)[1] == "The press &amp; radio reported the meeting."


# --- TAGS as adjacent Markdown links --------------------------------------------------------


def _tag_link(tag: str) -> str:
    return f"[{tag}](https://example.org/tag/{tag})"


def test_tags_written_as_adjacent_links_stay_apart():
    """Defect: "[PREL](...)[PGOV](...)" was read as the one tag PRELPGOV."""
    links = "".join(_tag_link(t) for t in ("PREL", "PGOV", "XX"))
    parsed = parse_cable(f"{_PIPE_TABLE}\n{_BODY.replace('TAGS: PREL PGOV XX', f'TAGS: {links}')}")
    assert parsed.tags == ["PREL", "PGOV", "XX"]


def test_a_link_inside_a_sentence_leaves_the_sentence_as_written():
    linked = _BODY.replace("The press reported", f"The {_tag_link('press')}(sic) reported")
    parsed = parse_cable(f"{_PIPE_TABLE}\n{linked}")
    assert texts(parsed)[1] == "The press(sic) reported the meeting."


# --- a scrape's front matter ----------------------------------------------------------------


def _with_front_matter(keys: str) -> str:
    return f"---\n{keys}\n---\n\n# 06VALDERRA77\n\n{_EXTRACT}\n\n" + _BODY.replace(
        "1. (C)", "1\\. (C)"
    )


def test_a_scrapes_front_matter_dates_names_and_places_the_cable():
    """Defect: "created:", "reference_id:" and "origin:" in the YAML front matter (lower
    case, values quoted) were read as nothing."""
    keys = (
        "reference_id: '06VALDERRA77'\ncreated: \"2006-02-10T15:30:00Z\"\norigin: Embassy Valderra"
    )
    parsed = parse_cable(_with_front_matter(keys + "\nclassification: SECRET\ntags:\n  - PREL"))
    assert (parsed.sent_at, parsed.origin) == (_CREATED, "Embassy Valderra")
    assert (parsed.reference_id, str(parsed.classification)) == ("06VALDERRA77", "C")
    assert texts(parsed) == _TEXTS


def test_a_front_matter_date_that_may_be_the_scrapes_own_dates_nothing():
    parsed = parse_cable(_with_front_matter("title: Example\ndate: 2021-05-01 10:00"))
    assert parsed.sent_at is None
    assert texts(parsed) == _TEXTS


# --- emphasis with underscores ---------------------------------------------------------------


def _scrape(old: str, new: str) -> ParsedCable:
    return parse_cable(f"{_PIPE_TABLE}\n" + _BODY.replace(old, new))


def test_a_portion_mark_and_subject_in_underscore_emphasis_are_read():
    """Defect: "_(C)_" and "_(C) EXAMPLE TALKS RESUME_" kept their underscores, the mark
    stayed paragraph text and the subject was read with them."""
    parsed = _scrape("1. (C)", "1\\. _(S)_")
    assert (texts(parsed)[0], str(parsed.paragraphs[0].marking)) == (_TEXTS[0], "S")
    closed = _scrape("SUBJECT: (C) EXAMPLE TALKS RESUME", "SUBJECT: _(C) EXAMPLE TALKS RESUME_")
    assert closed.subject == "EXAMPLE TALKS RESUME"


def test_underscores_inside_words_stay():
    parsed = _scrape("TAGS: PREL PGOV XX", "TAGS: KNNP_IAEA, PREL_X_Y")
    assert parsed.tags == ["KNNP_IAEA", "PREL_X_Y"]


# --- escaped punctuation beyond what Markdown needs -----------------------------------------


def test_any_escaped_punctuation_is_unescaped():
    """Defect: a converter's "\\:" and "\\/" stayed, so the DECL line read
    "\\: DECL\\: 02/10/2016" and the mark "S\\/\\/NF" was no mark."""
    parsed = _scrape("E.O. 12958: DECL: 02/10/2016", "E\\.O\\. 12958\\: DECL\\: 02/10/2016")
    assert (parsed.executive_order, parsed.decl) == ("12958", "02/10/2016")
    marked = _scrape("1. (C)", "1\\. \\(S\\/\\/NF\\)")
    assert (str(marked.paragraphs[0].marking), texts(marked)[0]) == ("S//NF", _TEXTS[0])


def test_a_backslash_before_a_letter_stays():
    parsed = _scrape("The press reported", "The press (C:\\reports) reported")
    assert texts(parsed)[1] == "The press (C:\\reports) reported the meeting."


# --- a page writing a line per element ------------------------------------------------------

_WRAPPED = telegram(
    post="VALDERRA",
    serial=77,
    paragraphs=(
        "1. (C) Summary: the minister said\nthe talks would resume.",
        "2. (U) The press reported\nthe meeting.",
        "Unmarked closing words.",
    ),
)
_WRAPPED_TEXTS = [
    "Summary: the minister said\nthe talks would resume.",
    "The press reported\nthe meeting.",
    "Unmarked closing words.",
]


@pytest.mark.parametrize(
    ("element", "empty"),
    [("<p class=MsoPlainText>{}</p>", "&nbsp;"), ("<p>{}</p>", ""), ("<div>{}</div>", "<br>")],
    ids=["word-export", "empty-p", "div-br"],
)
def test_a_page_with_a_line_per_element_keeps_each_paragraphs_lines_together(element, empty):
    """Defect: each seam between two elements became a blank line, so every line of a
    paragraph was set apart by two blank lines (and with <div><br></div> the page lost
    its line breaks and the date-time group)."""
    lines = "\n".join(element.format(html.escape(s) or empty) for s in _WRAPPED.split("\n"))
    parsed = parse_cable(f"<html><body>{lines}</body></html>")
    assert texts(parsed) == _WRAPPED_TEXTS
    assert (parsed.dtg, parsed.signature) == ("101530Z FEB 06", "DOE")


def test_a_page_with_a_paragraph_per_element_keeps_its_paragraphs_apart():
    blocks = "".join(f"<p>{html.escape(b)}</p>\n" for b in _WRAPPED.split("\n\n"))
    parsed = parse_cable(f"<html><body>{blocks}</body></html>")
    assert texts(parsed) == _WRAPPED_TEXTS


# --- a Markdown scrape keeping the page's <pre> block ---------------------------------------


def test_a_scrape_with_a_pipe_table_over_a_pre_block_is_dated_by_the_table():
    """Defect: the <pre> made the scrape HTML, whose metadata tables were looked for only
    as <tr> rows: the pipe table's date, id and origin were lost."""
    parsed = parse_cable(f"# Cable\n\n{_PIPE_TABLE}\n<pre>\n{_EXTRACT}\n\n{_BODY}</pre>\n")
    assert (parsed.sent_at, parsed.reference_id) == (_CREATED, "06VALDERRA77")
    assert (parsed.origin, texts(parsed)) == ("Embassy Valderra", _TEXTS)


# --- raw HTML a Markdown scrape passes through ----------------------------------------------

_ESCAPED_BODY = _BODY.replace("1. (C)", "1\\. (C)")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<!-- scraped 2021-05-01 -->\n", "\n<!--\nfooter: generated\n-->\n"),
        ("<details>\n<summary>Cable text</summary>\n\n", "\n</details>\n"),
        ("<div class='cable'>\n\n", "\n</div>\n"),
    ],
    ids=["comments", "details", "div"],
)
def test_raw_html_around_a_scraped_cable_is_not_its_text(before, after):
    """Defect: an HTML comment or a closing tag below the signer's name joined the last
    paragraph, which hid the signature."""
    parsed = parse_cable(f"{_PIPE_TABLE}\n{before}{_ESCAPED_BODY}{after}")
    assert (texts(parsed), parsed.signature) == (_TEXTS, "DOE")


def test_a_line_in_angle_brackets_that_is_no_html_tag_stays_text():
    body = _ESCAPED_BODY.replace("The press reported the meeting.", "The press said:\n<REDACTED>")
    assert texts(parse_cable(f"{_PIPE_TABLE}\n{body}"))[1] == "The press said:\n<REDACTED>"


def test_tags_written_as_adjacent_reference_links_stay_apart():
    """Defect: "[PREL][1][PGOV][2]" (links by reference, defined below) was read as
    PRELPGOV."""
    links = "[PREL][1][PGOV][2][XX][]"
    defs = "\n[1]: https://example.org/tag/PREL\n[2]: https://example.org/tag/PGOV\n"
    body = _BODY.replace("TAGS: PREL PGOV XX", f"TAGS: {links}")
    assert parse_cable(f"{_PIPE_TABLE}\n{body}{defs}").tags == ["PREL", "PGOV", "XX"]


# --- a scrape's in-page navigation ----------------------------------------------------------


def test_a_line_of_in_page_links_below_the_cable_is_not_its_text():
    """Defect: "[Back to top](#top)" below the signer's name became the last paragraph's
    text and hid the signature."""
    nav = "\n[Back to top](#top) | [Print](#print)\n"
    parsed = parse_cable(f"{_PIPE_TABLE}\n{_ESCAPED_BODY}{nav}")
    assert (texts(parsed), parsed.signature) == (_TEXTS, "DOE")


def test_a_line_linking_another_cable_stays_text():
    ref = "[06VALDERRA12](https://example.org/cable/2006/01/06VALDERRA12.html)"
    body = _ESCAPED_BODY.replace("End comment.", f"End comment. See\n{ref}")
    assert texts(parse_cable(f"{_PIPE_TABLE}\n{body}"))[-1].endswith("See\n06VALDERRA12")
