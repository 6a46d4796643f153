"""The header fields below the classification line: captions, E.O., TAGS, SUBJECT, REF.

The header ends at the first line that is none of these (usually paragraph
1).  Real headers are often glued into one line by scrapers
("...003352SIPDISNOFORNE.O. 12958: ...TAGS:"), so each header line is first
cut before the field keywords it contains; multi-line fields (SUBJECT, REF,
Classified By, TAGS) are continued by a small state machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cables.markings import Marking
from cables.parsing import fields as f
from cables.parsing.markers import PARAGRAPH_ONE_RE, entire_text_statement, match_marker

Line = tuple[int, str]  # (1-based line number in the normalised text, text)

# --- glued lines -----------------------------------------------------------------------

_GLUE_KEY_RE = re.compile(
    r"E\s?\.\s?[O0]\s?\.\s?\d{5}(?!\d)|EO\s?1\d{4}\b"
    r"|(?i:TAGS?\s*:|SUBJ(?:ECT)?\s*:|REF(?:S|TELS?)?\s*:|DERIVED\s+FROM\b|CLASSIFIED\s+BY\b"
    r"|DECLASSIFY\s+ON\s*:)"
)
_LONE_MARK_RE = re.compile(
    r"^\s*(?:\(\s*[A-Za-z/]{1,6}\s*\)|(?:\(U\)\s*)?CLASSIFIED\s+BY\s*:?)\s*$", re.I
)


# "lassif" stands for both "classified by" (which starts one letter before it) and
# "declassify on" (three letters before): one search of the line instead of two.
_GLUE_HINTS = ("e.o", "e. o", "e.0", "eo 1", "eo1", "tag", "subj", "ref", "lassif", "derived")


def unglue(text: str) -> list[str]:
    """Cut a header line before each field keyword glued into it.

    "...003352SIPDISNOFORNE.O. 12958: DECL: 06/05/2026TAGS: MOPS" becomes
    ["...003352SIPDISNOFORN", "E.O. 12958: DECL: 06/05/2026", "TAGS: MOPS"].
    Keywords are found with str.find and confirmed with an anchored match:
    a lookbehind regex tried at every position costs ten times more.
    """
    if len(text) < 8:
        return [text]
    low = text.lower()
    cuts: set[int] = set()
    for hint in _GLUE_HINTS:
        k = low.find(hint, 1)
        while k > 0:
            for at in (k - 1, k - 3) if hint == "lassif" else (k,):
                if at > 0 and _glue_point(text, at):
                    cuts.add(at)
            k = low.find(hint, k + 1)
    if not cuts:
        return [text]
    bounds = [0, *sorted(cuts), len(text)]
    parts = [text[a:b].rstrip(" \t") for a, b in zip(bounds, bounds[1:], strict=False)]
    merged: list[str] = []
    for part in (p for p in parts if p.strip()):
        if merged and _LONE_MARK_RE.match(merged[-1]):
            merged[-1] = f"{merged[-1]} {part}"  # "(U) CLASSIFIED BY ..." stays one field
        else:
            merged.append(part)
    return merged or [text]


def _glue_point(text: str, k: int) -> bool:
    """Does a field keyword start at ``k``, after other text on the same line?"""
    if _GLUE_KEY_RE.match(text, k) is None:
        return False
    j = k
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    if j == 0 or text[j - 1] == "\u00b6":
        return False
    if text[k] in "Cc" and j == k and text[k - 1].isalpha():
        return False  # "DECLASSIFIED BY" is not a glued "CLASSIFIED BY"
    return True


# --- header fields ----------------------------------------------------------------------

# "NOFORN/ORCON", "NOFORN ORCON": a caption line may join controls with a slash.
_CAPTION_RUN_RE = re.compile(
    r"^(?:[\s,;.]*(?:SIPDIS|NOFORN|SENSITIVE|NODIS|EXDIS|LIMDIS|STADIS|ORCON\b|"
    r"(?i:\b(?:sipdis|noforn|sensitive|nodis|exdis|limdis|stadis)\b))"
    r"(?:/{1,2}ORCON\b)?)+"
)
_LETTER_SPACED_RE = re.compile(r"^(?:[A-Z] ){3,9}[A-Z]$")
_CAPTION_WORD_RE = re.compile(r"SIPDIS|NOFORN|SENSITIVE|NODIS|EXDIS|LIMDIS|STADIS|ORCON", re.I)
_CAPTION_TAIL_RE = re.compile(r"(?:[\s,]+(?:SIPDIS|NOFORN|SENSITIVE|NODIS|EXDIS))+\s*$")
_CAPTION_LINE_RE = re.compile(
    r"^(?:(?:ROGER|CHEROKEE|SPECAT|DISSENT|AGREMENT|DIRGEN|CODEL|OFFICIAL\s+INFORMAL|NIACT|"
    r"EXCLUSIVE|NOTAL)[\s,]*)+$"
)
_REL_LINE_RE = re.compile(
    r"^REL(?:EASABLE)?(?:\s+TO)?\s+(?P<list>[A-Z][A-Z0-9 ,/&.-]{0,80})$", re.I
)
_SBU_STATEMENT_RE = re.compile(
    r"^\W*(?:THIS\s+(?:REPORT|CABLE|MESSAGE|TELEGRAM)\s+IS\s+)?SENSITIVE\s+BUT\s+UNCLASSIFIED\b",
    re.I,
)
_SBU_TAIL_RE = re.compile(r"\s*\bSENSITIVE\s+BUT\s+UNCLASSIFIED\b.*$", re.I)
_CORRECTED_RE = re.compile(r"^C\s?O\s?R\s?R\s?E\s?C\s?T\s?E\s?D\s*C\s?O\s?P\s?Y\b", re.I)
_DECLASS_NOTE_RE = re.compile(
    r"^(?:Declassified/Released\b|DECLASSIFIED\s+(?:BY|PER|UNDER|AUTHORITY)\b|"
    r"Original\s+Telegram\s+was\b)",
    re.I,
)
_STAMP_CITES_RE = re.compile(r"\b(?:PER|UNDER|AUTHORITY|OF|BY)\s*:?$", re.I)
_CLASSIFIED_STATEMENT_RE = re.compile(
    r"^Classified\s+(?:Top\s+Secret|Secret|Confidential)\.?$", re.I
)
_PASSING_SHAPE_RE = re.compile(r"\b(?:FOR|PASS|ALSO)\b")
_PARAGRAPH_OPENING_RE = re.compile(
    r"^(?:(?i:(?:BEGIN\s+)?(?:SUMMARY|COMMENT|QUOTE|TEXT|BACKGROUND|INTRODUCTION))\b|[A-Za-z]\.\s+\S)"
)
# A subject line this short ended the subject (after "SUBJECT: ", or a wrapped line).
_SHORT_SUBJECT_LINE = 30
_SHORT_LINE = 40
# "DEPT PASS USUN", "DEPT PLEASE PASS ...", "SUGGEST DEPT REPEAT TO ...": an instruction
# to the message centre, never the wrapped end of a subject.
_PASS_INSTRUCTION_RE = re.compile(
    r"^(?:(?:SUGGEST|REQUEST)\s+)?(?:DEPT|DEPARTMENT|EMBASSY|USUN|USNATO|USEC)\s+"
    r"(?:PLEASE\s+)?(?:PASS|REPEAT)\b"
)
_REF_SHAPE_RE = re.compile(r"^(?:\d{2,4}\s+)?[A-Z][A-Za-z .'-]{1,30}\s\d{1,7}\b")
_FIELD_AHEAD_RE = re.compile(
    r"^\s*(?:\(U\)\s*)?(?:\u00b6?\s*E\s?\.?\s?[O0]\s?\.?\s?1\d{4}|(?i:TAGS?\s*:|"
    r"SUBJ(?:ECT)?\s*:|CLASSIFIED\s+BY\b|DERIVED\s+FROM\b|REF(?:S|TELS?)?\s*:))"
)
_CAPTION_STARTS = frozenset(
    {
        "sip",
        "nof",
        "sen",
        "nod",
        "exd",
        "lim",
        "sta",
        "rog",
        "che",
        "spe",
        "dis",
        "agr",
        "dir",
        "cod",
        "off",
        "nia",
        "exc",
        "not",
        "rel",
        "orc",
    }
)
# NOFORN written out, as older telegrams do: "NO FOREIGN DISSEM", or its expansion.
_NOFORN_WRITTEN_RE = re.compile(
    r"^NO(?:\s+FOREIGN\s+DISSEM(?:INATION)?|T\s+RELEASABLE\s+TO\s+FOREIGN\s+NATIONALS)\s*$",
    re.I,
)
_CAPTION_CONTROLS = {
    "NOFORN": "NOFORN",
    "NODIS": "NODIS",
    "EXDIS": "EXDIS",
    "SENSITIVE": "SBU",
    "ORCON": "ORCON",
}
_MAX_CONTINUATION = 6
_UNFINISHED_RE = re.compile(
    r"(?:\b(?:AND|OR|OF|THE|TO|FOR|IN|ON|WITH|A|AN|AT|BY|FROM|NOT)|[,:;&-])\s*$", re.I
)
_RULE_ONLY_RE = re.compile(r"^[-=_*~\s]+$")
# "TAGS" (no colon) and a first tag after an E.O. line's instruction, on the same line.
_EO_TAGS_RE = re.compile(r"[ \t]+TAGS?[ \t]+(?=[A-Z]{2,}\b)")
_REASON_LINE_RE = re.compile(r"^REASONS?\s*:?\s*1\s?\.\s?[45]", re.I)
_NA_OR_DECL_RE = re.compile(r"^(?:N\s*/?\s*A\b|DECL)", re.I)
# The instruction alone on the line below an E.O. line that gave none ("E.O. 12958: DECL:"
# then "02/10/2016"): a date, an exemption code or an indefinite marking, nothing else.
# A month written as a word ("12 SEPT 2018", "September 12, 2018") is a date too.
_MONTH_WORD = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?"
_DECL_VALUE_RE = re.compile(
    r"^(?:\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{8}|(?:1\.6\s?)?X[1-8]|[257][05]X\d|OADR|MR|GDS"
    rf"|\d{{1,2}}[ -]?{_MONTH_WORD}[ ,-]*(?:\d{{4}}|\d{{2}})"
    rf"|{_MONTH_WORD}\s+\d{{1,2}},?\s+\d{{4}})"
    r"(?![A-Za-z0-9])",
    re.I,
)
_PAREN_LEVEL_LABEL_RE = re.compile(r"^[-\u00b6\s]*\(\s*[CSU]\s*\)")
_PAREN_ONLY_RE = re.compile(r"^\([^()]{1,20}\)$")
_REL_SPLIT_RE = re.compile(r"[/,&]|\s+AND\s+")
_LIST_STARTS = frozenset(f"({d}" for d in "0123456789")
_FIELD_FIRST = frozenset("Ee\u00b6TtSsRrCcDd(")


@dataclass(slots=True)
class Header:
    """Header fields as written; the caller turns them into the cable's fields."""

    captions: list[str] = field(default_factory=list)
    passing: list[str] = field(default_factory=list)
    eo_seen: bool = False
    executive_order: str | None = None
    decl: str | None = None
    tags: list[str] = field(default_factory=list)
    tags_unseparated: bool = False
    subject_lines: list[str] = field(default_factory=list)
    ref_lines: list[str] = field(default_factory=list)
    authority_lines: list[str] = field(default_factory=list)
    derived_from: str | None = None
    notes: list[str] = field(default_factory=list)
    controls: list[str] = field(default_factory=list)
    unknown_controls: list[str] = field(default_factory=list)
    entire_text: f.PortionMark | None = None

    @property
    def subject(self) -> tuple[Marking | None, str | None]:
        """The joined subject and the portion mark written before it."""
        if not self.subject_lines:
            return None, None
        text = " ".join(line.strip().lstrip("\u00b6").strip() for line in self.subject_lines)
        text = " ".join(text.split())
        mark, text = f.split_subject_mark(text)
        return mark, (text or None)

    @property
    def references(self) -> list[str]:
        """REF items, one per lettered reference."""
        return f.read_references(" ".join(self.ref_lines))


def read_header(rest: str, lines: list[Line]) -> tuple[Header, int]:
    """Read header fields from the classification line's glued rest and the lines after it.

    Returns the header and the index in ``lines`` where the body starts.
    """
    reader = _HeaderReader(_last_field_index(lines))
    if rest:
        reader.feed(rest, -1, force=True)
    for i, (_, text) in enumerate(lines):
        if not reader.feed(text, i):
            return reader.header, i
    return reader.header, len(lines)


def _last_field_index(lines: list[Line], limit: int = 80) -> int:
    last = -1
    for i, (_, text) in enumerate(lines[:limit]):
        head = text.lstrip()[:1]
        if not head:
            continue
        if (head.isdigit() or head == "\u00b6") and PARAGRAPH_ONE_RE.match(text):
            break
        if head in _FIELD_FIRST and _FIELD_AHEAD_RE.match(text):
            last = i
    return last


def _segments(text: str) -> list[str]:
    """The line cut before its glued field keywords, except a stamp's own citation.

    "DECLASSIFIED PER E.O. 12958, AS AMENDED" cites the order under which the
    record was released: cut before "E.O." it would be read as the cable's own
    E.O. line, so the stamp keeps the order it cites (a note: rules 5.3).  Fields
    glued after the stamp's text are still cut off.  "E.O. 12958 AS AMENDED BY
    E.O. 13292: DECL: ..." stays one E.O. line, its instruction after the second order.
    """
    parts = unglue(text)
    if len(parts) > 1 and (_cites_order(parts[0]) or _AMENDED_BY_END_RE.search(parts[0])):
        parts[:2] = [f"{parts[0]} {parts[1].lstrip()}"]
    for n in range(len(parts) - 1, 0, -1):
        if _EO_REASON_RE.match(parts[n]) and f.CLASSIFIED_BY_LINE_RE.match(parts[n - 1]):
            parts[n - 1 : n + 1] = [f"{parts[n - 1]} {parts[n].lstrip()}"]
    return parts


# The order a Classified By line cites before its reasons ("... for reasons E.O. 13526,
# section 1.4(b) and (d)", "... per E.O. 12958 1.5 (B)"): part of that line, not the
# cable's E.O. line (which gives a DECL date, never a section of the order).
_EO_REASON_RE = re.compile(
    r"^\s*E\s?\.?\s?[O0]\s?\.?\s?1\d{4}\s*[,:;]?\s*(?:AS\s+AMENDED\s*[,:;]?\s*)?"
    r"(?:(?:SEC(?:TION|\.)?|REASONS?)\s*:?\s*)?1\s?\.\s?[45](?!\d)",
    re.I,
)


# "E.O. 12958 AS AMENDED BY E.O. 13292: DECL: ...": one E.O. line naming two orders.
_AMENDED_BY_END_RE = re.compile(r"\bAS\s+AMENDED\s+BY\s*$", re.I)


def _cites_order(part: str) -> bool:
    """A declassification stamp ending where the order it was released under follows."""
    head = part.lstrip()
    return (
        head[:1] in "Dd"
        and _DECLASS_NOTE_RE.match(head) is not None
        and _STAMP_CITES_RE.search(head) is not None
    )


class _HeaderReader:
    """A small state machine: which multi-line field (if any) the next line continues."""

    def __init__(self, field_limit: int) -> None:
        self.header = Header()
        self.field_limit = field_limit
        self.state: str | None = None
        self.state_lines = 0
        self.seen_field = False
        self.after_blank = False  # a blank line since the current field's last line
        self.body_begun = False  # a line below the subject is surely the first paragraph
        self.index = -1

    def feed(self, text: str, index: int, *, force: bool = False) -> bool:
        """Take one line; False when it belongs to the body (the header is over)."""
        if not text.strip():
            self.after_blank = True
            return True
        self.index = index
        for n, segment in enumerate(_segments(text)):
            if not self._segment(segment.strip(), index):
                if n == 0 and not force:
                    return False
                self.header.passing.append(segment.strip())
        self.after_blank = False
        return True

    @property
    def fields_ahead(self) -> bool:
        """More header fields follow further down (so this line is still header)."""
        return self.index < self.field_limit

    # -- one segment ------------------------------------------------------------------

    def _segment(self, s: str, index: int) -> bool:
        if self.state is not None and self._continues_special(s):
            return True
        authority = f.CLASSIFIED_BY_LINE_RE.match(s) if s[:1] in "CcDd(" else None
        if authority:
            return self._authority(authority)
        marker = match_marker(s)
        if marker is not None and not marker.bullet:
            return False
        return (
            self._field(s) or self._statement(s) or self._continuation(s) or self._passing(s, index)
        )

    def _continues_special(self, s: str) -> bool:
        """Continuations that would otherwise look like paragraph markers."""
        if self.state == "eo_pending":
            self.state = None
            if _NA_OR_DECL_RE.match(s) or _DECL_VALUE_RE.match(s):
                self.header.decl = f.read_decl(s.split("TAGS")[0])
                return True
        if self.state == "statement":
            self.state = None
            if len(s) <= 40 and s.endswith(".") and not any(c.isdigit() for c in s):
                return True  # "...Please handle\naccordingly."
        if self.state == "subject" and s[:1] == "(" and self._subject_below_keyword(s):
            self.header.subject_lines.append(self._sbu_tail(s))
            self.state_lines += 1
            return True
        if self.state == "classified" and not self.after_blank:
            if f.REASON_CONTINUATION_RE.match(s) or self._cited_order_below(s):
                self.header.authority_lines.append(s)
                return True
        elif self.state == "classified" and s[:1] in "Rr" and _REASON_LINE_RE.match(s):
            # "Classified By: ..." then, after a blank line, "Reason: 1.4 (b) and (d)":
            # the reason of the authority above (rules 3.2), unless it already has one.
            if not self._authority_complete():
                self.header.authority_lines.append(s)
                return True
        if self.state == "ref" and self._ref_item(s):
            self.header.ref_lines.append(s)
            return True
        return False

    def _cited_order_below(self, s: str) -> bool:
        """The order and reasons of a Classified By line wrapped before them ("... for
        reasons" then "E.O. 12958 1.4 (b) and (d)."): not the cable's E.O. line."""
        return (
            s[:1] in "Ee" and _EO_REASON_RE.match(s) is not None and not self._authority_complete()
        )

    def _subject_below_keyword(self, s: str) -> bool:
        """A "SUBJECT:" line that held nothing, and below it the subject with its portion
        mark ("(C) TALKS RESUME"): the subject, not a first paragraph marked "(C)".

        Why: read as a paragraph, the subject's mark counts as a portion and the
        Classified By line below it is lost in that paragraph's text.
        """
        if any(line.strip() for line in self.header.subject_lines):
            return False
        return not self.after_blank or (s.isupper() and len(s) <= 120)

    def _ref_item(self, s: str) -> bool:
        expected = f.next_ref_letter(" ".join(self.header.ref_lines))
        label = f.REF_ITEM_START_RE.match(s)
        if label:
            if self.after_blank or _PAREN_LEVEL_LABEL_RE.match(s):
                return label.group("letter").upper() == expected
            return True
        if self.after_blank:
            return False
        if _PAREN_ONLY_RE.match(s):
            return True  # "(NOTAL)" under a reference
        if f"({expected})" in s or f" {expected}. " in f" {s} " or f" {expected}) " in f" {s} ":
            return True
        joined = " ".join(self.header.ref_lines).rstrip()
        if joined.endswith((",", ";", "&", "-")) or joined.upper().endswith(" AND"):
            return True
        return len(s) < 70 and s.isupper() and bool(_REF_SHAPE_RE.match(s))

    def _authority(self, m: re.Match[str]) -> bool:
        self._enter("classified")
        if m.group("kw").upper().startswith("DERIVED"):
            if self.header.derived_from is None:
                self.header.derived_from = m.group("rest").strip() or None
            self.state = None
        elif not self.header.authority_lines:
            self.header.authority_lines.append(m.group(0))
        else:
            self.state = "skip"  # a second Classified By line: keep the first
        return True

    def _field(self, s: str) -> bool:
        # The first letter picks the one pattern worth trying (speed: headers are hot).
        first = s[:1].upper()
        if first in ("E", "\u00b6"):
            eo = f.EO_LINE_RE.match(s)
            return self._eo(eo) if eo else False
        if first == "T":
            tags = f.TAGS_LINE_RE.match(s)
            if tags:
                self._enter("tags")
                if not self.header.tags:
                    self.header.tags, self.header.tags_unseparated = f.read_tags(tags.group("tags"))
            return tags is not None
        if first == "S":
            subject = f.SUBJECT_LINE_RE.match(s)
            return self._subject(subject.group("subject")) if subject else False
        if first == "R":
            ref = f.REF_LINE_RE.match(s)
            if ref:
                self._enter("ref" if not self.header.ref_lines else "skip")
                if self.state == "ref":
                    self.header.ref_lines.append(self._sbu_tail(ref.group("refs")))
            return ref is not None
        if first == "D":
            decl = f.DECLASSIFY_ON_RE.match(s)
            if decl:
                self._enter("note")
                if self.header.decl is None:
                    self.header.decl = decl.group("decl")
                self.header.notes.append(s)
                return True
            return self._decl_line(s)
        return False

    def _decl_line(self, s: str) -> bool:
        """ "DECL: 20350101" alone: the instruction when the E.O. line gave none.

        Why here: below a Classified By line it would otherwise be read as more of
        the classifier's name, and the cable reported as having no DECL at all.
        """
        decl = f.DECL_LINE_RE.match(s)
        if decl is None:
            return False
        self._enter(None)
        if self.header.decl is None:
            self.header.decl = f.read_decl(decl.group("decl"))
        else:
            self.header.notes.append(s)  # a second instruction: kept, not lost
        return True

    def _eo(self, m: re.Match[str]) -> bool:
        self._enter(None)
        if self.header.eo_seen:
            return True
        self.header.eo_seen = True
        self.header.executive_order = m.group("eo")
        rest = m.group("rest")
        tags = _EO_TAGS_RE.search(rest) if "TAG" in rest else None
        if tags is not None:
            rest = rest[: tags.start()]
        self.header.decl = f.read_decl(rest)
        if self.header.decl is None and tags is None:
            self.state = "eo_pending"
        if tags is not None and not self.header.tags:
            # "E.O. 12958: DECL: 02/10/2016 TAGS PGOV, PREL": a scraper joined the TAGS
            # line, written without its colon (which ``unglue`` would have cut at), to
            # the E.O. line; read as the instruction, the tags were lost and the date
            # garbled.
            self._enter("tags")
            listed = m.group("rest")[tags.end() :]
            self.header.tags, self.header.tags_unseparated = f.read_tags(listed)
        return True

    def _subject(self, text: str) -> bool:
        if self.header.subject_lines:
            self._enter("skip")
            return True
        self._enter("subject")
        self.header.subject_lines.append(self._sbu_tail(text))
        return True

    def _sbu_tail(self, text: str) -> str:
        m = _SBU_TAIL_RE.search(text)
        if m is None:
            return text
        self._caption("SENSITIVE")
        return text[: m.start()]

    def _statement(self, s: str) -> bool:
        """Lines that are header but not fields: banners, captions, stamps."""
        previous = self.state
        self.state = None  # a statement ends the field above it
        if self._statement_kind(s):
            return True
        self.state = previous
        return False

    def _statement_kind(self, s: str) -> bool:
        if s[0] in f.BANNER_FIRST and len(s) < 400 and f.may_be_banner(s):
            banner = f.read_banner(s)
            if banner is not None:
                self.header.controls.extend(banner.controls)
                self.header.unknown_controls.extend(banner.unknown_controls)
                if banner.rest and not self._segment(banner.rest, self.field_limit):
                    self.header.passing.append(banner.rest)
                return True
        low = s.lower()
        entire = entire_text_statement(s) if "entire" in low else None
        if entire is not None:
            self.header.entire_text = entire
            return True
        if "sensitive" in low and _SBU_STATEMENT_RE.match(s) and len(s) < 160:
            self._caption("SENSITIVE")
            self.state = "statement"
            return True
        if low[:1] == "c" and _CORRECTED_RE.match(s):
            self._caption("CORRECTED COPY")
            return True
        if low[:1] in "doc" and (_DECLASS_NOTE_RE.match(s) or _CLASSIFIED_STATEMENT_RE.match(s)):
            self.header.notes.append(s)
            self.state, self.state_lines = "note", 0
            return True
        if s[1:2] == " " and _LETTER_SPACED_RE.match(s):
            # "N O D I S", "E X D I S": a caption letter-spaced as the classification
            # line above it is.  Read as a passing line, its control was lost.
            squashed = s.replace(" ", "")
            if _CAPTION_WORD_RE.fullmatch(squashed) or _CAPTION_LINE_RE.match(squashed):
                return self._captions(squashed, squashed.lower())
        return self._captions(s, low)

    def _captions(self, s: str, low: str) -> bool:
        if low[:2] == "no" and (written := _NOFORN_WRITTEN_RE.match(s)) is not None:
            self._caption(" ".join(written.group(0).upper().split()))
            if "NOFORN" not in self.header.controls:
                self.header.controls.append("NOFORN")  # the control, under its own name
            return True
        if low.lstrip(" ,;.")[:3] not in _CAPTION_STARTS:
            return False
        run = _CAPTION_RUN_RE.match(s)
        if run and run.group().strip(" ,;."):
            for word in _CAPTION_WORD_RE.findall(run.group()):
                self._caption(word.upper())
            rest = s[run.end() :].strip(" ,;./")  # "STADIS//////": the slashes are fill
            if rest and not self._segment(rest, self.field_limit):
                self.header.passing.append(rest)
            return True
        if _CAPTION_LINE_RE.match(s):
            for word in s.replace(",", " ").split():
                self._caption(word)
            return True
        rel = _REL_LINE_RE.match(s)
        if rel:
            names = [n.strip() for n in _REL_SPLIT_RE.split(rel.group("list").upper())]
            control = "REL TO " + ", ".join(n for n in names if n)
            self._caption(s.upper())
            self.header.controls.append(control)
            return True
        return False

    def _caption(self, word: str) -> None:
        if word not in self.header.captions:
            self.header.captions.append(word)
        control = _CAPTION_CONTROLS.get(word)
        if control and control not in self.header.controls:
            self.header.controls.append(control)

    def _continuation(self, s: str) -> bool:
        state = self.state
        if state is None or self.state_lines >= _MAX_CONTINUATION:
            return False
        if self.after_blank and not (state == "subject" and self._subject_may_resume()):
            return False
        if state == "tags":
            if not f.continue_tags(self.header.tags, s):
                return False
        elif state == "subject":
            if not self._subject_wrap(s):
                return False
            self.header.subject_lines.append(self._sbu_tail(s))
        elif state == "classified":
            if self._authority_complete():
                return False
            self.header.authority_lines.append(s)
        elif state == "note" and self.header.notes:
            self.header.notes[-1] = f"{self.header.notes[-1]} {s}"
        elif state == "skip":
            self.header.passing.append(s)  # a repeated field's lines: kept, not re-read
        else:
            return False
        self.state_lines += 1
        return True

    def _authority_complete(self) -> bool:
        """The Classified By text already ends with its reason letters (rules 3.2)."""
        joined = " ".join(self.header.authority_lines).rstrip()
        if _UNFINISHED_RE.search(joined) or joined.endswith("("):
            return False
        return bool(f.read_authority(joined).reasons)

    def _subject_may_resume(self) -> bool:
        """After a blank line: more fields follow, or the subject so far is unfinished."""
        so_far = " ".join(self.header.subject_lines).strip()
        return self.fields_ahead or not so_far or bool(_UNFINISHED_RE.search(so_far))

    def _subject_wrap(self, s: str) -> bool:
        """A wrapped subject line, not a list, a rule or a sentence after the subject."""
        if len(self.header.subject_lines) >= 4 or s[:2] in _LIST_STARTS or _RULE_ONLY_RE.match(s):
            return False
        if _PASS_INSTRUCTION_RE.match(s):
            return False  # read as a passing line instead (``_passing``)
        if not self.fields_ahead and self._paragraph_after_subject(s):
            self.body_begun = True
            return False
        so_far = " ".join(self.header.subject_lines)
        if (
            so_far.strip()
            and not any(c.islower() for c in so_far)
            and any(c.islower() for c in s)
            and not _UNFINISHED_RE.search(so_far)
        ):
            return False  # an upper-case subject does not wrap into a mixed-case sentence
        return not s.rstrip().endswith(":") or self.fields_ahead

    def _paragraph_after_subject(self, s: str) -> bool:
        """The line below the subject starts the text, not the subject's second line.

        Archives that drop blank lines put the first paragraph right below the subject:
        a line that opens a paragraph ("SUMMARY:", "BEGIN SUMMARY", "A. ..."), or a
        sentence after a short subject line, which would have held its next words had
        the subject gone on (unless it ends unfinished: "... TALKS WITH THE"); a short
        line that is no sentence ("TUESDAY, MARCH 22, 2005") may still be the subject's.
        """
        last = self.header.subject_lines[-1].strip()
        if _UNFINISHED_RE.search(last):
            return False  # "SCENESETTER FOR" / "A. SMITH VISIT": the subject goes on
        if _PARAGRAPH_OPENING_RE.match(s):
            return True
        short = _SHORT_SUBJECT_LINE if len(self.header.subject_lines) == 1 else _SHORT_LINE
        return 0 < len(last) < short and s.rstrip().endswith((".", "!", "?"))

    def _passing(self, s: str, index: int) -> bool:
        if self.body_begun:
            return False
        before_fields = (not self.seen_field and index <= self.field_limit) or self.fields_ahead
        shaped = len(s) <= 160 and s.upper() == s and _PASSING_SHAPE_RE.search(s) is not None
        if not (before_fields or shaped or _PASS_INSTRUCTION_RE.match(s)):
            return False
        tail = _CAPTION_TAIL_RE.search(s)
        if tail:
            for word in _CAPTION_WORD_RE.findall(tail.group()):
                self._caption(word.upper())
            s = s[: tail.start()].strip()
        if s:
            self.header.passing.append(s)
        return True

    def _enter(self, state: str | None) -> None:
        self.state = state
        self.state_lines = 0
        self.seen_field = True
