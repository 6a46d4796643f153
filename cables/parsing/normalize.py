"""Turn whatever was received (telegram text, an archive HTML page, a Markdown
scrape) into plain telegram lines, and refuse input that is not text at all.

Why a separate step: every later pattern is written for telegram lines, so
format quirks (tags, entities, Markdown escapes, hard-break markers) are
removed once here instead of being tolerated everywhere.  Only the standard
library is used; HTML is stripped with regular expressions because archive
pages are simple and a tag stripper never raises on broken markup.
"""

from __future__ import annotations

import html
import re

from cables.parsing import fields as f
from cables.parsing.body import ends_the_telegram
from cables.parsing.markers import PARAGRAPH_ONE_RE, match_marker
from cables.parsing.model import ParseError

# --- readability -----------------------------------------------------------------

_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")


def check_readable(text: str, source: str) -> None:
    """Raise ParseError for empty or binary input (the caller cannot parse it)."""
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}", source=source, line=None)
    if not text.strip():
        raise ParseError("empty cable: no text at all", source=source, line=1)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise ParseError("contains NUL bytes: binary data, not a cable", source=source, line=line)
    sample = text[:1024]  # binary data shows in its first KB; scanning more costs time
    bad = len(_CONTROL_RE.findall(sample))
    if bad > 8 and bad > len(sample) // 20:
        first = _CONTROL_RE.search(sample)
        line = sample.count("\n", 0, first.start() if first else 0) + 1
        raise ParseError(
            f"{bad} control or replacement characters in the first {len(sample)}: "
            "binary data, not a cable",
            source=source,
            line=line,
        )


# --- format detection --------------------------------------------------------------

_HTML_DOC_RE = re.compile(r"<(?:!doctype\s+html|html|body|pre)\b", re.I)
_HTML_TAG_RE = re.compile(
    r"</?(?:br|p|div|a|span|table|tr|td|th|code|pre|h[1-6]|li|ul|ol|b|i|em|strong)\b[^<>]*>",
    re.I,
)
_MD_FENCE_RE = re.compile(r"^\s{0,3}(?:```|~~~)", re.M)
_MD_LINK_RE = re.compile(r"!?\[[^\]\n]{1,200}\]\((?:[^()\s]|\([^()\s]*\))*\)")
_MD_HEADING_RE = re.compile(r"[ ]{0,3}#{1,6}[ \t]+\S")
# A table's separator row ("|---|---|", "| :-- | --- |"): no telegram draws one.
_MD_TABLE_RULE_RE = re.compile(r"^[ \t]{0,3}\|?[ \t]*:?-{3,}:?[ \t]*\|[ \t:|-]*$", re.M)
_MD_BOLD_RE = re.compile(r"(\*\*|__)(?=\S)([^*_\n]{1,300}?)(?<=\S)\1")
_MD_BACKSLASH_EOL_RE = re.compile(r"\\[ \t]*$", re.M)
# A paragraph number escaped at a line start ("1\. (C)", "- 2\. (U)"): HTML-to-Markdown
# converters escape it so that it does not become a numbered list, and telegrams never
# write it, so one such line is enough (converted pages often have no heading or link).
_MD_ESCAPED_NUMBER_RE = re.compile(r"^[ \t]{0,3}(?:[-*+][ \t]+)?\u00b6?[ \t]*\d{1,3}\\\.", re.M)


def detect_format(text: str) -> str:
    """'html', 'markdown' or 'text', from markup that raw telegrams never contain.

    Why the single-character tests: ``c in text`` is a memchr and costs about
    a microsecond (a two-character search such as ``"\\." in text`` costs ten),
    while each regular expression scans the whole text; plain telegrams, nearly
    all of the input, should cost almost nothing here.
    """
    escaped = "\\" in text and "\\." in text and _MD_ESCAPED_NUMBER_RE.search(text) is not None
    table = "|" in text and "-|" in text and _MD_TABLE_RULE_RE.search(text) is not None
    if "<" in text and (
        _HTML_DOC_RE.search(text)
        # A Markdown scrape may keep the page's <br> tags (also inside a table's cell, the
        # whole cable in one row): its escapes or its table's rule say what it is.
        or (len(_HTML_TAG_RE.findall(text, 0, 200_000)) >= 2 and not escaped and not table)
    ):
        return "html"
    strong = (
        ("`" in text or "~" in text)
        and ("```" in text or "~~~" in text)
        and _MD_FENCE_RE.search(text) is not None
    ) or ("]" in text and "](" in text and _MD_LINK_RE.search(text) is not None)
    strong = strong or table
    if strong or escaped:
        return "markdown"
    if ">" in text and _mostly_quoted(text):
        return "markdown"
    # Weaker signs count only together: telegrams do contain "**LINK BREAK**".
    weak = (
        ("#" in text and _has_heading(text))
        + (
            ("*" in text or "_" in text)
            and ("**" in text or "__" in text)
            and _MD_BOLD_RE.search(text) is not None
        )
        + ("\\" in text and text.count("\\") >= 3 and len(_MD_BACKSLASH_EOL_RE.findall(text)) >= 3)
    )
    return "markdown" if weak >= 2 else "text"


_MIN_QUOTED_LINES = 5


def _mostly_quoted(text: str) -> bool:
    """A scrape quoting the whole cable in a Markdown blockquote ("> C O N F I D E N ...").

    Half the lines or more start with ">"; a telegram quoting a few lines of an
    e-mail that way stays text.  Counted with str.count, not a pattern per line.
    """
    quoted = text.count("\n>") + text.startswith(">")
    if quoted < _MIN_QUOTED_LINES:
        return False
    blank = text.count("\n\n") + text.count("\n\r\n")
    lines = text.count("\n") + 1 - blank
    return quoted * 2 >= lines


def _has_heading(text: str) -> bool:
    """A Markdown heading line ("# Cable ..."); "#" elsewhere (FL3 "#0123") does not count."""
    k = text.find("#")
    while k >= 0:
        start = text.rfind("\n", 0, k) + 1
        if not text[start:k].strip(" ") and k - start <= 3 and _MD_HEADING_RE.match(text, start):
            return True
        k = text.find("#", k + 1)
    return False


# --- entities ----------------------------------------------------------------------

# Only entities closed by ";" are decoded: telegrams use a bare "&" for quotes
# ("&very good news,8") and html.unescape would turn "&not" or "&para" into symbols.
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


# An entity escaped a second time ("&amp;#x000A;", "&amp;nbsp;"): a mirror that escaped
# the archive's already escaped page.
_DOUBLE_ESCAPED_RE = re.compile(
    r"&amp;(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|nbsp|quot|apos|amp|para);"
)


def decode_entities(text: str) -> str:
    """Decode HTML entities closed by ";" (named and numeric, incl. "&#x000A;"); twice
    when they were escaped twice ("&amp;#x000A;"), as the mirror's page then shows them
    once, which no cable's text holds (its newlines and spaces would be lost)."""
    if "&" not in text:
        return text
    decoded = _ENTITY_RE.sub(_unescape, text)
    if "&amp;" in text and _DOUBLE_ESCAPED_RE.search(text) is not None:
        decoded = _ENTITY_RE.sub(_unescape, decoded)
    return decoded


def _unescape(m: re.Match[str]) -> str:
    return html.unescape(m.group(0))


# --- HTML --------------------------------------------------------------------------

_HTML_COMMENT_RE = re.compile(r"<!--.*?(?:-->|$)", re.S)
_HTML_DROP_RE = re.compile(
    r"<(script|style|head|title|noscript|template|footer|nav)\b[^>]*>.*?(?:</\1\s*>|$)",
    re.S | re.I,
)
_HTML_PRE_RE = re.compile(r"<pre\b[^>]*>(.*?)(?:</pre\s*>|$)", re.S | re.I)
_HTML_BR_RE = re.compile(r"<br\b[^<>]*>[ \t]*\n?", re.I)
_HTML_BLOCK_RE = re.compile(
    r"</?(?:p|div|tr|li|ul|ol|dl|dt|dd|h[1-6]|table|tbody|thead|blockquote|section|article|"
    r"header|footer|nav|main|hr|pre|code)\b[^<>]*>",
    re.I,
)
_HTML_CELL_RE = re.compile(r"</?(?:td|th)\b[^<>]*>", re.I)
_HTML_LINK_JOIN_RE = re.compile(r"</a\s*>(?=\s*<a\b)", re.I)
_HTML_TAG_ANY_RE = re.compile(r"<(?:[A-Za-z][^<>]*|/[A-Za-z][^<>]*|![^<>]*|\?[^<>]*)>")


def html_to_text(page: str) -> str:
    """The cable text of an archive page.

    Archive pages put the routing header and the body in separate ``<pre>``
    blocks; everything outside them is site chrome (navigation, a metadata
    table whose classification must not be read as the cable's), so when
    ``<pre>`` blocks exist only they are kept, one blank line apart.  When the
    ``<pre>`` blocks hold no paragraph 1 but the page around them does (a mirror
    that preformats only the header), the whole page is read, in order.
    """
    page = _HTML_COMMENT_RE.sub("", page)
    page = _HTML_DROP_RE.sub("", page)
    blocks = _HTML_PRE_RE.findall(page)
    if not blocks:
        return _html_fragment(_without_site_footer(page) if "footer" in page else page)
    inside = _html_fragment("\n\n".join(blocks), preformatted=True)
    if _has_paragraph_one(inside) or not _has_paragraph_one(_html_fragment(_outside_pre(page))):
        record = _html_table_record(page) if _RECORD_HINT_RE.search(page) else []
        return "\n".join([*record, "", inside]) if record else inside
    return _pre_and_around(page)


# An element the site names its footer ("<div class='footer'>", id="site-footer"): from
# there to the page's end is site text, however its elements nest.
_HTML_FOOTER_START_RE = re.compile(
    r"<(?:div|section|p|span|ul|table)\b[^<>]*\b(?:class|id)\s*=\s*['\"]?[^'\"<>]*\bfooter\b",
    re.I,
)


def _without_site_footer(page: str) -> str:
    """The page cut at its first footer element below the cable (below paragraph 1).

    Why: a page without ``<pre>`` is read whole, and a footer ``<div>`` ("Search the
    library") became the last paragraph's text and hid the signer's name above it.
    """
    for footer in _HTML_FOOTER_START_RE.finditer(page):
        above = page[: footer.start()]
        if _has_paragraph_one(_html_fragment(above)):
            return above
    return page


# A page writing each line of the cable as an element of its own ("<p class=MsoPlainText>
# ...</p>", "<div>...</div>"), a blank line as an empty one ("<p>&nbsp;</p>", "<div><br>
# </div>"): the seam between two such elements is one line break, not a blank line.
_HTML_LINE_SEAM_RE = re.compile(r"</(?:p|div)\s*>[ \t]*\r?\n?[ \t]*<(?:p|div)\b[^<>]*>", re.I)
_MIN_EMPTY_LINES = 2
# An empty element standing for a blank line between two of its kind ("</p><p>&nbsp;</p><p"):
# a layout's empty <div> beside other elements (a clearfix) is no line of the text.
_HTML_EMPTY_SEAM_RE = re.compile(
    r"</(p|div)\s*>\s*<\1\b[^<>]*>\s*(?:&nbsp;|&#160;|\xa0|<br\b[^<>]*>)?\s*</\1\s*>\s*(?=<\1\b)",
    re.I,
)
_HTML_TABLE_RE = re.compile(r"<table\b.*?</table\s*>", re.I | re.S)


def _html_fragment(html_text: str, *, preformatted: bool = False) -> str:
    """Plain lines of a piece of HTML: tags out, entities decoded."""
    line_elements = not preformatted and _lines_as_elements(html_text)
    if not preformatted and _HTML_BR_RE.search(html_text):
        # Flowing HTML: source newlines are only whitespace; <br>/<p> make lines.
        html_text = html_text.replace("\r\n", "\n").replace("\n", " ")
    if line_elements:
        html_text = _HTML_LINE_SEAM_RE.sub("\n", html_text)
    html_text = _HTML_BR_RE.sub("\n", html_text)
    html_text = _HTML_BLOCK_RE.sub("\n", html_text)
    html_text = _HTML_CELL_RE.sub(" ", html_text)
    html_text = _HTML_LINK_JOIN_RE.sub(" ", html_text)  # TAGS as adjacent links stay apart
    html_text = _HTML_TAG_ANY_RE.sub("", html_text)
    return decode_entities(html_text)


# A page's metadata table: "Reference ID | Created | Released | Classification | Origin"
# over a row of values (a leaked-cable page), or each label beside its value.  Only the
# date and the origin are taken: the table's classification is the site's, not the cable's.
_RECORD_HINT_RE = re.compile(r"Reference[ _]ID|Created|Origin", re.I)
_HTML_ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)(?=<tr\b|</table\s*>|$)", re.S | re.I)
_HTML_ROW_CELL_RE = re.compile(r"<t[hd]\b[^>]*>(.*?)(?=</?t[hd]\b|</tr\s*>|$)", re.S | re.I)
_RECORD_LABELS = {"reference id": "Reference ID", "created": "Created", "origin": "Origin"}
_RECORD_LINE_RES = {
    "Reference ID": f.PAGE_REFERENCE_ID_RE,
    "Created": f.ARCHIVE_ISO_DATE_RE,
    "Origin": f.PAGE_ORIGIN_RE,
}


def _html_table_record(page: str) -> list[str]:
    """The "Reference ID", "Created" and "Origin" lines of the page's metadata table, outside
    its ``<pre>`` blocks.

    Why: a cable published without routing lines ("a partial extract") is dated and
    placed only by that table, and only the ``<pre>`` text is read; undated, it had no
    reference id either.
    """
    outside = _outside_pre(page)
    # The first table that is a record: a "Related cables" table further down names
    # other cables (their ids, their dates), never this one.
    for table in _HTML_TABLE_RE.findall(outside) or [outside]:
        rows = [
            [_html_fragment(cell).strip() for cell in _HTML_ROW_CELL_RE.findall(row)]
            for row in _HTML_ROW_RE.findall(table)
        ]
        if rows:
            if record := _table_record_lines(rows):
                return record
            continue
        if "|" in table:  # a Markdown scrape around a <pre> block: pipe rows
            rows = _pipe_rows([line for line in table.split("\n") if _MD_TABLE_ROW_RE.match(line)])
            return _table_record_lines(rows)
    return []


def _table_record_lines(rows: list[list[str]]) -> list[str]:
    """The lines "Label: value" for the labels a metadata table's rows give (labels over a
    row of values, or a label beside its value), each when its value reads as one."""
    found: dict[str, str] = {}
    for i, cells in enumerate(rows):
        labels = [cell.rstrip(":").strip().lower() for cell in cells]
        for at, key in enumerate(labels):
            label = _RECORD_LABELS.get(key)
            if label is None or label in found:
                continue
            beside = cells[1] if at == 0 and len(cells) == 2 else ""
            # A row of labels over a row of values: any row of three cells or more, a row of
            # two only when both are labels (else "Created | 2006-02-10" beside each other
            # would take the next row's text for a value).
            heading = len(cells) > 2 or all(k in _RECORD_LABELS for k in labels)
            over = heading and i + 1 < len(rows) and len(rows[i + 1]) == len(cells)
            below = rows[i + 1][at] if over else ""
            for value in (beside, below):
                line = f"{label}: {' '.join(value.split())}"
                if _RECORD_LINE_RES[label].match(line):
                    found[label] = line
                    break
    return list(found.values())


def _lines_as_elements(html_text: str) -> bool:
    """The page writes a line per element: empty elements stand for its blank lines.

    Why: read as blocks, each seam became a blank line, and every paragraph's lines
    were set apart by two blank lines ("the minister said\n\n\nthe talks ...").
    A page with a paragraph per ``<p>`` writes no empty ones and keeps its blank lines.
    """
    lowered = "</p" in html_text or "</P" in html_text or "</div" in html_text
    if not lowered and "</DIV" not in html_text:
        return False
    return len(_HTML_EMPTY_SEAM_RE.findall(html_text)) >= _MIN_EMPTY_LINES


def _outside_pre(page: str) -> str:
    return _HTML_PRE_RE.sub("\n", page)


def _pre_and_around(page: str) -> str:
    """The whole page in order, each ``<pre>`` block with its own line breaks."""
    pieces: list[str] = []
    at = 0
    for block in _HTML_PRE_RE.finditer(page):
        pieces.append(_html_fragment(page[at : block.start()]))
        pieces.append(_html_fragment(block.group(1), preformatted=True))
        at = block.end()
    pieces.append(_html_fragment(page[at:]))
    return "\n".join(pieces)


def _has_paragraph_one(text: str) -> bool:
    return any(PARAGRAPH_ONE_RE.match(line) for line in text.split("\n"))


# --- Markdown ----------------------------------------------------------------------

_MD_FENCE_LINE_RE = re.compile(r"^\s{0,3}(```|~~~)")
_MD_HEADING_LINE_RE = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$")
_MD_IMAGE_INLINE_RE = re.compile(r"!\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_LINK_INLINE_RE = re.compile(r"\[([^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
# A link right after another ("[PREL](/tag/PREL)[PGOV](/tag/PGOV)", "[PREL][1][PGOV][2]":
# a page's TAGS as adjacent links): a space between them, or their texts are one word.
_MD_ADJACENT_LINKS_RE = re.compile(r"\)(?=!?\[[^\]\n]*\]\()")
_MD_ADJACENT_REFLINKS_RE = re.compile(r"(\[[^\]\n]+\]\[[^\]\n]*\])(?=\[[^\]\n]+\]\[)")
_MD_REFLINK_RE = re.compile(r"\[([^\]\n]+)\]\[[^\]\n]*\]")
_MD_AUTOLINK_RE = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")
_MD_ITALIC_RE = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]{1,300}?)(?<=\S)\*(?![\w*])")
# "_(C)_", "_EXAMPLE TALKS_": emphasis with underscores, never inside a word (KNNP_IAEA).
_MD_UNDERSCORE_ITALIC_RE = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]{1,300}?)(?<=[^\s_])_(?![\w_])")
_MD_CODE_RE = re.compile(r"`([^`\n]+)`")
# CommonMark lets any ASCII punctuation be escaped, and converters escape more than the
# characters Markdown needs ("E\.O\. 12958\: DECL\:", "S\/\/NF", "\"quoted\"").
_MD_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_MD_ESCAPE_RE = re.compile(f"\\\\([{re.escape(_MD_PUNCTUATION)}])")
_MD_QUOTE_RE = re.compile(r"^\s{0,3}>\s?")
_MD_RULE_RE = re.compile(r"^\s{0,3}(?:\*\s*){3,}$|^\s{0,3}(?:_\s*){3,}$")
_MD_HARD_BREAK_RE = re.compile(r"(?:\\|[ \t]{2,})$")
_MD_LINKREF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s+\S+")
# A table row ("| Date | 2006-02-10 |", "|---|---|"): a scraper's metadata, never telegram text.
_MD_TABLE_ROW_RE = re.compile(r"^\s{0,3}\|.*\|\s*$")
_MD_BREAK_RE = re.compile(r"^\s{0,3}-{3,}\s*$")
# A list marker before a paragraph marker ("- 1\. (C)", "* (U)"): a converter's list
# item.  Elsewhere a leading dash is kept, since it is as likely the cable's own bullet.
_MD_LIST_BEFORE_MARKER_RE = re.compile(
    r"^[ \t]{0,3}[-*+][ \t]+(?=\u00b6?[ \t]*(?:\d{1,3}\\?\.|[A-Z]\\?\.[ \t]*\\?\(|\\?\())"
)


def markdown_to_text(doc: str) -> str:
    """The cable text of a Markdown scrape: markup removed, fenced text kept as is.

    Line structure is kept (Markdown soft wraps are the telegram's own line
    breaks); hard-break markers (trailing backslash, two spaces, a kept ``<br>``)
    are dropped, and so are table rows and thematic breaks: a scrape's metadata is
    not the cable's text.  When the fences hold the whole cable (its classification line and
    paragraph 1), only fenced text is kept (one blank line between blocks), as
    ``<pre>`` blocks are of an HTML page: what is around them is the site's (a
    metadata list, a footer), which would become paragraphs.
    """
    if "<" in doc:
        if "<!--" in doc:
            doc = _HTML_COMMENT_RE.sub(_as_many_newlines, doc)
        if "|" in doc:
            doc = _MD_ROW_WITH_BREAKS_RE.sub(_broken_cells, doc)
        doc = _HTML_BR_RE.sub("\n", doc)  # a scrape that kept the page's line breaks
    out: list[str] = []
    fenced: list[str] = []
    in_fence = False
    previous = ""
    rule_at = -1  # where in ``out`` the last thematic break outside a fence stood
    table: list[tuple[int, str]] = []  # table rows outside fences, with their place in ``out``
    lines = doc.split("\n")
    code = _indented_cable(lines) if "\n    " in doc or "\n\t" in doc else frozenset()
    front_end = _front_matter_end(lines) if doc.startswith("---") else -1
    for i, line in enumerate(lines):
        if i <= front_end:
            table.append((len(out), _front_matter_row(line)))  # read as a table's rows are
            out.append("")
            continue
        if i in code:
            line = line[1:] if line[:1] == "\t" else line[4:]
            out.append(line)
            fenced.append(line)
            continue
        if _MD_FENCE_LINE_RE.match(line):
            in_fence = not in_fence
            if not in_fence:
                fenced.append("")
            continue
        if in_fence:
            parts = _fenced_lines(line) if "&" in line else [line]
            out.extend(parts)
            fenced.extend(parts)
        elif line[:4].lstrip(" ")[:1] == "|" and _MD_TABLE_ROW_RE.match(line):
            table.append((len(out), line))
            out.append("")  # kept as a blank line: later line numbers stay the document's
        elif "](#" in line and _MD_ANCHOR_LINKS_ONLY_RE.match(line):
            out.append("")  # "[Back to top](#top)": the page's navigation, no cable text
        elif line[:4].lstrip(" ")[:1] == "<" and _MD_TAGS_ONLY_RE.match(line):
            out.append("")  # raw HTML around the text ("<details>", "</div>"): no words
        elif not previous.strip() and _MD_BREAK_RE.match(line):
            rule_at = len(out)
            out.append("")  # "---" after a blank line: a break, not a heading's underline
        elif _MD_RULE_RE.match(line):
            rule_at = len(out)
        elif not _MD_LINKREF_DEF_RE.match(line):
            out.append(_markdown_line(line))
        previous = line
    record = _markdown_table_record(table) if table else []
    if len(fenced) >= _MIN_FENCED_LINES and _holds_the_cable(fenced):
        return "\n".join([*record, "", *fenced] if record else fenced)
    if record:
        _put_above_the_cable(out, [at for at, _ in table], record)
    if rule_at >= 0:
        _blank_footer(out, rule_at)
    return "\n".join(out)


# A line of links to places on the same page only ("[Back to top](#top) | [Print](#)"):
# cables link other cables by address, never by anchor, so this is the site's.
_MD_ANCHOR_LINKS_ONLY_RE = re.compile(r"^[ \t]{0,3}(?:\[[^\]\n]*\]\(#[^()\s]*\)[ \t|\u00b7-]*)+$")
# A line of raw HTML tags only ("<details>", "</div>", "<a id='par1'></a>"), which
# Markdown passes through: the page's structure, not the cable's words.
_MD_TAGS_ONLY_RE = re.compile(
    r"^[ \t]{0,3}(?:</?(?:details|summary|div|span|p|a|br|hr|section|article|center|font|b|i|u|"
    r"em|strong|small|sup|sub|img|blockquote|table|tbody|thead|tr|td|th|ul|ol|li)\b[^<>]*>"
    r"[ \t]*)+$",
    re.I,
)


def _as_many_newlines(comment: re.Match[str]) -> str:
    """An HTML comment in a scrape, removed with its lines kept blank (line numbers stay)."""
    return "\n" * comment.group(0).count("\n")


def _put_above_the_cable(out: list[str], blanks: list[int], record: list[str]) -> None:
    """The record's lines in the blanked table rows above paragraph 1 (line numbers stay);
    none when the table is below it (a footer), where they would join the last paragraph."""
    first = next((i for i, line in enumerate(out) if PARAGRAPH_ONE_RE.match(line)), len(out))
    above = [at for at in blanks if at < first]
    if len(above) >= len(record):
        for at, line in zip(above, record, strict=False):
            out[at] = line


_FRONT_MATTER_REACH = 40
_FRONT_MATTER_KEY_RE = re.compile(r"^\s*([A-Za-z][A-Za-z _-]{0,30}?)\s*:\s*(.*?)\s*$")
_FRONT_MATTER_CLOSE = ("---", "...")


def _front_matter_end(lines: list[str]) -> int:
    """Index of the line closing the scrape's front matter ("---", YAML keys, "---"),
    or -1 when the document opens with none."""
    if lines[0].strip() != "---":
        return -1
    for i in range(1, min(len(lines), _FRONT_MATTER_REACH)):
        s = lines[i].strip()
        if s in _FRONT_MATTER_CLOSE:
            return i if i > 1 else -1
        if s and not _FRONT_MATTER_KEY_RE.match(lines[i]) and not s.startswith("- "):
            return -1
    return -1


def _front_matter_row(line: str) -> str:
    """A front matter line ("created: '2006-02-10 15:30'") as a table row's cells."""
    key = _FRONT_MATTER_KEY_RE.match(line)
    if key is None:
        return ""
    label = key.group(1).replace("_", " ").replace("-", " ")
    return f"| {label} | {key.group(2).strip(chr(34) + chr(39))} |"


def _markdown_table_record(table: list[tuple[int, str]]) -> list[str]:
    """The "Reference ID", "Created" and "Origin" lines of a scrape's metadata table.

    Why: a scrape keeping the leaked-cable page's table in pipes ("| Reference ID |
    Created | ... |" over its values) and fencing the cable below it dropped the only
    date and origin of a cable published without routing lines.
    """
    if not any(_RECORD_HINT_RE.search(line) for _, line in table):
        return []
    return _table_record_lines(_pipe_rows([line for _, line in table]))


def _pipe_rows(lines: list[str]) -> list[list[str]]:
    """The cells of Markdown table rows ("| Created | 2006-02-10 15:30 |"), rules left out."""
    return [
        [_markdown_line(cell).strip() for cell in line.strip().strip("|").split("|")]
        for line in lines
        if not _MD_TABLE_RULE_RE.match(line)
    ]


# A table row with line breaks in a cell ("| Message Text: | CONFIDENTIAL<br>PAGE 01 ...
# |"): an archive's record (NARA's AAD) holding the whole cable in one cell.
_MD_ROW_WITH_BREAKS_RE = re.compile(r"^[ \t]{0,3}\|[^\n]*<br\b[^\n]*\|[ \t]*$", re.M | re.I)
_MD_CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")


def _broken_cells(row: re.Match[str]) -> str:
    """The cable a row's cell holds, without the row's pipes and label cell; a blank line
    for a row holding no cable ("| Concepts: | FISHING<br>NEGOTIATIONS |").

    Why: split at its breaks, the row kept "| Message Text: |" before the cable's first
    line and "|" after its last, which joined the archive's next rows to the last
    paragraph and hid the signer's name.
    """
    cells = _MD_CELL_SPLIT_RE.split(row.group(0).strip().strip("|"))
    for cell in cells:
        lines = _HTML_BR_RE.sub("\n", cell.strip()).split("\n")
        if len(lines) >= _MIN_FENCED_LINES and _holds_a_cable_line(lines):
            return cell.strip()
    return ""


def _holds_a_cable_line(lines: list[str]) -> bool:
    """A classification line (with post and serial) or paragraph 1 is among ``lines``."""
    return any(
        PARAGRAPH_ONE_RE.match(line)
        or (
            line.lstrip()[:1] in f.BANNER_FIRST
            and (found := f.read_banner(line)) is not None
            and found.full
        )
        for line in lines
    )


_MAX_FOOTER_LINES = 3


def _blank_footer(out: list[str], rule_at: int) -> None:
    """A scrape's footer below its last thematic break ("* * *" then "Scraped from ..."),
    blanked when the cable (paragraph 1) is above it and nothing of a cable is below:
    a few mixed-case lines, no marker, no classification line, no upper-case name.

    Why: glued to the last paragraph, the site's words became cable text and hid the
    signer's name above them.  Blanked, not removed: later line numbers stay the
    document's.
    """
    below = [i for i in range(rule_at, len(out)) if out[i].strip()]
    if not below or len(below) > _MAX_FOOTER_LINES:
        return
    for i in below:
        s = out[i].strip()
        if len(s) > 200 or PARAGRAPH_ONE_RE.match(s) or s[:1] in "(\u00b6" or s[:1].isdigit():
            return
        if not any(c.islower() for c in s):
            return  # "DOE": the signer's name below a rule, written as telegrams are
        if s[:1] in f.BANNER_FIRST and f.read_banner(s) is not None:
            return
    if not any(PARAGRAPH_ONE_RE.match(line) for line in out[:rule_at]):
        return
    for i in below:
        out[i] = ""


def _fenced_lines(line: str) -> list[str]:
    """A fenced line, split at its newline entities ("&#x000A;") and decoded.

    Why: a scrape that fences an archive page's ``<pre>`` text as the page's source
    writes it has the whole cable on one line; read as written, it had no paragraphs.
    """
    if _NEWLINE_ENTITY_RE.search(line) is None:
        return [line]
    return decode_entities(line).split("\n")


_MIN_FENCED_LINES = 3  # a fenced snippet of a line or two is not the cable
_CODE_INDENT = ("    ", "\t")


def _indented_cable(lines: list[str]) -> frozenset[int]:
    """The lines of indented code blocks (four spaces or a tab after a blank line), when
    those blocks hold the whole cable; otherwise none.  A block of the page's below the
    telegram's end is left out (see ``_cable_blocks``).

    Why: a converter that writes ``<pre>`` as an indented block (html2text) left four
    spaces before every continuation line of a paragraph.  Only a block holding the
    cable is read so: a scrape whose own text is indented here and there keeps it.
    """
    blocks = _indented_blocks(lines)
    if sum(len(block) for block in blocks) < _MIN_FENCED_LINES:
        return frozenset()
    if not _holds_the_cable(_unindented(lines, blocks)):
        return frozenset()
    return frozenset(i for block in _cable_blocks(lines, blocks) for i in block)


def _indented_blocks(lines: list[str]) -> list[list[int]]:
    """Each indented code block's line numbers (blank lines inside it included), in order."""
    blocks: list[list[int]] = []
    blank_run: list[int] = []
    in_block = False
    previous_blank = True
    for i, line in enumerate(lines):
        if not line.strip():
            if in_block:
                blank_run.append(i)
            previous_blank = True
            continue
        if line.startswith(_CODE_INDENT) and (in_block or previous_blank):
            if in_block:
                blocks[-1].extend(blank_run)
            else:
                blocks.append([])
            blocks[-1].append(i)
            in_block = True
        else:
            in_block = False
        blank_run = []
        previous_blank = False
    return blocks


def _unindented(lines: list[str], blocks: list[list[int]]) -> list[str]:
    """The blocks' lines without the code block's indent."""
    return [lines[i][4:] if lines[i][:1] == " " else lines[i][1:] for b in blocks for i in b]


def _cable_blocks(lines: list[str], blocks: list[list[int]]) -> list[list[int]]:
    """The blocks down to the telegram's end; a later block that shows nothing of a
    telegram, and every block after it, is the page's.

    Why: a site may indent its own links below the cable ("Back to index", "Next
    cable"); read with the cable they were glued to the signer's name and became a
    last paragraph.  A block after a page break of the site (the text above it not at
    its end, or this block a marked paragraph or the text going on) stays the cable's.
    """
    kept: list[list[int]] = []
    for block in blocks:
        if kept and _below_the_end(_unindented(lines, kept), _unindented(lines, [block])):
            break
        kept.append(block)
    return kept


def _below_the_end(above: list[str], block: list[str]) -> bool:
    """``block`` follows a whole telegram that has ended (signer's name, "NNNN") and no
    line of it reads as a telegram's."""
    return (
        ends_the_telegram(above)
        and not any(_telegram_line(line) for line in block)
        and _holds_the_cable(above)
    )


_PROSE_CHARS = 40
_PROSE_SPACES = 5


def _telegram_line(line: str) -> bool:
    """A line a telegram may hold after a page break: a paragraph marker, a classification
    line, upper-case text ("PAGE 02", "NNNN", a name), a sentence going on (lower case
    first) or a line of prose; a site's short mixed-case links are none of these."""
    s = line.strip()
    if not s:
        return False
    if s[0].islower() or (not any(c.islower() for c in s) and any(c.isalpha() for c in s)):
        return True
    if len(s) >= _PROSE_CHARS and s.count(" ") >= _PROSE_SPACES:
        return True
    if match_marker(s) is not None:
        return True
    return s[0] in f.BANNER_FIRST and f.read_banner(s) is not None


def _holds_the_cable(lines: list[str]) -> bool:
    """The classification line (with post and serial) and paragraph 1 are among ``lines``.

    Scrapes also fence only the routing block, the body following unfenced; then
    the whole document is the cable's and nothing may be dropped.
    """
    banner = any(
        line.lstrip()[:1] in f.BANNER_FIRST
        and (found := f.read_banner(line)) is not None
        and found.full
        for line in lines
    )
    return banner and any(PARAGRAPH_ONE_RE.match(line) for line in lines)


# Escaped characters ("\\*", "1\\.") are parked in the private-use area while
# emphasis and links are removed, so that "\\*word\\*" is not read as emphasis.
_PARK_BASE = 0xE000
_UNPARK = {_PARK_BASE + ord(c): c for c in _MD_PUNCTUATION}
_LIST_FIRST = ("-", "*", "+")


def _markdown_line(line: str) -> str:
    line = _MD_HARD_BREAK_RE.sub("", line)
    line = _MD_QUOTE_RE.sub("", line)
    if line[:4].lstrip(" \t")[:1] in _LIST_FIRST:
        line = _MD_LIST_BEFORE_MARKER_RE.sub("", line)
    if "\\" in line:
        line = _MD_ESCAPE_RE.sub(lambda m: chr(_PARK_BASE + ord(m.group(1))), line)
    heading = _MD_HEADING_LINE_RE.match(line)
    if heading:
        line = heading.group(1)
    if "[" in line:
        if ")[" in line:
            line = _MD_ADJACENT_LINKS_RE.sub(") ", line)
        if "][" in line:
            line = _MD_ADJACENT_REFLINKS_RE.sub(r"\1 ", line)
        line = _MD_IMAGE_INLINE_RE.sub(r"\1", line)
        line = _MD_LINK_INLINE_RE.sub(r"\1", line)
        line = _MD_REFLINK_RE.sub(r"\1", line)
    if "<" in line:
        line = _MD_AUTOLINK_RE.sub(r"\1", line)
    if "*" in line or "_" in line:
        line = _MD_BOLD_RE.sub(r"\2", line)
        line = _MD_ITALIC_RE.sub(r"\1", line)
        if "_" in line:
            line = _MD_UNDERSCORE_ITALIC_RE.sub(r"\1", line)
    if "`" in line:
        line = _MD_CODE_RE.sub(r"\1", line)
    return decode_entities(line).translate(_UNPARK)


# --- common ------------------------------------------------------------------------

_SPACE_LIKE_RE = re.compile(r"[\xa0\u2007\u202f]")
# Zero-width characters, word joiners, BOMs (a file joined from others carries one in
# mid-text) and soft hyphens: invisible, yet they hide a classification line or a
# paragraph marker from every pattern.
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_INVISIBLE_RE = re.compile(f"[{''.join(_INVISIBLE)}]")
# Form feeds and vertical tabs: page breaks of printouts.  At a line start (before
# "PAGE 02 ...") they are dropped; elsewhere they are whitespace.  Never a newline,
# which would move the line numbers errors and paragraphs report.
_PAGE_FEED_START_RE = re.compile(r"(?:^|(?<=\n))[\x0b\x0c]+")
_PAGE_FEED_RE = re.compile(r"[\x0b\x0c]")
# "&#x000A;", "&#10;": a newline written as an entity, as archive pages write the text of
# their <pre> blocks.  A telegram holding one is that page's text saved without its tags,
# and its entities are decoded as the page's would be (rules 7: "decode entities such as
# &#x000A;"); without it the whole cable is one line and its classification line unseen.
# Looked for in the first 4 KB only (the routing lines hold one if any line does): a
# two-character search of a whole cable costs ten microseconds.
_NEWLINE_ENTITY_RE = re.compile(r"&(?:amp;)?#(?:[xX]0*[aA]|0*10);")


def to_lines(text: str, fmt: str) -> list[str]:
    """Plain telegram lines for any input format (newlines unified, NBSP as space,
    invisible characters and page feeds removed).

    Why the guards: ``str.isascii`` is free (a flag CPython keeps), and single
    characters are found by memchr; a regular expression over the whole text costs
    about 20 microseconds a cable, so it runs only when its character is there.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # before a Markdown fence or an HTML tag, too
    if fmt == "text" and "&" in text and _NEWLINE_ENTITY_RE.search(text, 0, 4096) is not None:
        text = decode_entities(text)  # the source of an archive page saved as text
    if "\r" in text:
        # "\r\r\n": a Windows file converted to Windows line endings again.  One line
        # break, not two: read as two, every line of the cable is set off by a blank
        # line, which parts paragraphs and headings where the telegram has none.
        text = text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    if "\x0c" in text or "\x0b" in text:
        text = _PAGE_FEED_RE.sub(" ", _PAGE_FEED_START_RE.sub("", text))
    if fmt == "html":
        text = html_to_text(text)
    elif fmt == "markdown":
        text = markdown_to_text(text)
    if not text.isascii():  # nearly all telegrams hold a "¶" or a curly quote: not free
        text = _unicode_spaces(text)
    return text.split("\n")


def _unicode_spaces(text: str) -> str:
    """NBSP and narrow spaces as spaces, Unicode line separators as newlines, and the
    invisible characters removed (also those entities stood for: "&#8203;", "&shy;").

    "Â¶" and "Â" + NBSP are UTF-8 read as Windows-1252 by a mirror: the "Â" is that
    damage, and before a paragraph number or a mark it hides the paragraph marker.
    """
    if "\u00c2" in text:
        text = text.replace("\u00c2\u00b6", "\u00b6").replace("\u00c2\xa0", " ")
    if "\xa0" in text or "\u2007" in text or "\u202f" in text:
        text = _SPACE_LIKE_RE.sub(" ", text)
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    if any(c in text for c in _INVISIBLE):  # one memchr each; the regex scan costs 20 us
        text = _INVISIBLE_RE.sub("", text)
    return text
