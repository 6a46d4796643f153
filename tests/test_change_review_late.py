"""Review of the parser's page-shape round (HTML and Markdown pages) and of the login
backend's written-out user statement: each known defect is a strict xfail, so fixing it
turns the test green and the xfail marker must then be removed."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from cables.parsing import CableMetadata, parse_cable
from tests.cables.cable_text import telegram

_EXTRACT = "This record is a partial extract of the original cable."
_BODY = telegram(post="VALDERRA", serial=77).split("\n\n", 1)[1]  # from the banner down


def _archive_page(table: str, body: str = _BODY, after: str = "") -> str:
    """A leaked-cable page: a metadata table, the extract note and the cable in
    ``<pre>`` blocks (newlines as entities), then whatever the site puts below."""
    return (
        "<!DOCTYPE html><html><head><title>Cable Viewer</title></head><body>"
        f"<table class='cable'>{table}</table>"
        f"<pre>{_EXTRACT}</pre><pre>{body.replace(chr(10), '&#x000A;')}</pre>"
        f"{after}</body></html>"
    )


def test_a_two_column_table_of_labels_over_values_still_dates_the_cable() -> None:
    table = (
        "<tr><th>Created</th><th>Origin</th></tr>"
        "<tr><td>2006-02-10 15:30</td><td>Embassy Valderra</td></tr>"
    )
    cable = parse_cable(_archive_page(table), source="page.html")
    assert cable.sent_at == datetime(2006, 2, 10, 15, 30, tzinfo=UTC)
    assert cable.origin == "Embassy Valderra"


_OWN_RECORD = (
    "<tr><td>Created</td><td>2006-02-10 15:30</td></tr>"
    "<tr><td>Origin</td><td>Embassy Valderra</td></tr>"
)
_RELATED_CABLES = (
    "<h3>Related cables</h3><table><tr><th>Reference ID</th><th>Subject</th>"
    "<th>Created</th></tr><tr><td>05OTHERTOWN12</td><td>EARLIER TALKS</td>"
    "<td>2005-01-01 10:00</td></tr></table>"
)
# A classification line without post and serial: the id cannot be made from it.
_BODY_WITHOUT_SERIAL = _BODY.replace("C O N F I D E N T I A L VALDERRA 000077", "CONFIDENTIAL")


def test_a_related_cables_table_does_not_name_the_cable() -> None:
    page = _archive_page(_OWN_RECORD, body=_BODY_WITHOUT_SERIAL, after=_RELATED_CABLES)
    assert parse_cable(page, source="page.html").reference_id is None
    meta = CableMetadata(reference_id="06VALDERRA77")
    from_index = parse_cable(page, source="page.html", metadata=meta)
    assert from_index.reference_id == "06VALDERRA77"


def test_an_origin_label_below_the_routing_lines_is_not_an_addressee() -> None:
    text = telegram(post="VALDERRA", serial=77).replace(
        "INFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n",
        "INFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\nOrigin: Embassy Valderra\n",
    )
    cable = parse_cable(text)
    assert cable.info == ["EUROPEAN POLITICAL COLLECTIVE"]
    assert cable.origin == "Embassy Valderra"


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.strip("\n").split("\n"))


_SITE_LINKS = "Back to index\nNext cable\nPrevious cable"


def _scrape(*cable_parts: str) -> str:
    """A Markdown scrape: each part of the cable an indented block (html2text's ``<pre>``),
    the site's page-break line between parts, its search line and indented links below."""
    blocks = "\n\nContinued on the next page\n\n".join(_indented(part) for part in cable_parts)
    site = f"Search the library\n\n{_indented(_SITE_LINKS)}\n"
    return f"[Home](https://example.org/)\n\n{blocks}\n\n{site}"


def test_a_second_indented_block_of_site_text_is_not_cable_text() -> None:
    cable = parse_cable(_scrape(telegram(post="VALDERRA", serial=77)), source="page.md")
    assert cable.format == "markdown"
    assert len(cable.paragraphs) == 3
    assert all("Back to index" not in p.text for p in cable.paragraphs)
    assert cable.signature == "DOE"


def test_site_links_below_an_end_of_document_mark_are_not_cable_text() -> None:
    """Read as before: the end-of-message mark ends the telegram below its signer."""
    text = telegram(post="VALDERRA", serial=77) + "\nNNNN\n\n<< END OF DOCUMENT >>\n"
    cable = parse_cable(_scrape(text), source="page.md")
    assert cable.signature == "DOE"
    assert [p.text for p in cable.paragraphs][-1] == (
        "Comment: we expect little progress. End comment."
    )


def test_a_cable_split_by_a_page_break_before_a_marked_paragraph_is_read_whole() -> None:
    above, below = telegram(post="VALDERRA", serial=77).split("\n\n3. (C)")
    cable = parse_cable(_scrape(above, f"3. (C){below}"), source="page.md")
    assert [p.text for p in cable.paragraphs] == [
        "Summary: the minister said the talks would resume.",
        "The press reported the meeting.",
        "Comment: we expect little progress. End comment.",
    ]
    assert [p.number for p in cable.paragraphs] == ["1", "2", "3"]
    assert cable.signature == "DOE"


def test_a_cable_split_by_a_page_break_inside_a_paragraph_is_read_whole() -> None:
    paragraphs = (
        "1. (C) Summary: the minister said the talks\nwould resume after the holiday.",
        "2. (U) The press reported the meeting.",
    )
    above, below = telegram(post="VALDERRA", serial=77, paragraphs=paragraphs).split(
        "\nwould resume"
    )
    cable = parse_cable(_scrape(above, f"would resume{below}"), source="page.md")
    assert [p.text for p in cable.paragraphs] == [
        "Summary: the minister said the talks\nwould resume after the holiday.",
        "The press reported the meeting.",
    ]
    assert cable.signature == "DOE"


def test_a_heading_above_a_page_break_does_not_end_the_cable() -> None:
    """A capitalised heading alone at the foot of a page reads like a signer's name; the
    prose on the next page (a page with no marker and no upper-case line) shows the
    telegram goes on, and so does the page after it."""
    paragraphs = (
        "1. (C) Summary: the minister said the talks would resume.",
        "Economic Outlook",
        "The ministry expects the economy to grow by three percent this year.",
        "3. (C) Comment: we expect little progress. End comment.",
    )
    text = telegram(post="VALDERRA", serial=77, paragraphs=paragraphs)
    first, rest = text.split("\n\nThe ministry")
    second, third = rest.split("\n\n3. (C)")
    cable = parse_cable(_scrape(first, f"The ministry{second}", f"3. (C){third}"), source="page.md")
    body = "\n".join(p.text for p in cable.paragraphs)
    assert "The ministry expects the economy to grow by three percent this year." in body
    assert cable.paragraphs[-1].text == "Comment: we expect little progress. End comment."
    assert "Back to index" not in body
    assert cable.signature == "DOE"


_UNNUMBERED = (
    "The minister said the talks would resume next week.",
    "The press reported the meeting at length.",
)


def test_empty_layout_divs_keep_the_blank_lines_between_paragraphs() -> None:
    text = telegram(post="VALDERRA", serial=77, paragraphs=_UNNUMBERED)
    blocks = "\n".join(f"<p>{html.escape(block)}</p>" for block in text.strip().split("\n\n"))
    page = (
        "<html><body><div class='nav'>Home</div><div class='clear'></div>\n"
        f"{blocks}\n<div class='clear'></div><div>Archive</div></body></html>"
    )
    body = "\n".join(p.text for p in parse_cable(page, source="page.html").paragraphs)
    assert "next week.\nThe press" not in body
    assert "next week.\n\n" in body
