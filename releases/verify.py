"""Verification of a release before publication: automatic, and blocking when it fails.

Two checks, each against what the approved decisions say, recomputed here from the
paragraphs' original text and the decisions rather than taken from the renderers:

1. *Nothing withheld leaks.*  Every fragment of withheld text (``releases.withheld``:
   each redacted span, the span joined to the released text beside it, each withheld
   paragraph and every run of four of its words) that the release does not show
   anyway is searched for, whitespace- and case-insensitively, in every channel of
   every output: the plain text; the HTML page's text, title, meta tags and attribute
   values (tags, attributes and classes must come from a fixed list; comments and
   scripts are refused; the stylesheet must be exactly the release's); the PDF's text
   layer on every page, its document information, and its XMP metadata, outline,
   attachments and annotations, which must be absent.  A fragment the release shows
   legitimately elsewhere (e.g. a redacted "the") cannot be told apart by searching;
   check 2 covers it, and the count of such fragments is reported.  Header fields,
   the signature, the title and the other release fields (taken from the header as
   released, which is checked) are held to a stricter rule, on whole words: no
   redaction, no run of four words of a withheld paragraph and no single withheld
   word unless the released paragraphs show the same words (``header_fragments``).
   And no released paragraph may repeat a redaction or eight words running of a
   withheld paragraph of the same cable, nor (given the corpus's common words) a
   distinctive word of a redaction or proper name of a withheld paragraph in any
   order or case (``repeated_in_released``): that is no fault of the outputs but of
   the decisions, which the reviewers must correct.
2. *The output is exactly the approved release.*  After removing whitespace, the plain
   text, the HTML page's text and the PDF's text layer (less the page line and banner
   each page carries) must equal the release's strings in reading order, with each
   paragraph as the decisions make it: released, boxes in place of its redactions, or
   the line citing its withholding.  Any extra, missing or changed character fails.

3. *A withheld subject stays withheld.*  A subject above UNCLASSIFIED
   (``HeaderIn.subject_level``, its own mark or the cable's level) is a portion the
   reviewers decide (``workflow.subject``): withheld (or not yet decided), it is
   withheld whole; released (``HeaderIn.subject_released``), it is printed and not
   checked here, like an unclassified subject.  Held to that here, from the header as the
   cable has it (``HeaderIn``) and not from the document built for the release: the
   SUBJECT line must be one box, and no distinctive word of the subject (``cables.
   words.distinctive``), nor the subject itself, may appear in any channel (the
   plain text and so the reading room's search text, the HTML page's text, title and
   meta tags, the PDF's text layer and metadata, the release's fields), unless the
   release shows that word anyway by a decision or an addressing field (FM, TO, INFO):
   a word a released paragraph shows was released by its reviewers there, and a post's
   name in the FM line is no secret of the subject's.  The TAGS, REF, signature and
   other header lines get no such pass: the builder boxes the subject's words there
   (``releases.document.subject_fragments``), and verification refuses them unboxed.
   Without this, a document builder that forgot to box the subject would pass check 2,
   which takes the header lines from the document.

Problems name the output, the check and the paragraph, never the withheld text.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from redaction.engine import parse_label
from releases.document import (
    BANNER,
    DECLASSIFIED,
    FURNITURE,
    STRUCK_NOTE,
    SUBJECT_WITHHELD_NOTE,
    Box,
    DecisionIn,
    HeaderIn,
    ParagraphIn,
    ReleaseDocument,
    pieces_text,
    released_fields,
    struck,
)
from releases.numbering import paragraph_prefix, printed_mark
from releases.render import GENERATOR, release_css
from releases.withheld import (
    Fragment,
    HeaderFragment,
    distinctive,
    header_fragments,
    header_leak,
    merged_spans,
    normalize,
    repeated_in_released,
    secret_fragments,
    word_keys,
    word_view,
)


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    fragments_checked: int = 0
    fragments_common: int = 0
    channels: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "problems": self.problems,
            "fragments_checked": self.fragments_checked,
            "fragments_common": self.fragments_common,
            "channels": self.channels,
        }


# -- what the decisions say ---------------------------------------------------------------


def _prefix(p: ParagraphIn) -> str:
    return paragraph_prefix(p.number, printed_mark(p.marking, p.explicit))


def expected_paragraph(p: ParagraphIn, d: DecisionIn, fmt: str) -> str:
    """The paragraph as the decision releases it, straight from its original text; a
    heading in plain text underlined with dashes, as long as its line."""
    line = _expected_line(p, d, fmt)
    if p.heading and fmt == "text":
        return line + "\n" + "-" * len(" ".join(line.split()))
    return line


def _expected_line(p: ParagraphIn, d: DecisionIn, fmt: str) -> str:
    if d.kind == "withhold":
        what = "HEADING" if p.heading and not p.number else f"PARAGRAPH {p.number or p.ordinal}"
        body = f"[{what} WITHHELD IN FULL: {parse_label(d.label)}]"
    elif d.kind == "redact":
        body, cursor = "", 0
        for start, end, label in merged_spans(d.spans):
            body += p.text[cursor:start] + (f"[{label}]" if fmt == "text" else label)
            cursor = end
        body += p.text[cursor:]
    elif d.kind == "release":
        body = p.text
    else:
        raise ValueError(f"paragraph {p.number or p.ordinal}: no releasable decision")
    prefix = _prefix(p)
    return f"{prefix} {body}" if prefix else body


def expected_items(
    doc: ReleaseDocument,
    paragraphs: Sequence[ParagraphIn],
    decisions: Mapping[int, DecisionIn],
    fmt: str,
) -> list[tuple[str, str]]:
    """(what, text) in reading order; paragraphs recomputed from the decisions."""
    items = [("the page line", doc.page_line), ("the banner", BANNER), ("the stamp", doc.stamp)]
    items += [("the review authority box", line) for line in doc.authority_lines]
    items += [("the declassification marking", DECLASSIFIED), ("the legend", STRUCK_NOTE[fmt])]
    for f in doc.header:
        value = pieces_text(f.pieces, fmt)
        line = f"{f.name}: {struck(value, fmt) if f.struck else value}"
        items.append((f"the {f.name} line", line))
    for p in sorted(paragraphs, key=lambda p: p.ordinal):
        items.append(
            (f"paragraph {p.number or p.ordinal}", expected_paragraph(p, decisions[p.id], fmt))
        )
    if doc.signature:
        items.append(("the signature", pieces_text(doc.signature, fmt)))
    items += [("the closing banner", BANNER), ("the closing page line", doc.page_line)]
    return items


def _compare(channel: str, actual: str, items: list[tuple[str, str]], report: Report) -> None:
    """Exact comparison after normalisation; the problem names the first item that differs."""
    text = normalize(actual)
    pos = 0
    for what, expected in items:
        key = normalize(expected)
        if text.startswith(key, pos):
            pos += len(key)
            continue
        report.problems.append(
            f"{channel}: {what} is not as the approved decisions make it "
            f"(differs {len(text) - pos} characters before the end)"
        )
        return
    if pos != len(text):
        report.problems.append(
            f"{channel}: {len(text) - pos} characters after the end of the release "
            "that the approved decisions do not contain"
        )


# -- leaks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Secrets:
    """What no channel may carry: withheld fragments the release does not show anyway,
    and a withheld subject (its text, ``subject_key``, and its distinctive words)."""

    fragments: list[Fragment]
    subject_key: str = ""
    subject_words: frozenset[str] = frozenset()


WITHHELD_SUBJECT = "the withheld subject"


def _leaks(channel: str, text: str, secrets: Secrets, report: Report) -> None:
    haystack = normalize(text)
    seen: set[str] = set()
    for fragment in secrets.fragments:
        if fragment.key in haystack and fragment.where not in seen:
            seen.add(fragment.where)
            report.problems.append(f"{channel}: {fragment.where} appears in it")
    if secrets.subject_key and secrets.subject_key in haystack:
        report.problems.append(f"{channel}: {WITHHELD_SUBJECT} appears in it")
    elif secrets.subject_words:
        found = secrets.subject_words.intersection(k for k, _, _ in word_keys(text))
        if found:
            report.problems.append(
                f"{channel}: {len(found)} distinctive word(s) of {WITHHELD_SUBJECT} appear in it"
            )


# -- the subject ---------------------------------------------------------------------------

_MARK = re.compile(r"^\s*\(\s*[A-Za-z]{1,3}(?:\s*//\s*[A-Za-z0-9 ,/-]+)?\s*\)\s*")


def subject_is_withheld(header: HeaderIn) -> bool:
    """Whether the release must withhold the subject whole: it has one, and the header
    says it is withheld, or it is above UNCLASSIFIED and no decision released it."""
    return bool(header.subject.strip()) and (
        bool(header.subject_withheld) or (header.subject_level > 0 and not header.subject_released)
    )


def _addressing_text(header: HeaderIn) -> str:
    """The header fields that may show a withheld subject's words, as the cable has
    them: the post that sent it (FM) and the posts it went to (TO, INFO), named by their
    cities.  Not TAGS, REF, the signature or the markings: written about the cable's
    matter, they would print the subject's codename unboxed (the builder boxes it there,
    ``releases.document.subject_fragments``)."""
    return " ".join([header.originator, header.origin, *header.to, *header.info])


def subject_secrets(
    header: HeaderIn | None,
    paragraphs: Sequence[ParagraphIn],
    decisions: Mapping[int, DecisionIn],
    common: Collection[str] | None,
) -> tuple[str, frozenset[str]]:
    """(the withheld subject as compared, its distinctive words the release may not
    show) from the cable's header and the decisions, not from the document; nothing
    when the subject is released."""
    if header is None or not subject_is_withheld(header):
        return "", frozenset()
    subject = _MARK.sub("", header.subject)
    released, _ = word_view(paragraphs, decisions)
    shown = {word for run in released for word in run.words}
    shown.update(k for k, _, _ in word_keys(_addressing_text(header) + " " + FURNITURE))
    words = frozenset(
        k for k, _, _ in word_keys(subject) if k not in shown and distinctive(k, common or ())
    )
    released_text = [
        expected_paragraph(p, decisions[p.id], "text")
        for p in paragraphs
        if p.id in decisions and decisions[p.id].kind in ("release", "redact", "withhold")
    ]
    elsewhere = normalize("\n".join([*released_text, _addressing_text(header)]))
    key = normalize(subject)
    return ("" if not key or key in elsewhere else key), words


def _check_subject(doc: ReleaseDocument, header: HeaderIn | None, report: Report) -> None:
    """A withheld subject's line is one box, citing the exemption and saying so."""
    if header is None or not subject_is_withheld(header):
        return
    line = next((f for f in doc.header if f.name == "SUBJECT"), None)
    boxed = (
        line is not None
        and len(line.pieces) == 1
        and isinstance(line.pieces[0], Box)
        and line.pieces[0].label.endswith(SUBJECT_WITHHELD_NOTE)
    )
    if not boxed:
        report.problems.append(
            f"the SUBJECT line is not one box: {WITHHELD_SUBJECT} is above UNCLASSIFIED"
        )


# -- HTML ---------------------------------------------------------------------------------

_TAGS = {"html", "head", "meta", "title", "style", "body", "p", "div", "span", "s", "h2"}
_ATTRS = {"lang", "charset", "name", "content", "class", "data-paragraph"}
_CLASSES = {
    "page-line", "banner", "stamp", "authority", "declassified", "note", "header",
    "paragraphs", "para", "prefix", "redaction", "withheld-line", "signature", "heading",
}  # fmt: skip
# Attributes whose values come from a fixed list; only meta contents carry release text.
_FIXED = {
    "lang": {"en"},
    "charset": {"utf-8"},
    "name": {"author", "description", "keywords", "generator"},
}


class _Page(HTMLParser):
    """Splits an HTML page into the channels that can carry text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.body: list[str] = []
        self.title: list[str] = []
        self.style: list[str] = []
        self.meta: dict[str, str] = {}
        self.attribute_values: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self.problems.append(f"unexpected <{tag}> element")
        for name, value in attrs:
            if name not in _ATTRS:
                self.problems.append(f"unexpected attribute {name!r} on <{tag}>")
            if name == "class" and not set((value or "").split()) <= _CLASSES:
                self.problems.append(f"unexpected class on <{tag}>")
            elif name in _FIXED and value not in _FIXED[name]:
                self.problems.append(f"unexpected {name} on <{tag}>")
            elif name == "data-paragraph" and not (value or "").isdigit():
                self.problems.append(f"unexpected {name} on <{tag}>")
            elif name == "content" and value:
                self.attribute_values.append(value)
        attributes = dict(attrs)
        if tag == "meta" and "name" in attributes:
            self.meta[attributes["name"] or ""] = attributes.get("content") or ""
        if tag not in ("meta",):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        where = self.stack[-1] if self.stack else ""
        if where == "title":
            self.title.append(data)
        elif where == "style":
            self.style.append(data)
        elif "body" in self.stack:
            self.body.append(data)
        elif data.strip():
            self.problems.append("text outside the page body")

    def handle_comment(self, data: str) -> None:
        self.problems.append("an HTML comment")

    def handle_decl(self, decl: str) -> None:
        if decl.lower() != "doctype html":
            self.problems.append(f"an unexpected declaration {decl[:20]!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append("a processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("an unexpected declaration")


def _check_html(
    source: bytes, doc: ReleaseDocument, items: list[tuple[str, str]], checkable: Secrets,
    report: Report,
) -> None:  # fmt: skip
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        report.problems.append("HTML: not valid UTF-8")
        return
    page = _Page()
    page.feed(text)
    page.close()
    report.problems.extend(f"HTML source: {p}" for p in dict.fromkeys(page.problems))
    if "".join(page.style) != release_css(doc):
        report.problems.append("HTML source: the stylesheet is not the release's stylesheet")
    _leaks("HTML title", "".join(page.title), checkable, report)
    _leaks("HTML attributes", "\n".join(page.attribute_values), checkable, report)
    _leaks("HTML page text", "".join(page.body), checkable, report)
    expected_meta = {
        "author": doc.author,
        "description": doc.stamp,
        "keywords": ", ".join(doc.keywords),
        "generator": GENERATOR,
    }
    if "".join(page.title) != doc.title or page.meta != expected_meta:
        report.problems.append("HTML source: the title or meta tags are not the release's")
    _compare("HTML page text", "".join(page.body), items, report)


# -- PDF ----------------------------------------------------------------------------------

_PRODUCER = re.compile(r"WeasyPrint \d+(?:\.\d+)*")
_PDF_INFO = {"/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer",
             "/CreationDate", "/ModDate"}  # fmt: skip


def _pdf_body(pages: list[str], doc: ReleaseDocument, report: Report) -> str:
    """The text layer less the page line and banner every page must carry at its margins
    (the page line at the top, the banner at the bottom: the HTML page's own opening
    and closing banner and page line are not printed, so a page with the banner in
    its text as well carries it twice, which the comparison refuses)."""
    margin = normalize(doc.page_line) + normalize(BANNER)
    body = []
    for number, text in enumerate(pages, start=1):
        key = normalize(text)
        if key.endswith(margin):
            body.append(key[: -len(margin)])
        elif key.startswith(margin):
            body.append(key[len(margin) :])
        else:
            report.problems.append(
                f"PDF page {number}: does not carry the page line and the {BANNER} banner"
            )
            body.append(key)
    return "".join(body)


def _check_pdf(
    data: bytes, doc: ReleaseDocument, items: list[tuple[str, str]], checkable: Secrets,
    report: Report,
) -> None:  # fmt: skip
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = {k: str(v) for k, v in (reader.metadata or {}).items()}
    except (PdfReadError, ValueError, KeyError) as exc:
        report.problems.append(f"PDF: cannot be read ({type(exc).__name__})")
        return
    _leaks("PDF text layer", "\n".join(pages), checkable, report)
    described = [v for k, v in info.items() if k not in ("/Producer", "/Creator")]
    _leaks("PDF metadata", "\n".join(described), checkable, report)
    expected = {
        "/Title": doc.title,
        "/Author": doc.author,
        "/Subject": doc.stamp,
        "/Keywords": ", ".join(doc.keywords),
        "/Creator": GENERATOR,
    }
    wrong = sorted(
        k
        for k in set(info) | set(expected)
        if k not in _PDF_INFO or (k in expected and info.get(k, "") != expected[k])
    )
    if wrong or not _PRODUCER.fullmatch(info.get("/Producer", "")):
        report.problems.append(f"PDF metadata: {', '.join(wrong) or '/Producer'} not as released")
    extras = []
    if reader.xmp_metadata is not None:
        extras.append("XMP metadata")
    if reader.outline:
        extras.append("an outline")
    if reader.attachments:
        extras.append("attachments")
    if any("/Annots" in page for page in reader.pages):
        extras.append("annotations")
    if extras:
        report.problems.append(f"PDF: carries {', '.join(extras)}, which a release never has")
    margins = ("the page line", "the closing page line", "the banner", "the closing banner")
    body_items = [i for i in items if i[0] not in margins]
    _compare("PDF text layer", _pdf_body(pages, doc, report), body_items, report)


# -- all together -------------------------------------------------------------------------


def _check_header(doc: ReleaseDocument, fragments: list[HeaderFragment], report: Report) -> None:
    """Header fields and the signature are not decided paragraph by paragraph: outside
    their boxes they may not show withheld words that no released paragraph shows
    (whole words, ``header_fragments``)."""
    lines = [(f"the {f.name} line", f.pieces) for f in doc.header]
    lines.append(("the signature", doc.signature))
    for what, pieces in lines:
        between_boxes = "".join(p if isinstance(p, str) else "\0" for p in pieces).split("\0")
        for text in between_boxes:
            found = header_leak(text, fragments)
            if found is not None:
                report.problems.append(f"{what} repeats {found.where}")
                break


def _check_fields(doc: ReleaseDocument, checkable: Secrets, report: Report) -> None:
    """The title, metadata and reading-room fields (origin, date) must be the released
    header's, so that the header check covers them too."""
    expected = released_fields(doc.header, doc.reference_id)
    actual = (doc.reference_id, doc.title, doc.author, doc.keywords, doc.origin)
    wanted = (expected.reference_id, expected.title, expected.author, expected.keywords,
              expected.origin)  # fmt: skip
    names = ("reference id", "title", "author", "keywords", "origin")
    for name, have, want in zip(names, actual, wanted, strict=True):
        if have != want:
            report.problems.append(f"the release {name} is not the released header's")
    if doc.sent_at is not None and not expected.dated:
        report.problems.append("the release date is given where the DATE line is withheld")
    fields = [doc.reference_id, doc.title, doc.author, doc.origin, *doc.keywords]
    _leaks("release fields", "\n".join(fields), checkable, report)


def verify_outputs(
    *,
    doc: ReleaseDocument,
    paragraphs: Sequence[ParagraphIn],
    decisions: Mapping[int, DecisionIn],
    outputs: Mapping[str, bytes],
    common_words: Collection[str] | None = None,
    header: HeaderIn | None = None,
    search_text: str | None = None,
) -> Report:
    """Check every output of a release against the approved decisions (see module doc).

    ``common_words`` (the words common in the corpus) turns on the word check of
    ``repeated_in_released``; without it only runs of words are compared.
    ``header`` (the cable's header as ``releases.services.header_in`` reads it; the
    service always passes it) turns on check 3, the withheld subject;
    ``search_text``, the reading room's search text of a stored release, is checked
    as one more channel."""
    report = Report(channels=sorted(outputs))
    missing = {"text", "html", "pdf"} - set(outputs)
    if missing:
        report.problems.append(f"outputs missing: {', '.join(sorted(missing))}")
    try:
        text_items = expected_items(doc, paragraphs, decisions, "text")
        html_items = expected_items(doc, paragraphs, decisions, "html")
    except (KeyError, ValueError) as exc:
        report.problems.append(f"the decisions do not make a release: {exc}")
        return report
    fragments = secret_fragments(paragraphs, decisions)
    allowed = normalize("\n".join(t for _, t in text_items + html_items))
    subject_key, subject_words = subject_secrets(header, paragraphs, decisions, common_words)
    checkable = Secrets([f for f in fragments if f.key not in allowed], subject_key, subject_words)
    report.fragments_checked = len(checkable.fragments)
    report.fragments_common = len(fragments) - len(checkable.fragments)
    report.problems.extend(repeated_in_released(paragraphs, decisions, common_words))
    _check_header(doc, header_fragments(paragraphs, decisions), report)
    _check_subject(doc, header, report)
    _check_fields(doc, checkable, report)
    if search_text is not None:
        _leaks("reading-room search text", search_text, checkable, report)
    if "text" in outputs:
        try:
            plain = outputs["text"].decode("utf-8")
        except UnicodeDecodeError:
            report.problems.append("plain text: not valid UTF-8")
        else:
            _leaks("plain text", plain, checkable, report)
            _compare("plain text", plain, text_items, report)
    if "html" in outputs:
        _check_html(outputs["html"], doc, html_items, checkable, report)
    if "pdf" in outputs:
        _check_pdf(outputs["pdf"], doc, html_items, checkable, report)
    return report


def verify_checksums(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> list[str]:
    """Each stored file against the checksum and size the manifest recorded for it."""
    problems = []
    listed = {f["name"]: f for f in manifest.get("files", [])}
    for name in sorted(set(listed) | (set(files) - {"manifest.json"})):
        entry, data = listed.get(name), files.get(name)
        if entry is None:
            problems.append(f"{name}: stored but not in the manifest")
        elif data is None:
            problems.append(f"{name}: in the manifest but not stored")
        elif hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["bytes"]:
            problems.append(f"{name}: its checksum does not match the manifest")
    return problems


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
