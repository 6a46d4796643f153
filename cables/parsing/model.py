"""The parser's value types: what a cable is read into, and the one error it raises.

Pure data: no parsing logic and no Django, so that services, tests and the
JSON view can all depend on these without pulling the parser in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cables.markings import Marking


class ParseError(Exception):
    """A cable that cannot be read at all: names the file, the line and the problem."""

    def __init__(self, message: str, *, source: str = "<string>", line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments: rebuild explicitly so that the error survives
        # pickling between import worker processes.
        return (_rebuild_parse_error, (self.message, self.source, self.line))


def _rebuild_parse_error(message: str, source: str, line: int | None) -> ParseError:
    return ParseError(message, source=source, line=line)


@dataclass(frozen=True, slots=True)
class CableMetadata:
    """Facts about a cable that come from beside it (INDEX.tsv, the file name)."""

    reference_id: str | None = None
    sent_at: datetime | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedParagraph:
    """One portion of the body.  ``line`` counts lines of the text as received for
    telegram text (of the decoded text when its newlines are "&#x000A;" entities), and
    of the extracted text for HTML and Markdown input."""

    ordinal: int  # 1-based position in the cable
    number: str  # as written: "1", "5.A", "" when unnumbered
    marking: Marking  # effective marking (explicit, or inherited when unmarked)
    explicit: bool  # False when the marking was inherited (no portion mark)
    text: str  # section-break and page-header lines removed, everything else exact
    line: int  # 1-based line of the source where the paragraph starts
    marker: str = ""  # the marker as written, e.g. "¶1. (S/NF)"; text follows it
    portion_mark: str | None = None  # the portion mark as written, e.g. "(S/NF)"
    source: str = "portion"  # "portion" | "entire_text" | "inherited"
    heading: bool = False  # a heading ("Summary" + dashes): its own portion, not unmarked prose

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready: the marking as a string ("S//NF") and its controls as a list."""
        return {
            "ordinal": self.ordinal,
            "number": self.number,
            "marking": str(self.marking),
            "level": self.marking.level.banner,
            "controls": list(self.marking.controls),
            "explicit": self.explicit,
            "source": self.source,
            "portion_mark": self.portion_mark,
            "marker": self.marker,
            "heading": self.heading,
            "line": self.line,
            "text": self.text,
        }


@dataclass(slots=True)
class ParsedCable:
    """Everything read from one cable; ``warnings`` hold "CODE: message" strings."""

    source: str
    format: str  # "text" | "html" | "markdown"
    raw_text: str
    sha256: str
    reference_id: str | None = None
    dtg: str | None = None  # date-time group as written, e.g. "080652Z JUN 06"
    sent_at: datetime | None = None  # aware UTC datetime the DTG means
    origin: str | None = None  # display name, e.g. "Embassy Ankara"
    originator: str | None = None  # PLAD as written on the FM line
    precedence: str | None = None  # FLASH / IMMEDIATE / PRIORITY / ROUTINE
    to: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    classification: Marking | None = None  # overall level + controls (section 2.3)
    banner: Marking | None = None  # as written on the classification line
    captions: list[str] = field(default_factory=list)
    executive_order: str | None = None  # "12958"
    decl: str | None = None  # raw declassification instruction
    classified_by: str | None = None
    reasons: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    subject: str | None = None
    references: list[str] = field(default_factory=list)
    section_count: int | None = None
    signature: str | None = None
    paragraphs: list[ParsedParagraph] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    from_metadata: list[str] = field(default_factory=list)
    # Added beyond the original interface; all optional.
    reasons_raw: str | None = None  # reason text as written, e.g. "1.5 (B) AND (D)"
    reason_section: str | None = None  # "1.4" or "1.5" as written (engine date checks)
    subject_marking: Marking | None = None  # portion mark written before the subject
    banner_line: str | None = None  # the classification line as written
    section: int | None = None  # which section of a multi-section cable this text is
    passing: list[str] = field(default_factory=list)  # "DEPT FOR ...", "NSC FOR ..."
    derived_from: str | None = None  # "DERIVED FROM:" (derivative classification)
    declassification_notes: list[str] = field(default_factory=list)  # NARA/review stamps

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO 8601 datetime, markings as strings); no raw text."""
        marking = self.classification
        # "classification" is what the cable's own classification line says (what
        # archives record); "overall_classification" is the level it must be handled
        # at under rules section 2.3, higher when a paragraph outranks the banner
        # (reported as BANNER_BELOW_PORTION).  Without a banner the two are the same.
        stated = self.banner or marking
        return {
            "reference_id": self.reference_id,
            "datetime": self.sent_at.isoformat() if self.sent_at else None,
            "origin": self.origin,
            "classification": stated.level.banner if stated else None,
            "overall_classification": marking.level.banner if marking else None,
            "marking": str(marking) if marking else None,
            "controls": list(marking.controls) if marking else [],
            "banner": str(self.banner) if self.banner else None,
            "banner_line": self.banner_line,
            "executive_order": self.executive_order,
            "decl": self.decl,
            "classified_by": self.classified_by,
            "derived_from": self.derived_from,
            "reasons": list(self.reasons),
            "reasons_raw": self.reasons_raw,
            "reason_section": self.reason_section,
            "tags": list(self.tags),
            "subject": self.subject,
            "subject_marking": str(self.subject_marking) if self.subject_marking else None,
            "paragraphs": [p.to_json_dict() for p in self.paragraphs],
            "warnings": list(self.warnings),
            "from_metadata": list(self.from_metadata),
            "dtg": self.dtg,
            "precedence": self.precedence,
            "originator": self.originator,
            "to": list(self.to),
            "info": list(self.info),
            "captions": list(self.captions),
            "passing": list(self.passing),
            "references": list(self.references),
            "section": self.section,
            "section_count": self.section_count,
            "signature": self.signature,
            "declassification_notes": list(self.declassification_notes),
            "format": self.format,
            "sha256": self.sha256,
            "source": self.source,
        }
