"""What each flag and warning a page shows means: one table for the tooltips and the help page.

The codes come from the declassification engine (``cables.declassification``:
``F_`` routing flags from the classification reasons, ``W_`` warnings of the
decision order, classification rules sections 3.4 and 4.6.6) and from the
parser (``cables.parsing``: a code before a colon, then the particulars, e.g.
``UNMARKED_PORTION: 2 paragraph(s) ...``; section 2.3).  A code the table does not
know still shows, with a pointer to the help page, never silently.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Note:
    code: str
    title: str
    meaning: str  # what it says and what the reviewer should do about it

    @property
    def tooltip(self) -> str:
        return f"{self.title}: {self.meaning}"

    @property
    def anchor(self) -> str:
        return self.code.lower().replace("_", "-")


def _notes(rows: list[tuple[str, str, str]]) -> dict[str, Note]:
    return {code: Note(code, title, meaning) for code, title, meaning in rows}


# Routing flags (rules 3.4), computed from the "Classified By" reasons.
FLAGS = _notes([
    ("F_FGI", "Foreign government information",
     "classified for reason 1.4(b), information from or about a foreign government; the "
     "foreign government may have to be consulted before release (32 CFR 2001.30(i), "
     "2001.33(b))."),
    ("F_INTEL_EQUITY", "Intelligence equity",
     "classified for reason 1.4(c), intelligence activities, sources or methods; an "
     "intelligence agency may hold an equity in it: consider a referral."),
    ("F_NUCLEAR_SCREEN", "Nuclear screening",
     "classified for reason 1.4(f) or (h) (nuclear materials or weapons of mass "
     "destruction); screen for Restricted Data or Formerly Restricted Data and refer to "
     "the Department of Energy if any is found."),
    ("F_MILITARY_EQUITY", "Military equity",
     "classified for reason 1.4(a), military plans, weapons or operations; the Defense "
     "Department may hold an equity in it: consider a referral."),
])  # fmt: skip

# Warnings of the declassification engine (rules 4.6.5 and 3.4).
WARNINGS = _notes([
    ("W_DECL_ON_UNCLASSIFIED", "Declassification line on an unclassified cable",
     "an unclassified cable carries a declassification instruction; it is ignored."),
    ("W_DATE_IGNORED_FOR_HUM_WMD", "Date ignored (human source or WMD exemption)",
     "a 50X1-HUM, 50X2-WMD or 25X1-human exemption keeps the cable classified for 75 "
     "years whatever date is written."),
    ("W_MARKING_ERA_MISMATCH", "Exemption marking of another era",
     "25X1-human on a cable from 25 June 2010 on, or 50X1-HUM/50X2-WMD before it: the "
     "marking does not belong to the cable's date."),
    ("W_75X_WITHOUT_DATE", "75X exemption without a date",
     "a 75X exemption needs a date; none was found, so no date is computed."),
    ("W_EXCEEDS_75Y", "Date beyond 75 years",
     "the written date is later than the 75-year limit of a 50X exemption; the limit applies."),
    ("W_EXCEEDS_50Y", "Date beyond 50 years",
     "the written date is later than the 50-year limit of a 25X exemption; the limit applies."),
    ("W_EXEMPTION_WITHOUT_DATE", "Exemption without a date",
     "a 25X or 50X exemption gives no date; the automatic limit applies."),
    ("W_UNKNOWN_CODE", "Unknown declassification code",
     "the instruction holds a code the rules do not know; treated as incomplete, so the "
     "25-year date applies."),
    ("W_DECL_NOT_AFTER_ORIGIN", "Declassification date not after the cable's date",
     "no written date is later than the cable itself; the 25-year date applies."),
    ("W_MULTIPLE_DATES", "Several dates",
     "the instruction holds several dates; the latest is used (longest protection)."),
    ("W_EXCEEDS_10Y_UNDER_12958", "More than 10 years under E.O. 12958",
     "a cable of 1995-2003 marked for more than 10 years without an exemption code."),
    ("W_EXCEEDS_25Y", "Date beyond 25 years",
     "the written date is later than the 25th anniversary; automatic declassification at "
     "25 years applies (31 December)."),
    ("W_UNPARSEABLE_DATE", "Unreadable date",
     "the instruction holds date-like text that is no real date; the 25-year date applies."),
    ("W_LEGACY_CODE_OUT_OF_WINDOW", "Old code outside its period",
     "an OADR or X code on a cable outside the years that code was in use."),
    ("W_DATE_AND_LEGACY_CODE", "Date and old code together",
     "the instruction has both a date and an OADR, X or MR code; the date wins."),
    ("W_REASON_IN_DECL", "Reason written in the declassification line",
     "the DECL line holds a classification reason (1.4(x)) instead of an instruction; the "
     "25-year date applies."),
    ("W_MISSING_DECL", "No declassification instruction",
     "a classified cable without a DECL line; the 25-year date applies."),
    ("W_NA_ON_CLASSIFIED", "N/A on a classified cable",
     "a classified cable whose instruction says N/A; the 25-year date applies."),
    ("W_REASON_OLD_NUMBERING", "Old reason numbering",
     "reason 1.5(x) on a cable from 22 September 2003 on, when the reasons were 1.4(x)."),
    ("W_REASON_NEW_NUMBERING_EARLY", "New reason numbering too early",
     "reason 1.4(x) on a cable from before 22 September 2003, when the reasons were 1.5(x)."),
    ("W_REASON_INVALID_CATEGORY", "Reason that does not exist",
     "a reason letter the cited order does not have (1.5(h)); kept as written."),
    ("W_REASON_NO_EQUIVALENT", "Reason with no equivalent",
     "an E.O. 12356 reason that has no E.O. 13526 category."),
    ("W_NO_REASON", "No classification reason",
     "a classified cable from 14 October 1995 on that gives no reason."),
])  # fmt: skip

# Warnings of the parser (a code, a colon, then the particulars of the cable).
PARSER = _notes([
    ("BANNER_BELOW_PORTION", "Banner below a portion",
     "a paragraph is marked higher than the classification line; the cable is handled at "
     "the higher level (rules 2.3)."),
    ("BANNER_ABOVE_PORTIONS", "Banner above every portion",
     "the classification line is higher than every portion mark (a compilation, a "
     "transmittal or unmarked material); the reviewer must confirm the level."),
    ("UNMARKED_PORTION", "Unmarked portion",
     "paragraphs without a portion mark inherit the cable's level and are never presumed "
     "unclassified (rules 2.2); decide them like any other paragraph."),
    ("BULLET_ABOVE_PARAGRAPH", "Bullet marked above its paragraph",
     "a bullet or sub-item inside a paragraph carries a higher mark than the paragraph's own; "
     "the paragraph is handled at the bullet's level, so decide it with that in mind."),
    ("UNKNOWN_PORTION_MARK", "Unknown portion mark",
     "a paragraph mark the parser does not know; the paragraph is treated as unmarked."),
    ("UNKNOWN_CONTROL", "Unknown control",
     "a dissemination control the parser does not know; the level is kept, the control ignored."),
    ("PAGE_MARKING_MISMATCH", "Page marking differs",
     "a classification line at a page break (or at the foot) says another level than the "
     "cable's, or a control the cable does not carry; the line is taken out of the text."),
    ("REASON_INVALID_CATEGORY", "Reason that does not exist",
     "a reason letter the cited order does not have; left out of the reasons."),
    ("REFERENCE_ID_MISMATCH", "Reference id differs",
     "the text and the file's metadata give different reference ids; the text's is kept."),
    ("PARTIAL_EXTRACT", "Partial extract",
     "the source says it holds only part of the cable."),
    ("NO_BANNER", "No classification line",
     "above the text: the level comes from the portion marks, or, when nothing is marked, "
     "from a bare level line after the text (confirm it)."),
    ("BANNER_WITHOUT_SERIAL", "Classification line without post and serial",
     "the reference id could not be read from it."),
    ("MISSPELLED_BANNER", "Misspelled classification line",
     "read as the level it most resembles; check it."),
    ("MISSING_DECL", "No declassification instruction",
     "a classified cable without a DECL line."),
    ("MISSING_CLASSIFIED_BY", "No Classified By line",
     "a classified cable that names no classifying authority."),
    ("REASON_UNREADABLE", "Unreadable reason",
     "the Classified By line has no 1.4 or 1.5 reason letters the parser can read."),
    ("MISSING_REASON", "No reason",
     "the Classified By line gives no reason."),
    ("TAGS_UNSEPARATED", "TAGS without separators",
     "the TAGS were written run together and cut into four-letter tags."),
    ("NO_PARAGRAPHS", "No paragraphs", "no body text after the header."),
    ("AFTER_END_OF_MESSAGE", "Text after the end of the message",
     "lines after the end-of-message line (NNN), such as an archive's record of the cable, "
     "are left out of the paragraphs; check that nothing of the cable itself is among them."),
    ("NO_DATE", "No date", "no date-time group in the text and none in the metadata."),
])  # fmt: skip

SECTIONS: tuple[tuple[str, dict[str, Note]], ...] = (
    ("Routing flags", FLAGS),
    ("Declassification warnings", WARNINGS),
    ("Parser warnings", PARSER),
)
_ALL = {**FLAGS, **WARNINGS, **PARSER}


@dataclass(frozen=True)
class Shown:
    """A flag or warning as a page shows it: its code, the particulars the cable gave
    (a parser warning's text after the colon), and what it means."""

    code: str
    detail: str
    note: Note | None

    @property
    def tooltip(self) -> str:
        if self.note is None:
            return "Not explained yet: see the help page for the codes that are."
        return self.note.tooltip

    @property
    def anchor(self) -> str:
        return self.note.anchor if self.note else ""


def explain(code: str) -> Shown:
    """One flag or warning as stored (``"F_FGI"``, ``"UNMARKED_PORTION: 2 ..."``)."""
    head, _, detail = code.partition(":")
    head = head.strip()
    return Shown(head, detail.strip(), _ALL.get(head))


def explain_all(codes: list[str] | tuple[str, ...] | None) -> list[Shown]:
    return [explain(str(c)) for c in codes or ()]
