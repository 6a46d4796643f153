"""Lay a release document out as plain text, HTML and PDF.

The renderers add no words of their own: every string comes from the document
(``releases.document.reading_order`` lists them), so verification can account
for every character of every output.  The PDF is WeasyPrint's rendering of the
HTML page, with its metadata taken from the page's head (released fields only).

In print (the PDF) the page line heads and the UNCLASSIFIED banner foots every
page, in the page margins; the page line and banner that open and close the HTML
page are not printed, so that no page carries the banner twice.  A paragraph's
number and portion mark are joined to its first word by no-break spaces, so a
line never ends after "4." or "(C)".  Headings are heading elements, kept with the
paragraph after them.  The approval page shows the release body through the same
template (``releases/_release_body.html``) and the same context (``html_context``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from releases.document import (
    BANNER,
    DECLASSIFIED,
    STRUCK_NOTE,
    Box,
    Piece,
    ReleaseDocument,
    paragraph_reading,
    pieces_text,
    struck,
)

Renderer = Callable[[ReleaseDocument], bytes]

GENERATOR = "Declass"
BASE_CSS = """
body { font-family: "DejaVu Sans Mono", monospace; font-size: 10pt; line-height: 1.35;
       max-width: 50rem; margin: 1rem auto; color: #000; background: #fff; }
* { font-weight: normal; font-style: normal; }
p { margin: 0 0 0.6em 0; }
.banner { text-align: center; letter-spacing: 0.2em; }
.stamp { border: 2px solid #000; padding: 0.2em 0.5em; display: inline-block; }
.authority { border: 1px solid #000; padding: 0.3em 0.5em; margin: 0.6em 0; }
.authority p { margin: 0; }
.header p { margin: 0; }
.paragraphs, .signature { margin-top: 1em; }
.para { white-space: pre-wrap; overflow-wrap: anywhere; }
.redaction { border: 1px solid #000; background: #e6e6e6; padding: 0 0.2em; white-space: nowrap; }
.withheld-line { text-decoration: underline; }
.prefix { white-space: nowrap; }
h2.heading { font-size: 10pt; margin: 1.2em 0 0.6em 0; text-decoration: underline;
             white-space: pre-wrap; overflow-wrap: anywhere; bookmark-level: none;
             break-after: avoid; page-break-after: avoid; }
s { text-decoration: line-through; }
@media print { .page-line, .banner { display: none; } body { max-width: none; margin: 0; } }
"""


# One font, one weight: WeasyPrint subsets each font face it embeds, which is most of
# the time a PDF takes.
_MARGIN_FONT = 'font-family: "DejaVu Sans Mono", monospace; font-weight: normal;'


def css_string(text: str) -> str:
    """``text`` as a CSS string literal: anything but letters, digits and spaces escaped."""
    safe = (c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} " for c in text)
    return '"' + "".join(safe) + '"'


def release_css(doc: ReleaseDocument) -> str:
    """The page's stylesheet: the base style and, for print, the page line on every page."""
    return BASE_CSS + (
        "@page { size: Letter; margin: 2cm;\n"
        f"  @top-center {{ content: {css_string(doc.page_line)}; {_MARGIN_FONT} font-size: 8pt }}\n"
        f"  @bottom-center {{ content: {css_string(BANNER)}; {_MARGIN_FONT} }} }}\n"
    )


NBSP = "\u00a0"


def _pieces(pieces: tuple[Piece, ...], *, strip: bool = False) -> list[dict[str, str]]:
    """Pieces for the template; ``strip``: without the whitespace before the first
    and after the last (a paragraph's own line breaks there would leave its number
    alone on a line)."""
    out = [{"box": p.label} if isinstance(p, Box) else {"text": p} for p in pieces]
    if strip and out:
        if "text" in out[0]:
            out[0] = {"text": out[0]["text"].lstrip()}
        if "text" in out[-1]:
            out[-1] = {"text": out[-1]["text"].rstrip()}
    return [x for x in out if x.get("text", True)]


def html_context(doc: ReleaseDocument) -> dict[str, object]:
    return {
        "doc": doc,
        "banner": BANNER,
        "declassified": DECLASSIFIED,
        "note": STRUCK_NOTE["html"],
        "generator": GENERATOR,
        "keywords": ", ".join(doc.keywords),
        # Built from escaped CSS strings only.
        "css": mark_safe(release_css(doc)),  # nosec B308 B703
        "header": [
            {"name": f.name, "pieces": _pieces(f.pieces), "struck": f.struck} for f in doc.header
        ],
        "paragraphs": [
            {
                "ordinal": p.ordinal,
                "heading": p.heading,
                # "4.\u00a0(C)": the number, mark and first word never part at a line end.
                "prefix": p.prefix.replace(" ", NBSP),
                "pieces": _pieces(p.pieces, strip=True),
                "withheld": f"[{p.withheld_line}]" if p.withheld else "",
            }
            for p in doc.paragraphs
        ],
        "signature": _pieces(doc.signature),
    }


def render_body(doc: ReleaseDocument) -> SafeString:
    """The release's body (banner to closing banner) as the HTML release lays it out:
    what the approval page shows (``releases.preview``)."""
    return render_to_string("releases/_release_body.html", html_context(doc))


def render_html(doc: ReleaseDocument) -> bytes:
    return render_to_string("releases/release_document.html", html_context(doc)).encode()


def render_text(doc: ReleaseDocument) -> bytes:
    """Plain text, paragraphs keeping the original line breaks; boxes read ``[label]``."""
    head = [doc.page_line, BANNER, doc.stamp, "", *doc.authority_lines, ""]
    head += [DECLASSIFIED, STRUCK_NOTE["text"]]
    for f in doc.header:
        value = pieces_text(f.pieces, "text")
        head.append(f"{f.name}: {struck(value, 'text') if f.struck else value}")
    blocks = ["\n".join(head)]
    blocks += [_strip_lines(paragraph_reading(p, "text")) for p in doc.paragraphs]
    if doc.signature:
        blocks.append(pieces_text(doc.signature, "text"))
    blocks.append(f"{BANNER}\n{doc.page_line}")
    return ("\n\n".join(blocks) + "\n").encode()


def _strip_lines(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def render_pdf(doc: ReleaseDocument) -> bytes:
    """WeasyPrint's PDF of the HTML page (title, author, subject, keywords from its head)."""
    from weasyprint import HTML

    return HTML(string=render_html(doc).decode()).write_pdf()


RENDERERS: dict[str, tuple[str, str, Renderer]] = {
    # name: (file name, content type, renderer)
    "text": ("release.txt", "text/plain; charset=utf-8", render_text),
    "html": ("release.html", "text/html; charset=utf-8", render_html),
    "pdf": ("release.pdf", "application/pdf", render_pdf),
}
