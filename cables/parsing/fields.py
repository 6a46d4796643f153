"""Readers for single header fields, each a pure function of a string.

Kept apart from the line walker (``header.py``) so that every field shape
seen in real cables can be tested on its own.  Shapes follow the
classification rules, sections 1.4 (classification line), 3.2 (classified
by / reasons) and 7 (header fields); the tolerances for typos are the ones
found in published cables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from cables.markings import Level, Marking

_SLASHES_RE = re.compile(r"\s*//?\s*")
_TAG_SPLIT_RE = re.compile(r"[\s,]+")
_LEADING_LABEL_RE = re.compile(r"^\s*\(?[A-Za-z][.)]\s+(?=\S)")
_LEADING_FOR_RE = re.compile(r"^(?:FOR|PER|BASED\s+(?:UPON|ON))\s+", re.I)
_ROUTING_PREFIX_RE = re.compile(r"^(?:[A-Z]{3,8}/)(?=[A-Z])")

# --- portion marks -----------------------------------------------------------------

_ENTIRE_TEXT_MARK_RE = re.compile(
    r"^\s*(?P<level>TOP\s+SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|LIMITED\s+OFFICIAL\s+USE|"
    r"TS|S|C|U|LOU)\s*[-\u2013\u2014]*\s*ENTIRE\s+TEXT\s*\.?\s*$",
    re.I,
)
_OFFICIAL_USE_RE = re.compile(r"\b(?:(FOR)|LIMITED)\s+OFFICIAL\s+USE(?(1)\s+ONLY)\b", re.I)
_LEVEL_WORD_FOR_MARK = {"LIMITEDOFFICIALUSE": "LOU", "LOU": "LOU"}


@dataclass(frozen=True, slots=True)
class PortionMark:
    """A portion mark read leniently: the marking plus what could not be read."""

    marking: Marking
    entire_text: bool = False  # "(C - ENTIRE TEXT)": marks every portion
    unknown: tuple[str, ...] = ()  # controls dropped because they are not known


@lru_cache(maxsize=4096)
def read_portion_mark(body: str) -> PortionMark | None:
    """Read the inside of a portion mark ("S/NF", "C - ENTIRE TEXT", "TS//SI").

    ``Marking.parse`` does the work; unknown controls (e.g. SCI "SI") are
    dropped and reported instead of losing the level, because the level is
    what handling depends on.  Returns None when the text is not a mark.
    """
    body = body.strip()
    if not body or len(body) > 60:
        return None
    entire = _ENTIRE_TEXT_MARK_RE.match(body)
    if entire:
        word = "".join(entire.group("level").split()).upper()
        if word in _LEVEL_WORD_FOR_MARK:
            return PortionMark(Marking(Level.U, ("LOU",)), entire_text=True)
        return PortionMark(Marking(Level.from_text(word)), entire_text=True)
    if "OFFICIAL" in body.upper():
        # "(LIMITED OFFICIAL USE)", "(U//FOR OFFICIAL USE ONLY)": the controls written
        # out; unread, the paragraph was unmarked and inherited the cable's level.
        body = _OFFICIAL_USE_RE.sub(lambda m: "FOUO" if m.group(1) else "LOU", body)
    if "CUI" in body.upper():
        cui = _cui_mark(body)
        if cui is not None:
            return cui
    try:
        return PortionMark(Marking.parse(body))
    except ValueError:
        pass
    parts = [p for p in _SLASHES_RE.split(body) if p]
    if len(parts) < 2:
        return None
    try:
        level = Level.from_text(parts[0])
    except ValueError:
        return None
    controls: list[str] = []
    unknown: list[str] = []
    for part in parts[1:]:
        try:
            controls.extend(control_names(part))
        except ValueError:
            unknown.append(part)
    if level == Level.U and "SBU" in controls:
        controls.remove("SBU")
        controls.insert(0, "SBU")
    return PortionMark(Marking(level, tuple(controls)), unknown=tuple(unknown))


def control_names(part: str) -> tuple[str, ...]:
    """The controls one part of a marking names ("NF" -> NOFORN, "CUI" -> CUI).

    Raises ``ValueError`` for a part that names no known control.
    """
    return Marking.parse(f"S//{part}").controls


# The controls a cable may write in a parenthesis of their own after the level
# ("(S) (NF)", "(C) (REL UK)"): dissemination controls only, never a level or SBU,
# so that "(S) (SBU)" or "(C) (ND...)" prose keeps its text.
_SECOND_PARENTHESIS_CONTROLS = frozenset({"NOFORN", "ORCON", "EXDIS", "NODIS", "REL"})
# Two letters at least: "(C) (N)" is a list item's label, not NOFORN.
_SECOND_PARENTHESIS_RE = re.compile(r"^[A-Z][A-Z /,]{1,38}$")


# A REL TO list's names: country trigraphs and digraphs (USA, UK), organisations (NATO, FVEY).
_RELEASE_NAME_RE = re.compile(r"[A-Z]{2,5}")


def _release_list(control: str) -> bool:
    """A "REL TO" control naming only countries or organisations ("REL TO USA, GBR"), not
    prose that happens to start so ("REL TO REF A", "REL TO BE DETERMINED")."""
    names = control[7:].split(", ") if control.startswith("REL TO ") else ()
    return bool(names) and all(_RELEASE_NAME_RE.fullmatch(name) for name in names)


@lru_cache(maxsize=256)
def add_control_parenthesis(mark: PortionMark, body: str) -> PortionMark | None:
    """``mark`` with the controls of a second parenthesis ("NF" of "(S) (NF)") added,
    or None when ``body`` is not a control written that way.

    Why: some cables give a paragraph's NOFORN or REL TO in a parenthesis of its own
    after its level; read as text, a NOFORN paragraph was handled as releasable.
    Upper case only: "(a)", "(Ref A)", "(Note: ...)" and "(nf)" stay the text's.
    """
    if mark.entire_text or not _SECOND_PARENTHESIS_RE.match(body):
        return None
    try:
        controls = control_names(body)
    except ValueError:
        return None
    if not all(c in _SECOND_PARENTHESIS_CONTROLS or _release_list(c) for c in controls):
        return None
    return PortionMark(mark.marking.with_controls(*controls), unknown=mark.unknown)


_CUI_RE = re.compile(
    r"^(?:(?:U|UNCLAS(?:SIFIED)?)\s*//?\s*)?CUI(?:\s*//?\s*(?P<rest>\S.*))?$", re.I
)


def _cui_mark(body: str) -> PortionMark | None:
    """ "(CUI)", "(U//CUI)", "(CUI//NOFORN)": Controlled Unclassified Information.

    Used since 2016 in place of SBU: an unclassified level with a control, read as
    SBU and FOUO are (rules 1.2), so that such a paragraph is marked, not unmarked.
    """
    m = _CUI_RE.match(body)
    if m is None:
        return None
    controls: list[str] = ["CUI"]
    unknown: list[str] = []
    for part in (p for p in _SLASHES_RE.split(m.group("rest") or "") if p):
        try:
            controls.extend(control_names(part))
        except ValueError:
            unknown.append(part)
    return PortionMark(Marking(Level.U, tuple(controls)), unknown=tuple(unknown))


# --- classification line (banner) ----------------------------------------------------

_LEVEL_KEYS: dict[str, tuple[Level, tuple[str, ...]]] = {
    "TOPSECRET": (Level.TS, ()),
    "SECRET": (Level.S, ()),
    "CONFIDENTIAL": (Level.C, ()),
    "UNCLASSIFIED": (Level.U, ()),
    "UNCLAS": (Level.U, ()),
    "LIMITEDOFFICIALUSE": (Level.U, ("LOU",)),
}
_SPACES_RE = re.compile(r"[ \t]+")
_BANNER_TAIL_RE = re.compile(
    r"^(?:SECTION\s+(?P<sec>\d{1,2})\s+OF\s+(?P<secs>\d{1,2})\s+)?"
    r"(?P<post>[A-Za-z][A-Za-z .'\u2019-]{0,40}?)\s+(?P<serial>\d{3,7})(?!\d)(?P<rest>.*)$",
    re.I,
)
_BARE_TRAILER_RE = re.compile(r"^(?:PTQ\d+|[\\.\s]*)$", re.I)
_EFTO_WORDS = ("EFTO", "E F T O")


@dataclass(frozen=True, slots=True)
class Banner:
    """The classification line: level, controls written on it, post and serial."""

    level: Level
    controls: tuple[str, ...]
    written: str  # the classification words as written, e.g. "S E C R E T"
    post: str | None = None  # "THE HAGUE" (None for a bare line such as "CONFIDENTIAL")
    serial: int | None = None
    section: int | None = None
    sections: int | None = None
    rest: str = ""  # text glued after the serial (captions, passing line)
    misspelled: bool = False
    efto: bool = False
    unknown_controls: tuple[str, ...] = ()

    @property
    def full(self) -> bool:
        """Post and serial were read (not a bare "CONFIDENTIAL" line)."""
        return self.post is not None

    @property
    def marking(self) -> Marking:
        """The marking written on the line itself (captions not included)."""
        return Marking(self.level, self.controls)


BANNER_FIRST = frozenset("SCUTLNEscutlne")  # first letters a classification line can have
_PLAIN_BANNER_WORDS = frozenset(
    {"SECRET", "CONFIDENTIAL", "UNCLASSIFIED", "UNCLAS", "TOP", "LIMITED"}
)


def may_be_banner(s: str) -> bool:
    """Cheap test before read_banner (no typo tolerance): a level word, a spaced letter,
    or banner syntax first.  Used for repeated lines, where typos are not expected."""
    head = s.split(" ", 1)[0].split("//", 1)[0].upper()
    return len(head) <= 2 or head in _PLAIN_BANNER_WORDS


def read_banner(line: str) -> Banner | None:
    """Read a classification line (section 1.4), tolerating the typos seen in cables.

    Accepts letter-spaced words in any case ("S e c r e t"), doubled or
    missing letters ("SS E C R E T", "E C R E T", "NCLAS"), banner syntax
    ("SECRET//NOFORN"), and a bare level line ("CONFIDENTIAL", as repeated
    at page breaks).  A misspelled plain word counts only in the full form
    (post and serial follow), so that prose is never read as a banner.
    """
    s = line.strip()
    if len(s) < 5 or s[0] not in BANNER_FIRST:
        return None
    s = _SPACES_RE.sub(" ", s)
    if "//" in s.split(" ", 1)[0]:
        whole = _read_banner_syntax(s)
        if whole is not None:
            return whole
    head = _classification_words(s)
    if head is None:
        return None
    written, squashed, _, after = head
    squashed, _, syntax = squashed.partition("//")
    if not syntax and "/" in squashed:
        squashed, _, syntax = squashed.partition("/")  # "CONFIDENTIAL/NOFORN"
    key, misspelled = _match_level_key(squashed)
    if key is None:
        return None
    level, controls = _LEVEL_KEYS[key]
    if syntax.endswith("REL") and after[:3].upper() == "TO ":
        syntax, after = syntax[:-3].rstrip("/"), f"REL {after}"  # "SECRET//REL TO USA, ..."
    extra, unknown = _banner_syntax_controls(syntax)
    efto, after = _take_efto(key, after)
    after = after.strip()
    if after[:1] in _CONTROL_FIRST:
        leading, after = _leading_controls(after)
        extra += leading
    base = Banner(
        level,
        controls + extra + (("EFTO",) if efto else ()),
        written,
        misspelled=misspelled,
        efto=efto,
        unknown_controls=unknown,
    )
    return _with_post_and_serial(base, after, bare_ok=not misspelled)


# Controls written between the level and the post, without CAPCO's slashes or with
# them apart from the level: "SECRET NOFORN POST 000077", "SECRET NOFORN/ORCON POST",
# "S E C R E T //REL TO USA, GBR// POST", "SECRET//REL TO USA, FVEY POST".  A REL TO
# list is country codes joined by commas: the post is the first word after it.
_CONTROL_FIRST = frozenset("/NOELSRC")
_LEADING_CONTROLS_RE = re.compile(
    r"^(?:[ \t]*/{0,2}[ \t]*(?:REL(?:EASABLE)?[ \t]+TO[ \t]+[A-Z]{2,4}(?:[ \t]*,[ \t]*[A-Z]{2,4})*"
    r"|NOFORN|ORCON|NODIS|EXDIS|LIMDIS|STADIS|SENSITIVE|CUI)(?![A-Za-z]))+[ \t]*/{0,2}[ \t]*"
)
_CONTROL_TOKEN_RE = re.compile(r"REL(?:EASABLE)?\s+TO\s+[A-Z]{2,4}(?:\s*,\s*[A-Z]{2,4})*|[A-Z]+")


def _leading_controls(after: str) -> tuple[tuple[str, ...], str]:
    """Controls before the post and serial, and the text after them.

    Only when a post and serial follow, or nothing does (a bare "SECRET NOFORN" line,
    as printed at a page break): a post is never taken for a control unless it is one.
    "UNCLAS SENSITIVE POST" is SBU (the SENSITIVE caption, rules 1.2).
    """
    m = _LEADING_CONTROLS_RE.match(after)
    if m is None or (m.end() < len(after) and _BANNER_TAIL_RE.match(after[m.end() :]) is None):
        return (), after
    controls: list[str] = []
    for token in _CONTROL_TOKEN_RE.findall(m.group(0)):
        controls.extend(control_names(token))
    return tuple(controls), after[m.end() :]


def _with_post_and_serial(base: Banner, after: str, *, bare_ok: bool) -> Banner | None:
    """Complete a banner with "SECTION n OF m POST serial", or accept a bare level line."""
    tail = _BANNER_TAIL_RE.match(after) if after else None
    if tail is None:
        return base if bare_ok and _BARE_TRAILER_RE.match(after) else None
    rest = tail.group("rest").strip()
    sec, secs = tail.group("sec", "secs")
    # Built field by field: dataclasses.replace looks the fields up again on every call,
    # and a cable's classification line is read several times (banner, page breaks).
    return Banner(
        base.level,
        base.controls,
        base.written,
        post=" ".join(tail.group("post").upper().split()),
        serial=int(tail.group("serial")),
        section=int(sec) if sec else None,
        sections=int(secs) if secs else None,
        rest="" if rest in ("\\", ".") else rest,
        misspelled=base.misspelled,
        efto=base.efto,
        unknown_controls=base.unknown_controls,
    )


_FOUO_RE = re.compile(r"\bFOR\s+OFFICIAL\s+USE\s+ONLY\b", re.I)


def _read_banner_syntax(s: str) -> Banner | None:
    """A whole line of CAPCO banner syntax: "SECRET//REL TO USA, GBR",
    "UNCLASSIFIED//FOR OFFICIAL USE ONLY" (a post and serial after it are read
    by the caller instead)."""
    mark = read_portion_mark(_FOUO_RE.sub("FOUO", s))
    if mark is None or mark.entire_text or mark.unknown or not s.split("//", 1)[0].isupper():
        return None
    if any(" " in c[7:].replace(", ", ",") for c in mark.marking.controls if c[:7] == "REL TO "):
        return None  # "SECRET//REL TO USA, FVEY KABUL 001234": a post after the list
    return Banner(mark.marking.level, mark.marking.controls, s.split("//", 1)[0])


def _classification_words(s: str) -> tuple[str, str, bool, str] | None:
    """Split off the classification words: (as written, squashed, letter-spaced?, rest)."""
    tokens = s.split(" ")
    if (
        len(tokens) >= 4
        and len(tokens[0]) <= 2
        and tokens[0].isalpha()
        and len(tokens[1]) == 1
        and (tokens[1].isalpha() or tokens[1] in _OCR_DIGITS)
    ):
        n = 1
        while (
            n < len(tokens)
            and len(tokens[n]) == 1
            and (tokens[n].isalpha() or tokens[n] in _OCR_DIGITS)
        ):
            n += 1
        words = tokens[:n]
        return " ".join(words), "".join(words).upper(), True, " ".join(tokens[n:])
    first = tokens[0].upper()
    if first == "TOP" and len(tokens) > 1 and tokens[1].upper().startswith("SECRET"):
        return " ".join(tokens[:2]), "TOP" + tokens[1].upper(), False, " ".join(tokens[2:])
    if first == "LIMITED" and [t.upper() for t in tokens[1:3]] == ["OFFICIAL", "USE"]:
        return " ".join(tokens[:3]), "LIMITEDOFFICIALUSE", False, " ".join(tokens[3:])
    if not tokens[0][:1].isalpha() or not tokens[0].replace("l", "I").isupper():
        # A plain level word is written in capitals ("Secret talks ..." is prose); an
        # "l" among them is OCR's reading of an "I" ("CONFIDENTlAL").
        return None
    return tokens[0], first, False, " ".join(tokens[1:])


_OCR_DIGITS = frozenset("01")  # OCR reads an O as 0 and an I as 1
_OCR_LETTERS = str.maketrans("01", "OI")


def _match_level_key(word: str) -> tuple[str | None, bool]:
    """The level word ``word`` stands for, and whether it was misspelled (or misread)."""
    if word in _LEVEL_KEYS:
        return word, False
    if not word.isalpha():
        word = word.translate(_OCR_LETTERS)  # "C0NFIDENTIAL"
        if word in _LEVEL_KEYS:
            return word, True
    if len(word) < 5 or not word.isalpha():
        return None, False
    for key in _LEVEL_KEYS:
        if len(key) >= 6 and abs(len(key) - len(word)) <= 1 and _within_one_edit(word, key):
            return key, True
    return None, False


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1 (one insert, delete, change or swap)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) <= 1:
            return True
        i, j = diff[0], diff[-1]
        return len(diff) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    for i in range(len(long_)):
        if long_[:i] + long_[i + 1 :] == short:
            return True
    return False


def _banner_syntax_controls(syntax: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Controls of CAPCO banner syntax after the level ("NOFORN", "FGI//NOFORN//MR")."""
    if not syntax:
        return (), ()
    controls: list[str] = []
    unknown: list[str] = []
    for part in (p for p in _SLASHES_RE.split(syntax) if p):
        try:
            controls.extend(control_names(part))
        except ValueError:
            unknown.append(part)
    return tuple(controls), tuple(unknown)


def _take_efto(key: str, after: str) -> tuple[bool, str]:
    if not key.startswith("UNCLAS"):
        return False, after
    for word in _EFTO_WORDS:
        if after.upper().startswith(word) and after[len(word) : len(word) + 1] in ("", " "):
            return True, after[len(word) :]
    return False, after


def reference_id(year: int, banner: Banner) -> str | None:
    """The archive id: 2-digit year, post without spaces, serial without padding.

    Archives kept "EFTO" from ``UNCLAS E F T O LONDON 002239`` in the post
    ("09EFTOLONDON2239"); that convention is followed so ids match theirs.
    A post the publisher replaced with X's gives no id (see ``routing_reference_id``).
    """
    if banner.post is None or banner.serial is None or is_redacted_post(banner.post):
        return None
    post = banner.post.replace(" ", "").replace(".", "").replace("'", "").replace("\u2019", "")
    prefix = "EFTO" if banner.efto else ""
    return f"{year % 100:02d}{prefix}{post}{banner.serial}"


_REDACTED_POST_RE = re.compile(r"^X{4,}$")


def is_redacted_post(post: str) -> bool:
    """A post the publisher replaced with X's ("XXXXXXXXXXXX 000004")."""
    return _REDACTED_POST_RE.match(post.replace(" ", "").upper()) is not None


_ID_POST_EXACT = {
    "SECSTATE WASHDC": "STATE",
    "SECSTATE WASHINGTON DC": "STATE",
    "USEU BRUSSELS": "BRUSSELS",
    "USMISSION USEU BRUSSELS": "BRUSSELS",
}
_ID_POST_PREFIXES = ("AMEMBASSY", "AMCONSUL", "AMCONSULATE", "AMCONGEN", "USINT", "USMISSION")


def id_post(plad: str) -> str | None:
    """The post as a classification line names it, from the FM PLAD, for the reference id.

    "AMEMBASSY ROME" -> "ROME", "AMEMBASSY TRIPOLI LY" -> "TRIPOLI", "SECSTATE WASHDC" ->
    "STATE", "USMISSION USUN NEW YORK" -> "USUN NEW YORK" (the pairs seen in the corpus).
    A delegation ("USDEL SECRETARY" writes "PARTO") gives None: its post cannot be told.
    """
    words = _PLAD_TAIL_RE.sub("", plad.upper()).split()
    joined = " ".join(words)
    if joined in _ID_POST_EXACT:
        return _ID_POST_EXACT[joined]
    if not words or words[0] == "USDEL":
        return None
    if words[0] in _ID_POST_PREFIXES and len(words) > 1:
        place = words[1:]
        if len(place) >= 2 and len(place[-1]) == 2 and words[0].startswith("AM"):
            place = place[:-1]  # trailing country code
        return " ".join(place)
    return joined


def routing_reference_id(year: int, plad: str | None, serial: int | None) -> str | None:
    """The id when the classification line's post is redacted: the FM post and the serial
    of the routing line ("DE RUEHRO #0004" and "FM AMEMBASSY ROME" -> "03ROME4")."""
    post = id_post(plad) if plad else None
    if not post or serial is None:
        return None
    return reference_id(year, Banner(Level.U, (), "", post=post, serial=serial))


# --- dates -------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
_MONTHS["SEPT"] = 9  # the one four-letter abbreviation cables write ("151230Z SEPT 08")
_MONTH_NAMES = {
    name: i
    for i, name in enumerate(
        [
            "JANUARY",
            "FEBRUARY",
            "MARCH",
            "APRIL",
            "MAY",
            "JUNE",
            "JULY",
            "AUGUST",
            "SEPTEMBER",
            "OCTOBER",
            "NOVEMBER",
            "DECEMBER",
        ],
        1,
    )
}
_PRECEDENCE = {"Z": "FLASH", "O": "IMMEDIATE", "P": "PRIORITY", "R": "ROUTINE", "Y": "EMERGENCY"}
# A date-time group "101530Z MAR 75"; the year may have four digits ("MAR 1975") and
# the military form writes it without spaces ("091200ZJAN09").  September is also
# written "SEPT" (the "T" only after "SEP": other four-letter words stay no month).
_DTG_MONTH = r"(?P<mon>[A-Za-z]{3}(?:(?<=[Ss][Ee][Pp])[Tt])?)"
FL5_RE = re.compile(
    r"^\s*(?P<p1>[ZOPRY])(?:\s+(?P<p2>[ZOPRY]))?\s+(?P<dtg>(?P<dd>\d{2})(?P<hh>\d{2})"
    rf"(?P<mi>\d{{2}})Z\s*{_DTG_MONTH}\s*(?P<yy>(?:19|20)?\d{{2}}))(?![\dA-Za-z])"
)
BARE_DTG_RE = re.compile(
    rf"^\s*(?P<dtg>(?P<dd>\d{{2}})(?P<hh>\d{{2}})(?P<mi>\d{{2}})Z\s*{_DTG_MONTH}\s*"
    r"(?P<yy>(?:19|20)?\d{2}))\s*$"
)
CABLE_DATED_RE = re.compile(
    r"Cable dated:\s*(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)[T ](?P<H>\d\d):(?P<M>\d\d)"
    r"(?::\d\d(?:\.\d+)?)?Z?"
)
DATELINE_RE = re.compile(
    r"^\s*(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,\s+(?P<d>\d{1,2})\s+(?P<mon>[A-Za-z]+)"
    r"\s+(?P<y>\d{4}),\s+(?P<H>\d{1,2}):(?P<M>\d{2})\s*$",
    re.I,
)
# An archive's record of the cable's date ("Date: 1975 March 4, 11:25 (Tuesday)"), above
# the text: read as a dateline is (the same groups; ``dateline`` gives its time).
ARCHIVE_DATE_RE = re.compile(
    r"^\s*Date:\s*(?P<y>\d{4})\s+(?P<mon>[A-Za-z]+)\s+(?P<d>\d{1,2}),\s+(?P<H>\d{1,2}):"
    r"(?P<M>\d{2})(?:\s*\([A-Za-z]+\))?\s*$"
)
# An archive page's labelled date-time group ("DTG: 101530Z FEB 06", "Date/Time Group:
# ..."): the DTG itself, written without its precedence.
LABELLED_DTG_RE = re.compile(
    r"^\s*(?:DTG|D\.T\.G\.|DATE[ /-]TIME(?:\s+GROUP)?)\s*:\s*"
    rf"(?P<dtg>(?P<dd>\d{{2}})(?P<hh>\d{{2}})(?P<mi>\d{{2}})Z\s*{_DTG_MONTH}\s*"
    r"(?P<yy>(?:19|20)?\d{2}))\s*$",
    re.I,
)
# An archive page's record of the DTG as an ISO time ("Date: 2006-02-10 15:30", the
# "Created: 2006-02-10 15:30" of a leaked-cable page): read as "Cable dated:" is.
ARCHIVE_ISO_DATE_RE = re.compile(
    r"^\s*(?:Date|Created)\s*:\s*(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)[T ]\s*(?P<H>\d\d):(?P<M>\d\d)"
    r"(?::\d\d)?\s*(?:Z|UTC|GMT)?\s*$"
)
# An archive page's "Origin: Embassy Valderra" above the text (a leaked-cable page's
# metadata): the post's name, for a cable whose FM line was not published.  Mixed case
# and a colon: a 1970s telegram's "ORIGIN EUR-12" is an office, not the post.
PAGE_ORIGIN_RE = re.compile(
    r"^Origin\s*:\s*(?P<name>[A-Z][A-Za-z.'-]*(?:[ ,]+[A-Za-z][A-Za-z.'()-]*){0,7})\s*$"
)
# An archive page's "Reference ID: 06VALDERRA77" above the text: the id of a cable whose
# classification line names no post and serial to make it from.
PAGE_REFERENCE_ID_RE = re.compile(
    r"^Reference\s+ID\s*:\s*(?P<id>\d{2}[A-Z][A-Z0-9]*[A-Z]\d{1,7})\s*$"
)
# NARA's AAD record of a 1970s telegram above its text ("Document Number: 1975STATE219876"):
# the same id with the year written in full, for a cable whose text carries no
# classification line with post and serial ("Message Text:" holding only the body).
AAD_DOCUMENT_NUMBER_RE = re.compile(
    r"^Document\s+Number\s*:\s*(?:19|20)(?P<yy>\d{2})(?P<rest>[A-Z][A-Z0-9]*[A-Z]\d{1,7})\s*$"
)
# The AAD record's "From: AMEMBASSY VALDERRA": the sending post as its FM line names it.
# Only a post's address: "From: Jane Doe" in an e-mail heading is no telegram's sender.
AAD_FROM_RE = re.compile(
    r"^From\s*:\s*(?P<plad>(?:SECSTATE|AMEMBASSY|AMCONSUL|AMCONGEN|USMISSION|USDEL|USINT)"
    r"(?:[ ][A-Z][A-Z.'-]*){1,4})\s*$"
)
TELEGRAM_DATE_RE = re.compile(
    r"^\s*TELEGRAM\s+(?P<mon>[A-Za-z]+)\.?\s+(?P<d>\d{1,2}),\s*(?P<y>\d{4})\s*$"
)
DE_LINE_RE = re.compile(r"^\s*DE\s+R[A-Z]{3,7}\s*#\s*(?P<serial>\d{1,7})\b")
PAGE_HEADER_RE = re.compile(
    r"^\s*PAGE\s+(?P<page>\d{2,3})\s+(?P<post>[A-Z][A-Z .'-]*?)\s+(?P<serial>\d{4,6})\s+"
    r"(?:(?P<sec>\d{2})\s+OF\s+(?P<secs>\d{2})\s+)?(?P<dtg>(?P<dd>\d{2})(?P<hh>\d{2})"
    r"(?P<mi>\d{2})Z)(?![\dA-Za-z])[ \t]*"
)


def full_year(yy: int) -> int:
    """Two-digit DTG year: 50-99 are 1950-1999, 00-49 are 2000-2049 (convention).

    A year written with four digits ("101530Z MAR 1975", as some archives print
    the DTG) is taken as written.
    """
    if yy >= 100:
        return yy
    return 1900 + yy if yy >= 50 else 2000 + yy


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime | None:
    """An aware UTC datetime, or None when the parts are not a real time."""
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def month_number(word: str) -> int | None:
    """The month a word names: in full ("September"), abbreviated ("SEP") or as "SEPT"."""
    word = word.upper()
    return _MONTH_NAMES.get(word) or _MONTHS.get(word)


def dtg_datetime(match: re.Match[str]) -> datetime | None:
    """The UTC time of a ``DDHHMMZ MON YY`` match (FL5_RE or BARE_DTG_RE)."""
    month = _MONTHS.get(match.group("mon").upper())
    if month is None:
        return None
    return utc(
        full_year(int(match.group("yy"))),
        month,
        int(match.group("dd")),
        int(match.group("hh")),
        int(match.group("mi")),
    )


def precedence_word(letter: str | None) -> str | None:
    """FL5 precedence letter to word: "O" -> "IMMEDIATE"."""
    return _PRECEDENCE.get(letter.upper()) if letter else None


def cable_dated(match: re.Match[str]) -> datetime | None:
    """The time of an archive "Cable dated:2006-06-08T06:52:00" stamp."""
    g = match.group
    return utc(int(g("y")), int(g("m")), int(g("d")), int(g("H")), int(g("M")))


def dateline(match: re.Match[str]) -> datetime | None:
    """The time of an archive dateline "Monday, 26 July 2004, 07:22" ("Sept" too)."""
    month = month_number(match.group("mon"))
    if month is None:
        return None
    g = match.group
    return utc(int(g("y")), month, int(g("d")), int(g("H")), int(g("M")))


def telegram_date(match: re.Match[str]) -> datetime | None:
    """The day of a "TELEGRAM   June 03, 2003" line (no time: midnight UTC)."""
    month = month_number(match.group("mon")) or _MONTHS.get(match.group("mon").upper()[:3])
    if month is None:
        return None
    g = match.group
    return utc(int(g("y")), month, int(g("d")), 0, 0)


# --- E.O. line and DECL --------------------------------------------------------------

EO_LINE_RE = re.compile(
    r"^\s*\u00b6?\s*E\s?\.?\s?[O0]\s?\.?\s*(?:(?P<eo>\d{5})(?!\d)|(?=\s*(?::|DECL|N/?A\b)))"
    r"(?P<rest>.*)$",
    re.I,
)
_DECL_KEYWORD_RE = re.compile(r"^(?:DECL(?:ASSIFY)?[lL]?(?:\s+ON)?)(?![A-Za-z])\s*:?\s*", re.I)
_NA_RE = re.compile(r"^N\s*/?\s*A\.?$", re.I)
DECLASSIFY_ON_RE = re.compile(r"^\s*DECLASSIFY\s+ON\s*:\s*(?P<decl>.+?)\s*$", re.I)
# "DECL: 20350101" on a line of its own (below Classified By, or an E.O. line without it).
DECL_LINE_RE = re.compile(r"^\s*DECL\s*:\s*(?P<decl>\S.*?)\s*$", re.I)


# "E.O. 12958 AS AMENDED: DECL: ...", "E.O. 12958, as amended by E.O. 13292: DECL: ...":
# which order, not the instruction; dropped only before a DECL keyword or a date, so
# that a release stamp ("AS AMENDED; DECLASSIFIED JUNE 21, 2006") is kept as written.
_AS_AMENDED_FIRST = frozenset(",(Aa")
_AS_AMENDED_RE = re.compile(
    r"^[,(]?\s*AS\s+AMENDED\b(?:\s+BY\s+E\s?\.?\s?[O0]\s?\.?\s*\d{5})?\s*\)?\s*[:;,]?\s*"
    r"(?=DECL(?:ASSIFY)?[lL]?(?:\s+ON)?(?![A-Za-z])|\d)",
    re.I,
)


def read_decl(rest: str) -> str | None:
    """The declassification instruction after ``E.O. nnnnn`` (raw), "N/A" or None.

    Tolerates "DECL: DECL:", "DECLl:", "DECLASSIFY", "DECL ON:", a missing
    "DECL" ("E.O. 12958: 05/20/19"), and keeps other text as written
    ("GDS 8/12/85 (...)", "DNG: CO 08/01/2032", "25X1-HUMAN"); "AS AMENDED" before
    the instruction names the order and is dropped.
    """
    text = rest.strip().lstrip(":;").strip()
    if text[:1] in _AS_AMENDED_FIRST:
        amended = _AS_AMENDED_RE.match(text)
        if amended:
            text = text[amended.end() :]
    while True:
        keyword = _DECL_KEYWORD_RE.match(text)
        if keyword is None or keyword.end() == 0:
            break
        text = text[keyword.end() :]
    text = " ".join(text.split()).strip(" .;,")
    if not text:
        return None
    if _NA_RE.match(text):
        return "N/A"
    return text


# --- TAGS ----------------------------------------------------------------------------

TAGS_LINE_RE = re.compile(r"^\s*TAGS?\b\s*:?\s*(?P<tags>.*)$", re.I)
_TAG_TOKEN_RE = re.compile(r"\([^()]*\)?|[^\s,();]+")
# Codes, a person tag's name in parentheses after its code ("OVIP (RICE, CONDOLEEZZA)").
_TAG_CONTINUATION_RE = re.compile(
    r"^\s*[A-Z][A-Z0-9-]{0,11}(?:\s*\([A-Z][A-Z .,'-]{0,60}\))?"
    r"(?:[\s,]+[A-Z][A-Z0-9-]{0,11}(?:\s*\([A-Z][A-Z .,'-]{0,60}\))?)*[\s,]*$"
)
# The end of a person tag's name cut by the wrap ("OVIP (RICE," / "CONDOLEEZZA), XX").
_TAG_NAME_END_RE = re.compile(r"^\s*(?P<name>[A-Z][A-Z .,'-]{0,60}\))[\s,]*")


def read_tags(text: str) -> tuple[list[str], bool]:
    """TAGS as a list (upper case), a person tag "OVIP (NAME)" kept whole.

    Returns (tags, unseparated): ``unseparated`` when a run of tags lost its
    separators ("KFRDCVISCMGT...") and was cut into 4-letter tags.
    """
    tags: list[str] = []
    unseparated = False
    for token in _TAG_TOKEN_RE.findall(text):
        token = token.strip().upper()
        if token.startswith("(") and tags:
            tags[-1] = f"{tags[-1]} {token}"
            continue
        if len(token) >= 12 and token.isalpha() and len(token) % 4 in (0, 2):
            tags.extend(token[i : i + 4] for i in range(0, len(token), 4))
            unseparated = True
            continue
        if token:
            tags.append(token)
    return tags, unseparated


def is_tag_continuation(line: str) -> bool:
    """A wrapped TAGS line: a few upper-case codes only ("NS", "KN, MK, SI"), a person
    tag's name in parentheses after its code."""
    if not _TAG_CONTINUATION_RE.match(line):
        return False
    tokens = _TAG_SPLIT_RE.split(line.strip(" ,"))
    return len(tokens) >= 2 or len(tokens[0]) <= 5


def continue_tags(tags: list[str], line: str) -> bool:
    """Add a wrapped TAGS line to ``tags``; False when the line is no TAGS line.

    A person tag cut inside its name ("OVIP (RICE," then "CONDOLEEZZA), XX") is joined
    whole; read apart, its name was lost and the rest of the line with it.
    """
    if tags and tags[-1].count("(") > tags[-1].count(")"):
        end = _TAG_NAME_END_RE.match(line)
        if end is None:
            return False
        rest = line[end.end() :]
        if rest.strip() and not is_tag_continuation(rest):
            return False
        tags[-1] = f"{tags[-1]} {end.group('name').strip()}"
        line = rest
        if not line.strip():
            return True
    elif not is_tag_continuation(line):
        return False
    tags.extend(read_tags(line)[0])
    return True


# --- SUBJECT ---------------------------------------------------------------------------

SUBJECT_LINE_RE = re.compile(r"^\s*SUBJ(?:ECT)?\b\s*:?\s*(?P<subject>.*)$", re.I)
# Commas too: "(S//REL TO USA, GBR) TALKS" (a REL TO list is written with them).
_LEADING_MARK_RE = re.compile(r"^\(\s*(?P<mark>[A-Za-z][A-Za-z/ ,-]{0,58}?)\s*\)\s*")


def split_subject_mark(subject: str) -> tuple[Marking | None, str]:
    """A subject's leading portion mark, e.g. "(C) TALKS RESUME" -> (C, "TALKS RESUME");
    a control in a second parenthesis ("(S) (NF) TALKS") is part of it."""
    match = _LEADING_MARK_RE.match(subject)
    if match:
        mark = read_portion_mark(match.group("mark"))
        if mark is not None and not mark.entire_text:
            rest = subject[match.end() :]
            second = _LEADING_MARK_RE.match(rest) if rest[:1] == "(" else None
            if second is not None:
                with_control = add_control_parenthesis(mark, second.group("mark"))
                if with_control is not None:
                    return with_control.marking, rest[second.end() :]
            return mark.marking, rest
    return None, subject


# --- REF -------------------------------------------------------------------------------

REF_LINE_RE = re.compile(r"^\s*(?:REF(?:S|TELS?|\(S\))?|REFTEL)\b\s*:?\s*(?P<refs>.*)$", re.I)
_REF_LABEL_RE = re.compile(
    r"(?:^|(?<=[\s;,]))(?:REF\s+)?\u00b6?\(?(?P<letter>[A-Za-z])[.):](?=\S|\s)\s*"
)
REF_ITEM_START_RE = re.compile(r"^\s*[-\u00b6]*\s*\(?(?P<letter>[A-Za-z])[.):]")


def read_references(text: str) -> list[str]:
    """Split REF text into items on the A., B), (C) labels in sequence, else on ';'."""
    text = " ".join(text.split())
    if not text:
        return []
    cuts: list[tuple[int, int]] = []
    expected = "A"
    for label in _REF_LABEL_RE.finditer(text):
        if label.group("letter").upper() == expected:
            cuts.append((label.start(), label.end()))
            expected = chr(ord(expected) + 1)
    if len(cuts) >= 2 or (cuts and cuts[0][0] == 0):
        items = [
            text[end : cuts[i + 1][0] if i + 1 < len(cuts) else len(text)]
            for i, (_, end) in enumerate(cuts)
        ]
        head = text[: cuts[0][0]]
        if head.strip(" ;,."):
            items.insert(0, head)
    else:
        items = text.split(";")
    return [_drop_repeated_label(item).strip(" ;,.-") for item in items if item.strip(" ;,.-")]


def _drop_repeated_label(item: str) -> str:
    """ "A. A) 00821 ASMARA": some cables write the item letter twice."""
    return _LEADING_LABEL_RE.sub("", item, count=1)


def next_ref_letter(text: str) -> str:
    """The letter the next REF item would carry, given the REF text so far."""
    expected = "A"
    for label in _REF_LABEL_RE.finditer(" ".join(text.split())):
        if label.group("letter").upper() == expected:
            expected = chr(ord(expected) + 1)
    return expected


# --- Classified by / reasons (section 3.2) ---------------------------------------------

CLASSIFIED_BY_LINE_RE = re.compile(
    r"^\s*(?:\(U\)\s*)?(?P<kw>CLASSIFIED\s+BY|DERIVED\s+FROM)\b\s*:?\s*(?P<rest>.*)$", re.I
)
_CLASSIFIED_BY_RE = re.compile(r"CLASSIFIED\s+BY\b\s*:?\s*", re.I)
_WHO_END_RE = re.compile(
    r"[,.;:]?\s*(?:\b(?:FOR|PER|BASED\s+(?:UPON|ON))\s+)?"
    r"(?:\bREASONS?\b|\bREASON\s+S\b|(?<![\d.])\b1\s?\.\s?[45](?!\d))",
    re.I,
)
# The order a name is followed by before its reasons ("CDA Jane Doe per E.O. 13526, sec."
# before "1.4 (b)"): the citation, not the classifier.  Tried on the name's last 48
# characters alone: a pattern searched over the whole text costs at every position.
_CITED_ORDER_TAIL_RE = re.compile(
    r"[,.;:]?\s*(?:\b(?:FOR|PER|UNDER|IAW)\b\s*)?(?:\bE\s?\.?\s?O\s?\.?\s?1\d{4}\b[\s,.;:]*"
    r"(?:AS\s+AMENDED[\s,.;:]*)?(?:SEC(?:TION)?\b\.?\s*)?)?$",
    re.I,
)
_REASON_KEYWORD_RE = re.compile(r"\bREASON(?:\s?S)?\b\s*:?\s*", re.I)
_SECTION_RE = re.compile(r"(?<!\d)1\s?\.\s?(?P<section>[45])(?!\d)")
_REASON_STOP_RE = re.compile(r"\bREF(?:S|TELS?)?\b|\bCLASSIFIED\s+BY\b", re.I)
_PERIOD_END_RE = re.compile(r"\.(?=\s|$)")
_LETTER_RE = re.compile(r"(?<![A-Za-z])([A-Ha-h])(?![A-Za-z])")
REASON_CONTINUATION_RE = re.compile(
    r"^\s*(?:\.?\s*1?\s*\.\s*[45]\b|(?:(?:and|&|,)\s*)?\(?\s*[a-hA-H]\s*\)?"
    r"(?:\s*(?:,|and|&|\+|/)\s*\(?\s*[a-hA-H]\s*\)?)*\s*[).,;]*\s*$|[).,;]+\s*$)",
    re.I,
)

# How a name followed by a cited order may end (tried before the pattern, which costs more).
_CITATION_ENDS = ("sec", "section", "amended", "for", "per", "under", "iaw")


@dataclass(frozen=True, slots=True)
class Authority:
    """Who classified the cable and why, as read from a Classified By text."""

    who: str | None
    reasons: tuple[str, ...]  # normalised, e.g. ("1.4(b)", "1.4(d)")
    raw: str | None  # reason text as written
    section: str | None  # "1.4" or "1.5" as written
    invalid: tuple[str, ...] = ()  # categories that do not exist (1.5(h))


def read_authority(text: str) -> Authority:
    """Split a joined "Classified By: <who> for reasons 1.4 (b) and (d)." text (3.2).

    ``1.5(x)`` (EO 12958 numbering) is normalised to ``1.4(x)`` for a-g (3.4);
    ``1.5(h)`` does not exist and is returned in ``invalid``.
    """
    text = " ".join(text.split())
    start = _CLASSIFIED_BY_RE.search(text)
    body = text[start.end() :] if start else text
    while True:  # "Classified By: Classified by: Charge ..."
        again = _CLASSIFIED_BY_RE.match(body)
        if not again:
            break
        body = body[again.end() :]
    end = _WHO_END_RE.search(body)
    who = body[: end.start()] if end else body
    if end is not None and (who[-1:].isdigit() or who[-7:].lower().endswith(_CITATION_ENDS)):
        tail = max(0, len(who) - 48)  # the citation's longest shape: a long name costs no more
        who = who[: _CITED_ORDER_TAIL_RE.search(who, tail).start()]  # type: ignore[union-attr]
    who = who.strip(" ,.;:")
    reason_text = body[end.start() :] if end else ""
    keyword = _REASON_KEYWORD_RE.search(reason_text)
    if keyword:
        reason_text = reason_text[keyword.end() :]
    else:
        reason_text = reason_text.lstrip(" ,.;:").lstrip()
        reason_text = _LEADING_FOR_RE.sub("", reason_text)
    raw, section, letters = _reason_parts(reason_text)
    reasons: list[str] = []
    invalid: list[str] = []
    for letter in letters:
        if section == "1.5" and letter == "h":
            invalid.append("1.5(h)")
            continue
        reasons.append(f"1.4({letter})")
    return Authority(who or None, tuple(dict.fromkeys(reasons)), raw, section, tuple(invalid))


def _reason_parts(text: str) -> tuple[str | None, str | None, list[str]]:
    stop = _REASON_STOP_RE.search(text)
    if stop:
        text = text[: stop.start()]
    section = _SECTION_RE.search(text)
    if section is None:
        raw = text.strip(" .;,")
        return (raw or None), None, []
    tail = text[section.end() :]
    for period in _PERIOD_END_RE.finditer(tail):
        if tail[: period.start()].strip():
            tail = tail[: period.start()]
            break
    raw = (text[: section.end()] + tail).strip(" .;,")
    letters = [ch.lower() for ch in _LETTER_RE.findall(tail)]
    return raw, f"1.{section.group('section')}", list(dict.fromkeys(letters))


# --- originator ------------------------------------------------------------------------

_ORIGIN_EXACT = {
    "SECSTATE WASHDC": "Secretary of State",
    "SECSTATE WASHINGTON DC": "Secretary of State",
    "USMISSION USUN NEW YORK": "USUN New York",
    "USUN NEW YORK": "USUN New York",
    "USMISSION UNVIE VIENNA": "UNVIE",
    "USEU BRUSSELS": "USEU Brussels",
    "USMISSION USEU BRUSSELS": "USEU Brussels",
    "RPO DUBAI": "Iran RPO Dubai",
    "AIT TAIPEI": "American Institute Taiwan, Taipei",
    "USMISSION UN ROME": "UN Rome",
}
_ORIGIN_PREFIXES = (
    ("AMEMBASSY", "Embassy"),
    ("AMCONSUL", "Consulate"),
    ("AMCONSULATE", "Consulate"),
    ("AMCONGEN", "Consulate"),
    ("USINT", "US Interests Section"),
    ("USMISSION", "Mission"),
    ("USDEL", "US Delegation,"),
    ("USOFFICE", "US Office"),
    ("REO", "REO"),  # Iraq regional embassy offices: "REO Basrah"
)
_PLAD_TAIL_RE = re.compile(
    r"(?://.*|\s+(?:FLASH|NIACT\s+IMMEDIATE|IMMEDIATE|PRIORITY|ROUTINE))*(?:\s+\d{4}(?:-\d{4})?)?\s*$"
)


def origin_name(plad: str) -> str | None:
    """Display name for an originator PLAD (AMEMBASSY X -> "Embassy X", ...)."""
    words = _PLAD_TAIL_RE.sub("", plad.upper()).split()
    if not words:
        return None
    joined = " ".join(words)
    if joined in _ORIGIN_EXACT:
        return _ORIGIN_EXACT[joined]
    for prefix, name in _ORIGIN_PREFIXES:
        if words[0] == prefix and len(words) > 1:
            place = words[1:]
            if len(place) >= 2 and len(place[-1]) == 2 and prefix.startswith("AM"):
                place = place[:-1]  # "AMEMBASSY TRIPOLI LY": trailing country code
            return f"{name} {_place_title(place, acronyms=prefix == 'USMISSION')}"
    return _place_title(words)


def _place_title(words: list[str], *, acronyms: bool = False) -> str:
    """Title case for place names ("RIO DE JANEIRO" -> "Rio De Janeiro").

    Mission names keep their acronyms ("USMISSION USOSCE" -> "Mission USOSCE").
    """
    return " ".join(
        w if acronyms and w[:2] in ("US", "UN") and len(w) > 3 else w.title() for w in words
    )


_PRECEDENCE_WORDS = frozenset({"FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"})
_SEQUENCE_RE = re.compile(r"\d{4}(?:-\d{4})?")


def addressee(line: str) -> str:
    """An addressee PLAD from a TO/INFO line: routing indicator, precedence, number removed.

    "RUEHC/SECSTATE WASHDC PRIORITY 1234" -> "SECSTATE WASHDC".  Done on words
    rather than with an end-anchored pattern: routing blocks can list hundreds
    of addressees.
    """
    text = line.strip()
    if "/" in text[:9]:
        text = _ROUTING_PREFIX_RE.sub("", text)
    words = text.split()
    if words and _SEQUENCE_RE.fullmatch(words[-1]):
        words.pop()
    if words and words[-1] in _PRECEDENCE_WORDS:
        words.pop()
        if words and words[-1] == "NIACT":
            words.pop()
    return " ".join(words)
