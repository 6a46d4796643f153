"""The top of a cable: where its classification line is, and the routing lines above it.

Routing (FL5 date-time group, FM, TO, INFO) sits above the classification
line in full telegrams; archive extracts replace it with a "Cable dated:"
stamp or a weekday dateline, and 1970s cables with "PAGE 01" headers.  Each
source of the date is ranked so that the most precise one wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from cables.parsing import fields as f
from cables.parsing.markers import PARAGRAPH_ONE_RE

Line = tuple[int, str]  # (1-based line number in the normalised text, text)

_CABLE_DATED_SPLIT_RE = re.compile(r"(Cable dated:\s*\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d)?Z?)")


def split_cable_dated(lines: list[Line], limit: int = 400) -> list[Line]:
    """Put an archive "Cable dated:..." stamp on its own line (it is glued to the banner)."""
    out: list[Line] = []
    for i, (no, text) in enumerate(lines):
        if i < limit and "Cable dated:" in text:
            out.extend((no, part) for part in _CABLE_DATED_SPLIT_RE.split(text) if part.strip())
        else:
            out.append((no, text))
    return out


# --- a mail system's printout around the cable ------------------------------------------

_CABLE_TEXT_RE = re.compile(r"^\s*Cable\s+Text\s*:\s*(?P<rest>.*)$", re.I)
_ROUTING_START_RE = re.compile(
    r"^\s*(?:VZCZC|[ZOPRY]{2}\s+R[A-Z]{3,7}\b|DE\s+R[A-Z]{3,7}\b|[ZOPRY]\s+\d{6}Z\s)"
)


def strip_wrapper(lines: list[Line], limit: int = 80) -> list[Line]:
    """The cable inside a mail system's printout, read as if there were no printout.

    A "From: / Sent: / ... / Inbox: Search Results / Cable Text:" preamble, and
    the office dissemination block below it ("Office:", "Dissemination:",
    "Action:", often a copy of the classification line) come before the routing
    block: all of it is dropped up to the routing block, so that its copy of the
    classification line is not taken for the cable's own (which would hide the
    date-time group below it).  Without a routing block, only the preamble down
    to "Cable Text:" is dropped.  Line numbers are kept.
    """
    at = next((i for i, (_, text) in enumerate(lines[:limit]) if _CABLE_TEXT_RE.match(text)), None)
    if at is None:
        return lines
    rest = lines[at + 1 :]
    no, text = lines[at]
    after = text.split(":", 1)[1]
    if after.strip():
        rest.insert(0, (no, after))
    for j, (_, text) in enumerate(rest[:limit]):
        if _ROUTING_START_RE.match(text):
            return rest[j:]
    return rest


# --- locating the classification line ----------------------------------------------------


def find_banner(lines: list[Line], limit: int = 600) -> tuple[int, f.Banner | None]:
    """Index of the classification line: the first full one before paragraph 1.

    A bare level line ("CONFIDENTIAL PTQ2529", "SECRET//NOFORN") is used only
    when no full line (level, post, serial) exists before the body.
    """
    bare_index, bare = -1, None
    for i, (_, text) in enumerate(lines[:limit]):
        s = text.lstrip()
        if not s:
            continue
        if PARAGRAPH_ONE_RE.match(s):
            break
        if s[0] in f.BANNER_FIRST:
            banner = f.read_banner(s)
            if banner is not None:
                if banner.full:
                    return i, banner
                if bare is None:
                    bare_index, bare = i, banner
    return bare_index, bare


def find_trailing_banner(lines: list[Line], last: int = 5) -> tuple[int, f.Banner | None]:
    """A bare level line ("CONFIDENTIAL") among the last ``last`` non-blank lines, or
    (-1, None): the trailer of an extract that lost its top, its only classification.

    Written plainly, in capitals, alone on its line: prose is never read as one.
    """
    seen = 0
    for i in range(len(lines) - 1, -1, -1):
        s = lines[i][1].strip()
        if not s:
            continue
        seen += 1
        if seen > last:
            break
        if s[0] in f.BANNER_FIRST and len(s) <= 60 and s.isupper() and f.may_be_banner(s):
            banner = f.read_banner(s)
            if banner is not None and not banner.full:
                return i, banner
    return -1, None


# --- a second cable in the same file -------------------------------------------------------

_ROUTING_LINE_RE = re.compile(
    r"^(?:VZCZC|[ZOPRY]{1,2}\s+R[A-Z]{3,7}\b|DE\s+R[A-Z]{3,7}\b|ZN[YR]\s|[ZOPRY]\s+\d{6}Z\s|"
    r"(?:FM|TO|INFO)\s|BT$|NNNN?$|#\s?\d{1,5}$)"
)
_QUOTE_OPEN_RE = re.compile(r"(?<!END )\b(?:QUOTE|BEGIN\s+TEXT)\b", re.I)
_QUOTE_CLOSE_RE = re.compile(r"\b(?:UNQUOTE|END\s+(?:OF\s+)?TEXT|END\s+QUOTE)\b", re.I)


def second_cable_at(lines: list[Line], candidates: list[int]) -> int | None:
    """Index of the first candidate line (a full classification line of another post
    or serial) that begins a second cable, or None.

    Why so strict: cables quote others.  A REF or a paragraph may name another
    cable's classification line, and a repeated cable quotes a whole one, banner
    and header included.  A second cable's line stands alone (a blank or routing
    line above it), its header fields (E.O., TAGS, SUBJECT) follow within ten
    lines, and no quotation ("QUOTE", "BEGIN TEXT") is open above it.
    """
    for i in candidates:
        above = lines[i - 1][1].strip() if i > 0 else ""
        if above and not _ROUTING_LINE_RE.match(above):
            continue
        if not any(_FIELD_START_RE.match(text) for _, text in lines[i + 1 : i + 11]):
            continue
        before = "\n".join(text for _, text in lines[:i])
        if len(_QUOTE_OPEN_RE.findall(before)) > len(_QUOTE_CLOSE_RE.findall(before)):
            continue
        return i
    return None


_FIELD_START_RE = re.compile(
    r"^\s*(?:\u00b6?\s*E\s?\.?\s?[O0]\s?\.?\s*\d{5}|TAGS?\s*:|SUBJ(?:ECT)?\s*:|SIPDIS\b)", re.I
)


def first_field_index(lines: list[Line], limit: int = 200) -> int:
    """Where the header fields begin when there is no classification line."""
    for i, (_, text) in enumerate(lines[:limit]):
        if _FIELD_START_RE.match(text) or PARAGRAPH_ONE_RE.match(text):
            return i
    return 0


# --- routing preamble ----------------------------------------------------------------------

_FL2_RE = re.compile(r"^(?P<prec>[ZOPR]{2})\s+R[A-Z]{3,7}\b")
_ROUTING_NOISE_RE = re.compile(r"^(?:VZCZC|DE\s+R[A-Z]{3,7}|ZN[YR]\s|BT$|NNNN|ACTION\s|-{4,})")


@dataclass(slots=True)
class Preamble:
    """What the routing lines above the classification line say."""

    dtg: str | None = None
    sent_at: datetime | None = None
    date_source: str | None = None  # "dtg" | "cable_dated" | "dateline" | "bare_dtg" | "telegram"
    precedence: str | None = None
    originator: str | None = None
    to: list[str] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    partial: bool = False
    page_time: tuple[str, int, int, int] | None = None  # ("271458Z", day, hour, minute)
    serial: int | None = None  # the message serial of the routing line "DE RUEHRO #0004"
    page_origin: str | None = None  # an archive page's "Origin: Embassy Valderra"
    page_reference_id: str | None = None  # an archive page's "Reference ID: 06VALDERRA77"


_FL5_FIRST = frozenset("ZOPRY")
_DATE_RANK = {"dtg": 0, "cable_dated": 1, "dateline": 2, "bare_dtg": 3, "telegram": 4}


def read_preamble(lines: list[Line]) -> Preamble:
    """Read DTG, FM, TO and INFO from the lines above the classification line."""
    pre = Preamble()
    state: str | None = None
    fm_seen = False
    digraph: str | None = None
    for _, text in lines:
        s = text.strip()
        if not s:
            continue
        if s[0] in "FTI" and s[:2] in _KEYWORD_STARTS and s[2:3] in _AFTER_KEYWORD:
            s = _routing_keyword(s)
        if s.startswith("This record is a partial extract"):
            pre.partial = True
        elif _read_date_line(pre, s):
            if " FM " in s and _joined_routing(s):
                return read_preamble(_unjoined(lines))
            state = None
        elif s.startswith("FM ") or s == "FM":
            if " TO " in s or " INFO " in s:
                return read_preamble(_unjoined(lines))  # rare: cut apart and read again
            if pre.originator is None:
                pre.originator = " ".join(s[2:].split()) or None
            fm_seen, state = True, None
        elif fm_seen and (s.startswith("TO ") or s.startswith("INFO ")):
            state = "to" if s.startswith("TO ") else "info"
            _add_addressee(pre, state, s.split(None, 1)[1])
        elif s.startswith("DE ") and (de := f.DE_LINE_RE.match(s)) is not None:
            if pre.serial is None:
                pre.serial = int(de.group("serial"))
        elif s.startswith("XMT"):
            state = "xmt"
        elif (fl2 := _FL2_RE.match(s)) is not None and not fm_seen:
            digraph = digraph or fl2.group("prec")
        elif s[0] in _PAGE_LABEL_FIRST and ":" in s and _page_label(pre, s):
            pass  # a page's label, even below the INFO line: never an addressee
        elif state in ("to", "info") and not _ROUTING_NOISE_RE.match(s):
            _add_addressee(pre, state, s)
    if pre.precedence is None and digraph:
        pre.precedence = f.precedence_word(digraph[0])
    return pre


_PAGE_LABEL_FIRST = frozenset("ORDF")


def _page_label(pre: Preamble, s: str) -> bool:
    """An archive page's "Origin:", "Reference ID:", "Document Number:" or "From:" label.

    Why: a cable published without routing lines has no FM line to name its post, and
    one whose classification line has no post and serial no reference id either.
    """
    if s.startswith("Origin") and (page := f.PAGE_ORIGIN_RE.match(s)) is not None:
        pre.page_origin = pre.page_origin or page.group("name")
        return True
    if s.startswith("Reference") and (ref := f.PAGE_REFERENCE_ID_RE.match(s)) is not None:
        pre.page_reference_id = pre.page_reference_id or ref.group("id")
        return True
    if s.startswith("Document") and (aad := f.AAD_DOCUMENT_NUMBER_RE.match(s)) is not None:
        pre.page_reference_id = pre.page_reference_id or aad.group("yy") + aad.group("rest")
        return True
    if s.startswith("From") and (sender := f.AAD_FROM_RE.match(s)) is not None:
        pre.page_origin = pre.page_origin or f.origin_name(sender.group("plad"))
        return True
    return False


_KEYWORD_STARTS = frozenset({"FM", "TO", "IN"})
_AFTER_KEYWORD = frozenset("\t:F ")  # "FM\t", "TO:", "INFO" (its "F"), "FM :"
_KEYWORD_COLON_RE = re.compile(r"^(FM|TO|INFO)[ \t]*:[ \t]*(?=\S)")


def _routing_keyword(s: str) -> str:
    """ "FM:\tAMEMBASSY ...", "TO:  RUEHC/...": the keyword as telegrams write it.

    Why: transcriptions put a tab or a colon after FM, TO and INFO; read as written,
    the line was no routing line, and the originator and addressees were lost.
    """
    if "\t" in s:
        s = s.replace("\t", " ")
    colon = _KEYWORD_COLON_RE.match(s)
    return f"{colon.group(1)} {s[colon.end() :]}" if colon else s


# Routing lines joined into one by a scraper: "R 041125Z MAR 75 FM AMEMBASSY VALDERRA TO
# SECSTATE WASHDC 475 INFO AMEMBASSY LONDON 123": cut before FM, TO and INFO, and
# before each addressee (a routing indicator or a PLAD's first word) after TO or INFO.
_GLUED_ROUTING_RE = re.compile(r"[ \t]+(?=(?:FM|TO|INFO)[ \t])")
_GLUED_ADDRESSEE_RE = re.compile(
    r"[ \t]+(?=R[A-Z]{3,6}/|(?:AMEMBASSY|AMCONSUL|AMCONGEN|SECSTATE|USMISSION|USDEL|USINT|"
    r"SECDEF|CIA|NSC|USCINC[A-Z]*)\b)"
)


def _unjoined(lines: list[Line]) -> list[Line]:
    """The routing lines with those a scraper joined cut apart again (same line number).

    Why: read whole, "FM AMEMBASSY VALDERRA TO SECSTATE WASHDC" makes the whole line
    the originator, and after a DTG on the same line the FM line is not seen at all.
    Called only when such a line was met: other cables pay nothing for it.
    """
    out: list[Line] = []
    for no, text in lines:
        s = text.strip()
        if not _joined_routing(s):
            out.append((no, text))
            continue
        for part in _GLUED_ROUTING_RE.split(s):
            if part.startswith(("TO ", "INFO ")):
                keyword, addressees = part.split(None, 1)
                first, *more = _GLUED_ADDRESSEE_RE.split(addressees)
                out.append((no, f"{keyword} {first}"))
                out.extend((no, name) for name in more)
            else:
                out.append((no, part))
    return out


def _joined_routing(s: str) -> bool:
    """A DTG or FM line that goes on with FM, TO or INFO."""
    if s.startswith("FM "):
        return " TO " in s or " INFO " in s
    fl5 = f.FL5_RE.match(s) if s[:1] in _FL5_FIRST else None
    return fl5 is not None and s[fl5.end() :].lstrip().startswith("FM ")


def _read_date_line(pre: Preamble, s: str) -> bool:
    """Take a date from a routing line if it ranks above what is known; True if it was one."""
    first = s[:1]
    if first in _FL5_FIRST and s[1:2] == " ":
        if _fl5_line(pre, s):
            return True
    if first.isdigit():
        bare = f.BARE_DTG_RE.match(s)
        if bare:
            if _better(pre, "bare_dtg"):
                _set_date(pre, "bare_dtg", bare.group("dtg"), f.dtg_datetime(bare))
            return True
    if first == "P" and s.startswith("PAGE"):
        return _page_line(pre, s)
    if "Cable dated" in s:
        dated = f.CABLE_DATED_RE.search(s)
        if dated:
            if _better(pre, "cable_dated"):
                _set_date(pre, "cable_dated", None, f.cable_dated(dated))
            return True
    if first == "T" and s.startswith("TELEGRAM"):
        telegram = f.TELEGRAM_DATE_RE.match(s)
        if telegram:
            if _better(pre, "telegram"):
                _set_date(pre, "telegram", None, f.telegram_date(telegram))
            return True
    if first == "D" and s.startswith("Date:"):
        archive = f.ARCHIVE_DATE_RE.match(s)
        if archive:
            if _better(pre, "dateline"):
                _set_date(pre, "dateline", None, f.dateline(archive))
            return True
    if first in "DdCc" and ":" in s[:16]:
        return _archive_date_line(pre, s)
    if "day," in s:
        line = f.DATELINE_RE.match(s)
        if line:
            if _better(pre, "dateline"):
                _set_date(pre, "dateline", None, f.dateline(line))
            return True
    return False


def _archive_date_line(pre: Preamble, s: str) -> bool:
    """An archive page's labelled DTG or ISO date above the text; True if it was one.

    Why: a page that prints "DTG: 101530Z FEB 06" or "Date: 2006-02-10 15:30" in place
    of the routing lines gave the cable no date at all (NO_DATE).
    """
    labelled = f.LABELLED_DTG_RE.match(s)
    if labelled:
        if _better(pre, "bare_dtg"):
            _set_date(pre, "bare_dtg", labelled.group("dtg"), f.dtg_datetime(labelled))
        return True
    iso = f.ARCHIVE_ISO_DATE_RE.match(s)
    if iso:
        if _better(pre, "cable_dated"):
            _set_date(pre, "cable_dated", None, f.cable_dated(iso))
        return True
    return False


def _fl5_line(pre: Preamble, s: str) -> bool:
    fl5 = f.FL5_RE.match(s)
    if fl5:
        if _better(pre, "dtg"):
            _set_date(pre, "dtg", fl5.group("dtg"), f.dtg_datetime(fl5))
            pre.precedence = f.precedence_word(fl5.group("p1"))
        return True
    return False


def _page_line(pre: Preamble, s: str) -> bool:
    page = f.PAGE_HEADER_RE.match(s)
    if page is None:
        return False
    if pre.page_time is None:
        pre.page_time = (
            page.group("dtg"),
            int(page.group("dd")),
            int(page.group("hh")),
            int(page.group("mi")),
        )
    return True


def _better(pre: Preamble, source: str) -> bool:
    return pre.date_source is None or _DATE_RANK[source] < _DATE_RANK[pre.date_source]


def _set_date(pre: Preamble, source: str, dtg: str | None, when: datetime | None) -> None:
    if when is None:
        return
    pre.date_source, pre.sent_at = source, when
    if dtg is not None or pre.dtg is None:
        pre.dtg = dtg


def _add_addressee(pre: Preamble, state: str, text: str) -> None:
    name = f.addressee(text)
    if name:
        (pre.to if state == "to" else pre.info).append(name)
