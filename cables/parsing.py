"""Parse real cables (raw telegram text, archive HTML, Markdown scrapes).

Pure Python: no ORM, no Django.  Only ``cables.services`` turns a
``ParsedCable`` into rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cables.markings import Marking


class ParseError(Exception):
    """A cable that cannot be read at all: names the file, the line and the problem."""

    def __init__(self, message: str, *, source: str = "<string>", line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class CableMetadata:
    """Facts about a cable that come from beside it (INDEX.tsv, the file name)."""

    reference_id: str | None = None
    sent_at: datetime | None = None
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedParagraph:
    ordinal: int  # 1-based position in the cable
    number: str  # as written: "1", "5.A", "" when unnumbered
    marking: Marking  # effective marking (explicit, or inherited when unmarked)
    explicit: bool  # False when the marking was inherited (no portion mark)
    text: str  # section-break and page-header lines removed, everything else exact
    line: int  # 1-based line of the source where the paragraph starts


@dataclass(slots=True)
class ParsedCable:
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


def parse_cable(
    text: str, *, source: str = "<string>", metadata: CableMetadata | None = None
) -> ParsedCable:
    raise NotImplementedError
