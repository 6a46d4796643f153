"""``parse_cable``: read one cable's text into a ``ParsedCable``.

The steps are: refuse non-text, normalise the format, locate the
classification line, read the routing preamble above it and the header
fields below it, split the body into paragraphs, then decide the overall
marking (rules 2.3) and fill missing facts from metadata.  Every problem
that still leaves a usable cable becomes a warning ("CODE: message"); only a
text with no classification at all, or no text, raises ``ParseError``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cables.markings import Level, Marking
from cables.parsing import fields as f
from cables.parsing.body import Body, Draft, is_heading, read_body, split_end_of_message
from cables.parsing.breaks import clean_breaks, take_foia_stamps, take_review_stamps
from cables.parsing.classify import overall_level, resolve_rel, roll_up
from cables.parsing.header import Header, read_header
from cables.parsing.model import CableMetadata, ParsedCable, ParsedParagraph, ParseError
from cables.parsing.normalize import check_readable, detect_format, to_lines
from cables.parsing.routing import (
    Preamble,
    find_banner,
    find_trailing_banner,
    first_field_index,
    read_preamble,
    second_cable_at,
    split_cable_dated,
    strip_wrapper,
)

# "Classified by" opening one of the first paragraphs ("1. (U) CLASSIFIED BY ...",
# "1. CONFIDENTIAL - ENTIRE TEXT. CLASSIFIED BY: ..."), never in running prose.
_CLASSIFIED_BY_IN_TEXT_RE = re.compile(
    r"^\s*(?:\(U\)\s*)?(?:(?:TOP\s+SECRET|SECRET|CONFIDENTIAL)\s*[-\u2013\u2014]+\s*ENTIRE\s+"
    r"TEXT\W*)?(?=CLASSIFIED\s+BY\b)",
    re.I,
)


_DERIVED_RE = re.compile(r"^DERIVED\s+FROM\s*:?\s*(.*)$", re.I)
# How near the end an end-of-message line ("NNN") is looked for: an archive's record
# after it is a few dozen lines, and searching the whole text costs 1% of the parse.
_END_OF_MESSAGE_REACH = 4000


def parse_cable(
    text: str, *, source: str = "<string>", metadata: CableMetadata | None = None
) -> ParsedCable:
    """Parse one cable (telegram text, archive HTML or Markdown).

    ``metadata`` (e.g. from INDEX.tsv) fills reference id, date and origin
    only when the text lacks them; each such field is named in
    ``from_metadata``.  Classification always comes from the text.
    Raises ``ParseError`` (naming source, line and problem) and nothing else.
    """
    try:
        return _parse(text, source, metadata)
    except ParseError:
        raise
    except Exception as exc:  # the contract: callers only ever see ParseError
        raise ParseError(
            f"internal error while parsing ({type(exc).__name__}: {exc})", source=source
        ) from exc


@dataclass(slots=True)
class _Parts:
    """Everything read from the text, before it is turned into a ParsedCable."""

    fmt: str
    banner: f.Banner | None
    banner_line: str | None
    preamble: Preamble
    header: Header
    body: Body
    page_levels: list[Level]
    first_line: int
    warnings: list[str] = field(default_factory=list)
    # Without a classification line above the text: a bare level line after it, and
    # its line number (used only when nothing in the text is marked either).
    trailer: f.Banner | None = None
    trailer_line: int = 0
    # Lines after the end-of-message line ("NNN"): an archive's record, not the cable.
    after_end: list[tuple[int, str]] = field(default_factory=list)
    # Page lines in banner syntax that differ from the classification line (clean_breaks).
    page_markings: list[Marking] = field(default_factory=list)


def _parse(text: str, source: str, metadata: CableMetadata | None) -> ParsedCable:
    check_readable(text, source)
    parts = _read(text, source)
    cable = ParsedCable(
        source=source,
        format=parts.fmt,
        raw_text=text,
        sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(),
    )
    _fill_routing(cable, parts.preamble)
    _fill_header(cable, parts)
    _fill_classification(cable, parts, source)
    _fill_from_metadata(cable, parts, metadata)
    _add_warnings(cable, parts)
    return cable


def _read(text: str, source: str) -> _Parts:
    fmt = detect_format(text)
    trailer: tuple[int, f.Banner] | None = None
    lines = list(enumerate(to_lines(text, fmt), 1))  # (line number, text), built in C
    if "Cable dated:" in text:
        lines = split_cable_dated(lines)
    if "Cable Text" in text or "CABLE TEXT" in text:
        lines = strip_wrapper(lines)
    index, banner = find_banner(lines)
    if banner is not None:
        above, below, rest = lines[:index], lines[index + 1 :], banner.rest
        banner_line: str | None = lines[index][1].strip()
    else:
        above, below, trailer = _split_without_banner(lines)
        rest, banner_line = "", None
    preamble = read_preamble(above)
    others: list[int] = []
    stamps: list[str] = []
    if "Declassified/Released" in text:
        below, stamps = take_review_stamps(below)
    if "Case No" in text:  # a FOIA printout's stamps come with its Case No. page stamp
        above, stamps_above = take_foia_stamps(above)  # page 1's, above the text
        below, foia_stamps = take_foia_stamps(below)
        stamps.extend(dict.fromkeys(stamps_above + foia_stamps))
    page_markings: list[Marking] = []
    cleaned, page_levels = clean_breaks(below, banner, others, page_markings)
    if others:
        _refuse_second_cable(below, others, banner, source)
    header, body_start = read_header(rest, cleaned)
    if stamps:
        header.notes.extend(n for n in dict.fromkeys(stamps) if n not in header.notes)
    continued = banner is not None and (banner.section or 1) > 1
    body_lines, after_end = cleaned[body_start:], []
    if text.find("NNN", len(text) - _END_OF_MESSAGE_REACH) >= 0:
        body_lines, after_end = split_end_of_message(body_lines)
    body = read_body(body_lines, continued=continued)
    first_line = next((no for no, line in lines if line.strip()), 1)
    parts = _Parts(fmt, banner, banner_line, preamble, header, body, page_levels, first_line)
    parts.after_end = after_end
    parts.page_markings = page_markings
    if trailer is not None:
        parts.trailer_line, parts.trailer = trailer
        page_levels.append(parts.trailer.level)  # as for a level line at a page break
    return parts


def _split_without_banner(
    lines: list[tuple[int, str]],
) -> tuple[list[tuple[int, str]], list[tuple[int, str]], tuple[int, f.Banner] | None]:
    """Routing lines, the rest, and a bare level line after the text (its line number
    and what it says), taken out of the text: it is a classification line, not prose,
    and it would otherwise be read as the signature or a last paragraph."""
    start = first_field_index(lines)
    above, below = lines[:start], lines[start:]
    at, trailer = find_trailing_banner(below)
    if trailer is None:
        return above, below, None
    return above, below, (below.pop(at)[0], trailer)


def _refuse_second_cable(
    below: list[tuple[int, str]], others: list[int], banner: f.Banner | None, source: str
) -> None:
    """Raise ParseError at the classification line of a second cable in the same file.

    Read as one, the second cable's header would become paragraphs of the first and
    its levels would raise the first's; a file holds one cable, so it is refused.
    """
    at = second_cable_at(below, others)
    if at is None or banner is None:
        return
    no, line = below[at]
    raise ParseError(
        f"a second cable begins here ({line.strip()!r}, after the cable "
        f"{banner.post} {banner.serial}): one cable a file, so the file is refused",
        source=source,
        line=no,
    )


# --- routing and header fields ------------------------------------------------------------


def _fill_routing(cable: ParsedCable, pre: Preamble) -> None:
    cable.dtg = pre.dtg
    cable.sent_at = pre.sent_at
    cable.precedence = pre.precedence
    cable.originator = pre.originator
    cable.origin = f.origin_name(pre.originator) if pre.originator else pre.page_origin
    cable.to = pre.to
    cable.info = pre.info


def _fill_header(cable: ParsedCable, parts: _Parts) -> None:
    header, banner = parts.header, parts.banner
    cable.banner_line = parts.banner_line
    if banner is not None:
        cable.banner = banner.marking
        if banner.full:
            cable.section = banner.section
            cable.section_count = banner.sections or 1
    cable.captions = header.captions
    cable.passing = header.passing
    cable.executive_order = header.executive_order
    cable.decl = header.decl
    cable.tags = header.tags
    cable.subject_marking, cable.subject = header.subject
    cable.references = header.references
    cable.derived_from = header.derived_from
    cable.declassification_notes = header.notes
    cable.signature = parts.body.signature
    if parts.body.schedule is not None:  # "GP-3": the cable's own downgrading group
        if cable.decl is None:
            cable.decl = parts.body.schedule
        else:
            cable.declassification_notes.append(parts.body.schedule)
    _fill_authority(cable, parts)


def _fill_authority(cable: ParsedCable, parts: _Parts) -> None:
    """Classified By from the header, else from the first paragraphs (rules 3.2)."""
    text = " ".join(parts.header.authority_lines)
    if not text:
        for draft in parts.body.drafts[:3]:
            body = draft.text[:1200]
            found = _CLASSIFIED_BY_IN_TEXT_RE.match(body)
            if found:
                text = body[found.end() :]
                break
    if not text:
        return
    authority = f.read_authority(text)
    derived = _DERIVED_RE.match(authority.who or "")
    if derived and cable.derived_from is None:
        # "Classified By: Derived from Multiple Sources": derivative classification.
        cable.derived_from = derived.group(1).strip() or None
        return
    cable.classified_by = authority.who
    cable.reasons = list(authority.reasons)
    cable.reasons_raw = authority.raw
    cable.reason_section = authority.section
    for category in authority.invalid:
        parts.warnings.append(
            f"REASON_INVALID_CATEGORY: reason {category} does not exist (kept out of reasons; "
            f"raw text {authority.raw!r})"
        )


# --- classification -------------------------------------------------------------------


def _fill_classification(cable: ParsedCable, parts: _Parts, source: str) -> None:
    drafts = parts.body.drafts
    entire = _entire_text(parts)
    marked = [d.mark.marking for d in drafts if d.mark is not None and not d.mark.entire_text]
    marked += [m.marking for m in parts.body.bullet_marks]  # marked bullets count too
    levels = [m.level for m in marked]
    if entire is not None:
        levels.append(entire.level)
    if cable.subject_marking is not None:
        levels.append(cable.subject_marking.level)
    banner = parts.banner
    if levels or banner is not None:
        parts.trailer = None  # only a cable with nothing else to go by is read from it
    elif parts.trailer is None:
        raise ParseError(
            "no classification line (such as 'C O N F I D E N T I A L POST 000123') and no "
            "portion marks: the cable's classification cannot be read",
            source=source,
            line=parts.first_line,
        )
    line = banner or parts.trailer
    level, flags = overall_level(line.level if line else None, levels)
    controls: list[str] = list(line.controls) if line else []
    controls += parts.header.controls
    for marking in [*marked, *([entire] if entire else []), cable.subject_marking]:
        if marking is not None:
            controls += marking.controls
    cable.classification = Marking(level, roll_up(level, controls))
    cable.paragraphs = _paragraphs(drafts, cable.classification, entire)
    parts.warnings.extend(_level_warnings(flags, banner, level, levels))


def _entire_text(parts: _Parts) -> Marking | None:
    """A "<LEVEL> - ENTIRE TEXT" statement in the header or the first paragraphs."""
    if parts.header.entire_text is not None:
        return parts.header.entire_text.marking
    for draft in parts.body.drafts[:3]:
        if draft.mark is not None and draft.mark.entire_text:
            return draft.mark.marking
        if draft.entire_text is not None:
            return draft.entire_text.marking
    return None


def _paragraphs(
    drafts: list[Draft], overall: Marking, entire: Marking | None
) -> list[ParsedParagraph]:
    """Effective marking per paragraph: its own mark, the ENTIRE TEXT level, or inherited.

    An unmarked paragraph inherits the overall marking, never U (rules 2.2); a
    heading-only block inherits it too but is flagged ``heading``.
    """
    out: list[ParsedParagraph] = []
    whole = Marking(entire.level, roll_up(entire.level, overall.controls)) if entire else None
    for draft in drafts:
        heading = is_heading(draft)
        if draft.mark is not None and not draft.mark.entire_text:
            marking, explicit, how = resolve_rel(draft.mark.marking, overall), True, "portion"
        elif whole is not None and not heading:
            marking, explicit, how = whole, True, "entire_text"
        else:
            marking, explicit, how = overall, False, "inherited"
        if draft.inner:
            marking = _raised_by_bullets(marking, draft.inner)
        out.append(
            ParsedParagraph(
                ordinal=len(out) + 1,
                number=draft.number,
                marking=marking,
                explicit=explicit,
                text=draft.text,
                line=draft.line,
                marker=draft.marker,
                portion_mark=draft.mark_raw,
                source=how,
                heading=heading,
            )
        )
    return out


def _raised_by_bullets(marking: Marking, inner: tuple[f.PortionMark, ...]) -> Marking:
    """A paragraph's marking raised to the highest mark of a bullet inside it.

    Why: the bullet's text is part of the paragraph, so a "(C)" paragraph holding a
    "-- (S)" bullet holds SECRET text and must be handled as such (rules 2.3).
    """
    top = max(m.marking.level for m in inner)
    if top <= marking.level:
        return marking
    controls = [*marking.controls, *(c for m in inner for c in m.marking.controls)]
    return Marking(top, roll_up(top, controls))


def _level_warnings(
    flags: list[str], banner: f.Banner | None, level: Level, levels: list[Level]
) -> list[str]:
    """The rules 2.3 flags as messages a reviewer can act on."""
    out: list[str] = []
    highest = max(levels, default=None)
    for flag in flags:
        if flag == "BANNER_BELOW_PORTION" and banner is not None and highest is not None:
            out.append(
                f"BANNER_BELOW_PORTION: classification line says {banner.level.banner} but a "
                f"portion is marked {highest.banner}; the cable is handled as {level.banner}"
            )
        elif flag == "BANNER_ABOVE_PORTIONS" and banner is not None:
            what = (
                f"the highest portion mark is {highest.banner}"
                if highest is not None
                else ("no portion is marked")
            )
            out.append(
                f"BANNER_ABOVE_PORTIONS: classification line says {banner.level.banner} but "
                f"{what} (compilation, transmittal or unmarked text: a reviewer must confirm)"
            )
    return out


# --- metadata fallback ----------------------------------------------------------------


def _fill_from_metadata(cable: ParsedCable, parts: _Parts, meta: CableMetadata | None) -> None:
    """Date, reference id and origin from beside the cable when the text lacks them."""
    page = parts.preamble.page_time
    meta_when = _aware(meta.sent_at) if meta is not None else None
    if cable.sent_at is None and page is not None:
        cable.dtg = cable.dtg or page[0]
        if meta_when is not None and meta_when.day == page[1]:
            cable.sent_at = meta_when.replace(hour=page[2], minute=page[3])
            cable.from_metadata.append("sent_at")
    if cable.sent_at is None and meta_when is not None:
        cable.sent_at = meta_when
        cable.from_metadata.append("sent_at")
    banner = parts.banner
    if banner is not None and banner.full and cable.sent_at is not None:
        cable.reference_id = f.reference_id(cable.sent_at.year, banner)
        if banner.post is not None and f.is_redacted_post(banner.post):
            # "CONFIDENTIAL XXXXXXXXXXXX 000004": the FM post and the routing serial.
            serial = parts.preamble.serial if parts.preamble.serial is not None else banner.serial
            cable.reference_id = f.routing_reference_id(
                cable.sent_at.year, parts.preamble.originator, serial
            )
    if cable.reference_id is None:
        cable.reference_id = parts.preamble.page_reference_id
    meta_id = meta.reference_id.strip() if meta is not None and meta.reference_id else None
    if cable.reference_id is None and meta_id:
        cable.reference_id = meta_id
        cable.from_metadata.append("reference_id")
    elif meta_id and cable.reference_id != meta_id:
        parts.warnings.append(
            f"REFERENCE_ID_MISMATCH: the text gives {cable.reference_id} but the metadata "
            f"says {meta_id}; the text's id is kept"
        )
    if cable.origin is None and meta is not None and meta.origin:
        cable.origin = meta.origin
        cable.from_metadata.append("origin")


def _aware(when: datetime | None) -> datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


# --- warnings --------------------------------------------------------------------------


def _add_warnings(cable: ParsedCable, parts: _Parts) -> None:
    """Problems a reviewer should see; the parser reports rather than hides."""
    level = cable.classification.level if cable.classification else Level.U
    out = cable.warnings
    out.extend(_source_warnings(parts))
    out.extend(parts.warnings)
    out.extend(_portion_warnings(cable, level))
    out.extend(_control_warnings(parts.banner, parts.header, parts.body.drafts))
    for page_level in sorted(set(parts.page_levels) - {level}):
        out.append(
            f"PAGE_MARKING_MISMATCH: a page-break classification line says "
            f"{page_level.banner} but the cable is {level.banner}"
        )
    # A page line with a control the cable lacks ("CONFIDENTIAL//NOFORN" on a cable read as
    # CONFIDENTIAL): taken out of the text like any page line, so said here.
    controls = set(cable.classification.controls) if cable.classification else set()
    for marking in dict.fromkeys(parts.page_markings):
        added = [c for c in marking.controls if c not in controls]
        if added and marking.level <= level:
            out.append(
                f"PAGE_MARKING_MISMATCH: a page-break classification line says {marking} "
                f"but the cable is {cable.classification}: {', '.join(added)} not on the cable"
            )
    out.extend(_field_warnings(cable, parts.header, level))


def _source_warnings(parts: _Parts) -> list[str]:
    """How the text itself is damaged or incomplete."""
    out: list[str] = []
    banner = parts.banner
    if parts.preamble.partial:
        out.append("PARTIAL_EXTRACT: the source says this is a partial extract of the cable")
    if parts.after_end:
        shown = sum(1 for _, text in parts.after_end if text.strip())
        out.append(
            f"AFTER_END_OF_MESSAGE: {shown} line(s) after the end-of-message line (NNN), from "
            f"line {parts.after_end[0][0]}, are the archive's record, not the cable's text: "
            "left out of the paragraphs"
        )
    if parts.trailer is not None:
        out.append(
            f"NO_BANNER: no classification line above the text; the level comes from the "
            f"bare {parts.trailer.written!r} after the text (line {parts.trailer_line}): "
            "a reviewer must confirm it is the whole cable's"
        )
    elif banner is None:
        out.append("NO_BANNER: no classification line; the level comes from the portion marks")
    elif not banner.full:
        out.append(
            f"BANNER_WITHOUT_SERIAL: classification line {parts.banner_line!r} names no "
            "post and serial"
        )
    if banner is not None and banner.misspelled:
        out.append(
            f"MISSPELLED_BANNER: classification line {parts.banner_line!r} read as "
            f"{banner.level.banner}"
        )
    return out


def _field_warnings(cable: ParsedCable, header: Header, level: Level) -> list[str]:
    """Header fields a classified cable should have and does not (or has garbled)."""
    out: list[str] = []
    if level > Level.U and cable.decl is None:
        out.append("MISSING_DECL: classified cable without a declassification instruction")
    if level > Level.U and cable.classified_by is None and cable.derived_from is None:
        out.append("MISSING_CLASSIFIED_BY: classified cable without a Classified By line")
    if cable.classified_by is not None and not cable.reasons and level > Level.U:
        if cable.reasons_raw:
            out.append(f"REASON_UNREADABLE: no 1.4/1.5 reason letters in {cable.reasons_raw!r}")
        else:
            out.append("MISSING_REASON: the Classified By line gives no reason")
    if header.tags_unseparated:
        out.append("TAGS_UNSEPARATED: TAGS written without separators were cut into 4-letter tags")
    if not cable.paragraphs:
        out.append("NO_PARAGRAPHS: no body text after the header")
    if cable.sent_at is None:
        out.append("NO_DATE: no date-time group in the text and none in the metadata")
    return out


def _portion_warnings(cable: ParsedCable, level: Level) -> list[str]:
    out: list[str] = []
    unmarked = [p for p in cable.paragraphs if p.source == "inherited" and not p.heading]
    if level > Level.U and unmarked:
        names = ", ".join(p.number or f"#{p.ordinal}" for p in unmarked[:12])
        more = "" if len(unmarked) <= 12 else f" and {len(unmarked) - 12} more"
        out.append(
            f"UNMARKED_PORTION: {len(unmarked)} paragraph(s) without a portion mark ({names}"
            f"{more}) are handled as {cable.classification}"
        )
    return out


def _bullet_above(draft: Draft) -> Marking | None:
    """The highest bullet mark inside a paragraph when it outranks the paragraph's mark."""
    if not draft.inner or draft.mark is None or draft.mark.entire_text:
        return None
    top = max((m.marking for m in draft.inner), key=lambda m: m.level)
    return top if top.level > draft.mark.marking.level else None


def _control_warnings(banner: f.Banner | None, header: Header, drafts: list[Draft]) -> list[str]:
    out: list[str] = []
    for draft in drafts:
        where = f"paragraph {draft.number or draft.line}"
        above = _bullet_above(draft) if draft.inner else None
        if above is not None:
            out.append(
                f"BULLET_ABOVE_PARAGRAPH: {where}: a bullet inside it is marked "
                f"{above.level.banner}, above the paragraph's own mark; the paragraph is "
                f"handled as {above.level.banner}"
            )
        if draft.bad_mark:
            out.append(
                f"UNKNOWN_PORTION_MARK: {where}: ({draft.bad_mark}) is not a portion "
                "mark the parser knows; the paragraph is treated as unmarked"
            )
        if draft.mark is not None and draft.mark.unknown:
            names = ", ".join(draft.mark.unknown)
            out.append(
                f"UNKNOWN_CONTROL: {where}: control(s) {names} in {draft.mark_raw} "
                f"not known; kept the level {draft.mark.marking.level.name}"
            )
    unknown = list(banner.unknown_controls if banner else ()) + header.unknown_controls
    if unknown:
        out.append(
            f"UNKNOWN_CONTROL: banner control(s) {', '.join(dict.fromkeys(unknown))} "
            "not known; ignored"
        )
    return out
