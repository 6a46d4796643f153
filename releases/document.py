"""The released document as data: what a release says, before any format lays it out.

Built from the cable's header, its paragraphs and the approved decisions by pure
functions (no ORM), following the release format of the classification rules,
section 5: the banner becomes UNCLASSIFIED, the stamp reads RELEASED IN FULL or
RELEASED IN PART with every exemption used (State's B-form, §5.3), the review
authority box names who declassified and when, the original classification
markings are struck through (32 CFR 2001.25(b)) while each paragraph keeps its
portion mark, each redaction becomes a box citing its exemption and each withheld
paragraph a line citing its exemption (§5.1: the exemption at the place of the
deletion).  The renderers only lay this out; they add no words of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from redaction.engine import parse_label
from redaction.engine.labels import labels_union
from releases.numbering import paragraph_prefix, printed_mark
from releases.withheld import (
    HeaderFragment,
    distinctive,
    header_fragments,
    header_hits,
    merged_spans,
    word_keys,
    word_view,
)

BANNER = "UNCLASSIFIED"
AGENCY = "UNITED STATES DEPARTMENT OF STATE"
DECLASSIFIED = "DECLASSIFIED"
STRUCK_NOTE = {
    "text": "Original classification markings are struck through (shown ~~thus~~).",
    "html": "Original classification markings are struck through.",
}


class DocumentError(ValueError):
    """The decisions cannot make a release (a paragraph undecided or referred)."""


@dataclass(frozen=True)
class HeaderIn:
    """The cable's header fields a release may carry (never its raw text)."""

    reference_id: str
    dtg: str = ""
    sent_at: datetime | None = None
    originator: str = ""
    origin: str = ""
    to: Sequence[str] = ()
    info: Sequence[str] = ()
    classification: str = ""
    executive_order: str = ""
    decl: str = ""
    classified_by: str = ""
    reasons: Sequence[str] = ()
    tags: Sequence[str] = ()
    subject: str = ""
    references: Sequence[str] = ()
    signature: str = ""
    # The exemption the whole subject is withheld under ("" : the subject is released
    # as the paragraphs' decisions leave it).  A subject classified above UNCLASSIFIED
    # (its own portion mark, or unmarked in a classified cable) is a portion reviewers
    # decide (``workflow.subject``): withheld, it is one box citing their exemption;
    # undecided, it is withheld whole under (b)(1) (``releases.services.header_in``).
    subject_withheld: str = ""
    # The subject's level (``cables.markings.Level``: its own mark, or the cable's when
    # unmarked), so that verification can hold the withholding above to it on its own.
    subject_level: int = 0
    # A subject above UNCLASSIFIED that a reviewer's decision released: printed in the
    # SUBJECT line, the title, the metadata and the search text like an unclassified
    # one (and so not held to the withheld subject's check, ``releases.verify``).
    subject_released: bool = False


@dataclass(frozen=True)
class ParagraphIn:
    id: int
    ordinal: int
    number: str
    marking: str  # "C", "S//NF"...
    explicit: bool
    text: str
    # A heading between paragraphs ("Syria/Lebanon"): an unmarked portion of its own,
    # decided by the reviewers like any other (see ``build_document``), released as a
    # heading (no number or portion mark of its own).
    heading: bool = False


@dataclass(frozen=True)
class DecisionIn:
    id: int
    paragraph_id: int
    kind: str  # release | redact | withhold | refer
    spans: tuple[tuple[int, int, str], ...] = ()
    label: str = ""


@dataclass(frozen=True)
class ApprovalIn:
    release_id: int
    version: int
    authority: str
    approved_on: date
    case_number: str = ""


@dataclass(frozen=True)
class Box:
    """A redaction box standing where text was deleted, citing its exemption."""

    label: str


Piece = str | Box


@dataclass(frozen=True)
class HeaderField:
    name: str
    pieces: tuple[Piece, ...]
    struck: bool = False


@dataclass(frozen=True)
class ReleasedParagraph:
    ordinal: int
    number: str
    mark: str  # the original portion mark, e.g. "(C)"; "" where the original had none
    pieces: tuple[Piece, ...] = ()
    withheld: str = ""  # the exemption label when the whole paragraph is withheld
    heading: bool = False

    @property
    def prefix(self) -> str:
        return paragraph_prefix(self.number, self.mark)

    @property
    def withheld_line(self) -> str:
        return withheld_line(self.number, self.ordinal, self.withheld, heading=self.heading)


def withheld_line(number: str, ordinal: int, label: str, *, heading: bool = False) -> str:
    """The line standing for a portion withheld in full (without its brackets): a
    heading says it is one, since it has no number to go by."""
    if heading and not number:
        return f"HEADING WITHHELD IN FULL: {label}"
    return f"PARAGRAPH {number or ordinal} WITHHELD IN FULL: {label}"


HEADING_RULE = "-"


def heading_text(line: str) -> str:
    """A heading in plain text as cables write one: its line, underlined with dashes."""
    line = " ".join(line.split())
    return f"{line}\n{HEADING_RULE * len(line)}"


@dataclass(frozen=True)
class ReleaseDocument:
    reference_id: str
    title: str
    author: str
    keywords: tuple[str, ...]
    # The cable's origin and date as released: the FM line as shown, and the date
    # only when the DATE line shows it without a box (what the reading room lists).
    origin: str
    sent_at: datetime | None
    stamp: str
    exemptions: str
    page_line: str
    authority_lines: tuple[str, ...]
    header: tuple[HeaderField, ...]
    paragraphs: tuple[ReleasedParagraph, ...]
    signature: tuple[Piece, ...]
    release_date: date
    version: int
    doc_no: str


def piece_text(piece: Piece, fmt: str) -> str:
    """A piece as it reads: text as is; a box as its label (``[label]`` in plain text)."""
    if isinstance(piece, Box):
        return f"[{piece.label}]" if fmt == "text" else piece.label
    return piece


def pieces_text(pieces: Iterable[Piece], fmt: str) -> str:
    return "".join(piece_text(p, fmt) for p in pieces)


def struck(value: str, fmt: str) -> str:
    return f"~~{value}~~" if fmt == "text" else value


def paragraph_reading(p: ReleasedParagraph, fmt: str) -> str:
    """A paragraph as it reads: prefix, then its text, boxes or withheld line; a
    heading in plain text on its own line, underlined (``heading_text``)."""
    body = f"[{p.withheld_line}]" if p.withheld else pieces_text(p.pieces, fmt)
    line = f"{p.prefix} {body}" if p.prefix else body
    return heading_text(line) if p.heading and fmt == "text" else line


def reading_order(doc: ReleaseDocument, fmt: str) -> list[str]:
    """Every string of the release in reading order: the renderers lay out exactly these.

    ``fmt`` is "text" (boxes as ``[label]``, struck markings as ``~~x~~``) or "html"
    (what the HTML page and the PDF show as text).  The page line is printed at the
    top and bottom of the plain text and HTML, and on every page of the PDF.
    """
    lines = [doc.page_line, BANNER, doc.stamp, *doc.authority_lines, DECLASSIFIED]
    lines.append(STRUCK_NOTE[fmt])
    for f in doc.header:
        value = pieces_text(f.pieces, fmt)
        lines.append(f"{f.name}: {struck(value, fmt) if f.struck else value}")
    lines.extend(paragraph_reading(p, fmt) for p in doc.paragraphs)
    if doc.signature:
        lines.append(pieces_text(doc.signature, fmt))
    lines.extend([BANNER, doc.page_line])
    return lines


# -- building -----------------------------------------------------------------------------


def _canonical(label: str) -> str:
    return str(parse_label(label))


def _paragraph_pieces(text: str, spans: Iterable[tuple[int, int, str]]) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    cursor = 0
    for start, end, label in merged_spans(spans):
        if start > cursor:
            pieces.append(text[cursor:start])
        pieces.append(Box(label))
        cursor = end
    if cursor < len(text):
        pieces.append(text[cursor:])
    return tuple(pieces)


def _released_paragraph(p: ParagraphIn, d: DecisionIn | None) -> ReleasedParagraph:
    where = (
        f"the heading (portion {p.ordinal})" if p.heading else f"paragraph {p.number or p.ordinal}"
    )
    if d is None:
        raise DocumentError(f"{where} has no decision")
    mark = printed_mark(p.marking, p.explicit)
    h = p.heading
    if d.kind == "release":
        return ReleasedParagraph(p.ordinal, p.number, mark, (p.text,), heading=h)
    if d.kind == "redact":
        spans = [(s, e, _canonical(label)) for s, e, label in d.spans]
        if not spans or any(not 0 <= s < e <= len(p.text) for s, e, _ in spans):
            raise DocumentError(f"{where}: a redaction lies outside the paragraph")
        pieces = _paragraph_pieces(p.text, spans)
        return ReleasedParagraph(p.ordinal, p.number, mark, pieces, heading=h)
    if d.kind == "withhold":
        label = _canonical(d.label)
        return ReleasedParagraph(p.ordinal, p.number, mark, withheld=label, heading=h)
    if d.kind == "refer":
        raise DocumentError(f"{where} is referred and the referral is not answered")
    raise DocumentError(f"{where}: unknown decision {d.kind!r}")


def used_labels(decisions: Iterable[DecisionIn]) -> list[str]:
    labels = []
    for d in decisions:
        if d.kind == "redact":
            labels.extend(label for _, _, label in d.spans)
        elif d.kind == "withhold":
            labels.append(d.label)
    return labels


def _stamp(labels: list[str]) -> tuple[str, str]:
    if not labels:
        return "RELEASED IN FULL", ""
    union = labels_union(parse_label(label) for label in labels)
    return f"RELEASED IN PART {union.b_form()}", str(union)


def _header_fields(h: HeaderIn) -> list[tuple[str, str, bool]]:
    date_text = h.dtg or (f"{h.sent_at:%Y-%m-%d %H:%M} UTC" if h.sent_at else "")
    eo = f"E.O. {h.executive_order}" if h.executive_order else "E.O."
    reasons = f"reasons {', '.join(h.reasons)}" if h.reasons else ""
    by = ", ".join(x for x in (h.classified_by.strip(), reasons) if x)
    fields = [
        ("CLASSIFICATION", h.classification, True),
        ("REFERENCE ID", h.reference_id, False),
        ("DATE", date_text, False),
        ("FM", h.originator or h.origin, False),
        ("TO", "; ".join(h.to), False),
        ("INFO", "; ".join(h.info), False),
        (eo, f"DECL: {h.decl}" if h.decl else "", True),
        ("CLASSIFIED BY", by, True),
        ("TAGS", " ".join(h.tags), False),
        ("SUBJECT", h.subject, False),
        ("REF", "; ".join(h.references), False),
    ]
    return [(name, " ".join(value.split()), s) for name, value, s in fields if value.strip()]


SUBJECT_WITHHELD_NOTE = "subject withheld"

# The words every release prints whatever the cable says (banner, stamp, authority box,
# page line, legends, field names): a subject word among them is not told by the release.
FURNITURE = " ".join([
    BANNER, AGENCY, DECLASSIFIED, *STRUCK_NOTE.values(), SUBJECT_WITHHELD_NOTE,
    "RELEASED IN FULL PART REVIEW AUTHORITY DATE/CASE ID RELEASE VERSION",
    "U.S. Department of State Case No. Doc No. Date PARAGRAPH HEADING WITHHELD IN FULL",
    "CLASSIFICATION REFERENCE ID DATE FM TO INFO E.O. DECL CLASSIFIED BY TAGS SUBJECT REF",
])  # fmt: skip

# The header fields that may repeat a withheld subject's words unboxed: the post that
# sent the cable and the posts it went to.  A post is named by its city ("AMEMBASSY
# ROME"), and a subject about that city's harbor says no more by the FM line showing
# the city.  Every other field (TAGS, REF, the signature...) is written by the drafter
# about the cable's matter, as the subject is, so a word they share with a withheld
# subject is boxed there (``subject_fragments``).
ADDRESSING_FIELDS = ("FM", "TO", "INFO")
_UNDRAFTED = ("SUBJECT", *ADDRESSING_FIELDS)  # the subject is boxed whole or released
SUBJECT_WORD = "a word of the withheld subject"


def addressing_text(h: HeaderIn) -> str:
    """The text of the fields in ``ADDRESSING_FIELDS``, as the cable has them."""
    return " ".join([h.originator, h.origin, *h.to, *h.info])


def subject_fragments(
    h: HeaderIn, paragraphs: Sequence[ParagraphIn], decisions: Mapping[int, DecisionIn]
) -> list[HeaderFragment]:
    """Each word of a withheld subject that the header fields outside the subject and
    ``ADDRESSING_FIELDS`` must box, citing the subject's exemption: a codename the TAGS
    line repeats would otherwise print what the SUBJECT box withholds (in the TAGS line,
    the keywords and the search text).  A word is left alone when the release shows it
    anyway: a released paragraph shows it (its reviewers released it there), the
    addressing fields or the words every release prints do.  Without the corpus's
    common words here, every word but stop words, single characters and short numbers
    is boxed: more than verification asks (``releases.verify``), never less.
    """
    if not (h.subject_withheld and h.subject.strip()):
        return []
    released, _ = word_view(paragraphs, decisions)
    shown = {word for run in released for word in run.words}
    shown.update(k for k, _, _ in word_keys(addressing_text(h) + " " + FURNITURE))
    label = _canonical(h.subject_withheld)
    words = dict.fromkeys(
        k for k, _, _ in word_keys(h.subject) if k not in shown and distinctive(k, ())
    )
    return [HeaderFragment((word,), SUBJECT_WORD, label) for word in words]


def _header_field(
    name: str, value: str, struck_: bool, h: HeaderIn, risky: Sequence[HeaderFragment]
) -> HeaderField:
    """One header field as released: a withheld subject is one box citing its exemption
    (its words appear nowhere, not even in part); any other field boxes the withheld
    words it repeats (``box_in``)."""
    if name == "SUBJECT" and h.subject_withheld:
        return HeaderField(
            name, (Box(f"{_canonical(h.subject_withheld)} {SUBJECT_WITHHELD_NOTE}"),), struck_
        )
    return HeaderField(name, box_in(value, risky), struck_)


def box_in(value: str, fragments: Sequence[HeaderFragment]) -> tuple[Piece, ...]:
    """``value`` with every whole-word occurrence of the fragments boxed; boxes that
    overlap, or that only spaces and punctuation separate, become one box citing
    every exemption (``[(b)(6)]`` rather than ``[(b)(6)] [(b)(6)]-[(b)(6)]``)."""
    joined: list[tuple[int, int, list[str]]] = []
    for start, end, label in sorted(header_hits(value, fragments)):
        if joined and (start < joined[-1][1] or not word_keys(value[joined[-1][1] : start])):
            last = joined[-1]
            joined[-1] = (last[0], max(last[1], end), [*last[2], label])
        else:
            joined.append((start, end, [label]))
    spans = [(s, e, str(labels_union(parse_label(x) for x in labels))) for s, e, labels in joined]
    return _paragraph_pieces(value, spans) if spans else (value,)


@dataclass(frozen=True)
class ReleasedFields:
    """The fields a release carries outside its text (title, metadata, reading-room
    columns), every one taken from header fields as released, boxes and all."""

    reference_id: str
    title: str
    author: str
    keywords: tuple[str, ...]
    origin: str
    dated: bool  # the DATE line is shown, and shows no box


def _whole_words(field: HeaderField) -> list[str]:
    """The space-separated items of a field that no box touches."""
    marked = "".join(p if isinstance(p, str) else "\0" for p in field.pieces)
    return [item for item in marked.split() if "\0" not in item]


def released_fields(header: Sequence[HeaderField], reference_id: str) -> ReleasedFields:
    """The fields, from the header fields as built (boxes included).

    The keywords are the tags the TAGS line shows whole, as one space-separated
    item: PDF writers split keywords at commas and drop repeats, and a box's label
    ("(b)(1) 1.4(b), 1.4(d)") has commas.
    """
    by_name = {f.name: f for f in header}
    shown = {name: pieces_text(f.pieces, "text") for name, f in by_name.items()}
    reference = shown.get("REFERENCE ID", reference_id)
    whole_tags = _whole_words(by_name["TAGS"]) if "TAGS" in by_name else []
    date = by_name.get("DATE")
    return ReleasedFields(
        reference_id=reference,
        title=reference + (f": {shown['SUBJECT']}" if "SUBJECT" in shown else ""),
        author=shown.get("FM", AGENCY),
        keywords=(" ".join(whole_tags),) if whole_tags else (),
        origin=shown.get("FM", ""),
        dated=date is not None and not any(isinstance(p, Box) for p in date.pieces),
    )


def _page_line(approval: ApprovalIn) -> str:
    case = f" Case No. {approval.case_number}" if approval.case_number else ""
    return (
        f"{BANNER} U.S. Department of State{case} Doc No. C{approval.release_id:08d} "
        f"Date: {approval.approved_on:%m/%d/%Y}"
    )


def build_document(
    *,
    header: HeaderIn,
    paragraphs: Sequence[ParagraphIn],
    decisions: dict[int, DecisionIn],
    approval: ApprovalIn,
) -> ReleaseDocument:
    """The release of one cable under the approved decisions (paragraph id -> decision).

    Every portion needs a decision of its own, headings included: a heading is an
    unmarked portion, and rules section 2.2 forbids presuming an unmarked portion of
    a classified cable unclassified (it is handled at the cable's level, 2.3 step 7).
    So a heading inherits no decision from the paragraphs around it and is never
    released by default: reviewers release, redact or withhold it like a paragraph
    (an undecided heading is a ``DocumentError``, and approval refuses it first), and
    the approval's word check holds a released heading to the same rule as a
    released paragraph (no distinctive word of a redaction or withheld name of the
    cable).  It is printed as a heading: its own line, no number or portion mark
    (it had none), underlined in plain text, a heading element in HTML and PDF.

    Header fields are not decided paragraph by paragraph, so any words they share
    with a redaction or a withheld paragraph are boxed there too, unless the
    released paragraphs show the same whole words (``header_fragments``): a subject
    line never gives away a name redacted or a codename withheld below it.  A subject
    withheld whole (``HeaderIn.subject_withheld``: the reviewers' decision, or an
    undecided classified subject) is one box, and its exemption is on the stamp; its
    words are boxed under that exemption in every other field but FM, TO and INFO
    (``subject_fragments``), so that no TAGS, REF or signature line prints what the box
    withholds.  A subject the reviewers released is printed like any header field.
    """
    ordered = sorted(paragraphs, key=lambda p: p.ordinal)
    released = tuple(_released_paragraph(p, decisions.get(p.id)) for p in ordered)
    risky = header_fragments(ordered, decisions)
    # Outside the subject and the addressing fields, a withheld subject's words are boxed
    # as a redaction's are (``subject_fragments``).
    drafted = risky + subject_fragments(header, ordered, decisions)
    labels = used_labels(decisions[p.id] for p in ordered)
    if header.subject_withheld and header.subject.strip():
        labels.append(header.subject_withheld)
    stamp, exemptions = _stamp(labels)
    header_fields = tuple(
        _header_field(name, value, s, header, risky if name in _UNDRAFTED else drafted)
        for name, value, s in _header_fields(header)
    )
    fields = released_fields(header_fields, header.reference_id)
    day = approval.approved_on
    return ReleaseDocument(
        reference_id=fields.reference_id,
        title=fields.title,
        author=fields.author,
        keywords=fields.keywords,
        origin=fields.origin,
        sent_at=header.sent_at if fields.dated else None,
        stamp=stamp,
        exemptions=exemptions,
        page_line=_page_line(approval),
        authority_lines=(
            AGENCY,
            f"REVIEW AUTHORITY: {approval.authority.upper()}",
            f"DATE/CASE ID: {day:%d} {day:%b}".upper()
            + f" {day:%Y}"
            + (f" {approval.case_number}" if approval.case_number else ""),
            f"RELEASE VERSION: {approval.version}",
        ),
        header=header_fields,
        paragraphs=released,
        signature=box_in(" ".join(header.signature.split()), drafted) if header.signature else (),
        release_date=day,
        version=approval.version,
        doc_no=f"C{approval.release_id:08d}",
    )
