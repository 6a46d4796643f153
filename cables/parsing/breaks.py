"""Lines that repeat at page and section breaks, removed so that paragraph text is exact.

Section breaks ("MOSCOW 00001323 002 OF 002", also in mid-line in reflowed
text), 1970s page headers ("PAGE 02 HARARE 05461 01 OF 02 271458Z"), the
classification repeated at each page break and a FOIA release's page stamp are
not part of any paragraph.
"""

from __future__ import annotations

import bisect
import itertools
import re

from cables.markings import Level, Marking
from cables.parsing import fields as f
from cables.parsing.markers import PARAGRAPH_ONE_RE

Line = tuple[int, str]  # (1-based line number in the normalised text, text)

_SECTION_BREAK_RE = re.compile(
    r"(?<!\d)(?P<serial>\d{8})[ \t]+\d{3}(?:\.\d{1,2})?[ \t]+[Oo][Ff][ \t]+\d{3}(?!\d)"
)
_TRAILING_LEVEL_RE = re.compile(
    r"[ \t]+(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE)"
    r"[ \t]*$"
)
# The stamp a FOIA release prints on every page ("UNCLASSIFIED U.S. Department of State
# Case No. F-2014-12345 Doc No. C05512345 Date: 03/10/2016").
_FOIA_STAMP_RE = re.compile(
    r"^\s*(?:UNCLASSIFIED\s+)?U\.\s?S\.\s+Department\s+of\s+State\s+Case\s+No\.\s*\S+\s+"
    r"Doc\s+No\.\s*\S+\s+Date:\s*\S+\s*$",
    re.I,
)
# A reviewer's release stamp printed at each page break of a reading-room printout
# ("Jane Q. Reviewer Declassified/Released US Department of State EO Systematic Review
# 20 Mar 2014", or without the reviewer's name): a declassification note, not the
# cable's text; after the signature it would hide the signer's name.
_REVIEW_STAMP_RE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*){1,4}\s+)?Declassified/Released\s+US\s+"
    r"Department\s+of\s+State\s+EO\s+Systematic\s+Review\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s*$"
)
# The same stamp printed over two lines, cut after "EO" ("Declassified/Released US
# Department of State EO" then "Systematic Review 05 JUL 2006"), reviewer named or not.
_STAMP_FIRST_HALF_RE = re.compile(
    r"^\s*(?:[A-Z][A-Za-z.'-]*(?:\s+[A-Z][A-Za-z.'-]*){1,4}\s+)?Declassified/Released\s+US\s+"
    r"Department\s+of\s+State\s+EO\s*$"
)
_STAMP_SECOND_HALF_RE = re.compile(r"^\s*Systematic\s+Review\s+\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s*$")
# A printout's page header split over two lines: "PAGE 02" then "VALDERRA 00905 01 OF 02
# 060018Z" (as the reading room prints 1970s telegrams).
_PAGE_ALONE_RE = re.compile(r"^\s*PAGE\s+\d{2,3}\s*$")
_SHORT_PAGE_RE = re.compile(
    r"^\s*PAGE\s+(?P<page>\d{2,3})\s+[A-Z][A-Z .'-]*?\s+(?P<serial>\d{4,7})"
    r"(?:\s+[A-Z]{4,6}\s+\d{5,6})?(?:\s+\d{2}\s+OF\s+\d{2})?\s*$"  # "TOSEC 340058"
)
_WORD_BEFORE_RE = re.compile(r"([A-Za-z][A-Za-z'.-]*)[ \t]*$")


def clean_breaks(
    lines: list[Line],
    banner: f.Banner | None,
    others: list[int] | None = None,
    markings: list[Marking] | None = None,
) -> tuple[list[Line], list[Level]]:
    """Drop section-break and page-header lines and repeated classification lines.

    Reflowed text carries section breaks in mid-line ("offers MOSCOW 00003335
    002 OF 004 Medvedev"); those are cut out and the two sides joined by one
    space.  Returns the kept lines and the levels of the dropped page lines; the
    indexes of full classification lines of another post or serial (another cable's,
    or one quoted) are added to ``others``: found here, where every line that may be
    a classification line is read anyway, they cost nothing more to find.  With
    ``markings``, a page line in banner syntax that differs from the classification
    line ("CONFIDENTIAL//NOFORN" under "C O N F I D E N T I A L") is dropped too and its
    marking added there, for the caller to compare with the cable's (else it is kept).
    """
    post_words = banner.post.split() if banner and banner.post else []
    serial = banner.serial if banner else None
    breaks = _lines_with_section_breaks(lines)
    out: list[Line] = []
    levels: list[Level] = []
    skip_to = -1
    mid_sentence = False  # a page break cut a sentence: its blank lines go with it
    for i, item in enumerate(lines):
        if i <= skip_to:
            continue
        s = item[1]
        head = s[:1]
        if head == " " or head == "\t":
            head = s.lstrip(" \t")[:1]
        if not head:
            if not mid_sentence:
                out.append(item)
            continue
        if head == "P" and "PAGE" in s[:12]:
            below = lines[i + 1][1] if i + 1 < len(lines) else ""
            s, page, joined = _page_header(s, below, serial)
            if joined:
                skip_to = i + 1
            if page:
                _strip_trailing_level(out, levels)
                if page.group("page") == "01" and serial is not None:
                    skip_to = max(skip_to, _repeated_section_header(lines, i, serial))
                    if skip_to >= i:
                        while out and not out[-1][1].strip():
                            out.pop()  # blank lines around the page break are part of it
                        continue
                s = s[page.end() :]
                if not s.strip():
                    mid_sentence = _close_sentence_gap(out, lines, i)
                    continue
        if i in breaks:
            s = strip_section_breaks(s, post_words, serial)
            if not s.strip():
                continue
        if head in f.BANNER_FIRST and len(s) < 120:
            if head == "U" and "Case No" in s and _FOIA_STAMP_RE.match(s):
                continue  # a FOIA release's page stamp, not the cable's text
            repeated = _is_repeated_banner(s, banner, levels, markings)
            if repeated is True:
                if "SECTION" in s and serial is not None:
                    skip_to = _drop_section_header(lines, i, out)
                continue
            if repeated is not False and others is not None:
                others.append(i)
        out.append(item if s is item[1] else (item[0], s))
        mid_sentence = False
    return out, levels


_PARAGRAPH_OPENING_RE = re.compile(r"^\s*(?:\(?[A-Za-z0-9]{1,3}[.)]\s|[-*\u2022]|[A-Z ]+:)")


def _close_sentence_gap(out: list[Line], lines: list[Line], i: int) -> bool:
    """Drop the blank lines before a page header that cut a sentence; True if it did.

    Why: the blank lines of a printed page's foot and head ("...CONSULT CLOSELY",
    blanks, "CONFIDENTIAL", "PAGE 02 STATE 219876", blanks, "BEFORE THE SEASON.") stayed
    in the middle of the paragraph's text.  Kept where the text above ends a sentence
    or the text below opens a paragraph: there the blank line may part two paragraphs.
    """
    k = len(out)
    while k and not out[k - 1][1].strip():
        k -= 1
    if k == len(out) or k == 0 or out[k - 1][1].rstrip().endswith(_SENTENCE_END):
        return False
    below = next((t for _, t in lines[i + 1 :] if t.strip()), "")
    if not below or _PARAGRAPH_OPENING_RE.match(below) or f.PAGE_HEADER_RE.match(below):
        return False
    del out[k:]
    return True


_REPEATED_HEADER_RE = re.compile(
    r"^\s*(?:(?:SIPDIS|NOFORN|SENSITIVE|NODIS|EXDIS|LIMDIS)[\s,]*)+$|^\s*X{6,}\s*$|"
    r"^\s*(?:E\s?\.?\s?O\s?\.?\s?1\d{4}|EO\s1\d{4}|TAGS?\s*:|SUBJ(?:ECT)?\s*:)"
)


def take_review_stamps(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """The lines without a reviewer's release stamp (on one line or two), and the stamps.

    Called only for a text holding "Declassified/Released", so that other cables pay
    nothing for it in the line loop of ``clean_breaks``.
    """
    kept: list[Line] = []
    stamps: list[str] = []
    skip = False
    for i, item in enumerate(lines):
        if skip:
            skip = False
            continue
        text = item[1]
        if "Declassified/Released" not in text:
            kept.append(item)
        elif _REVIEW_STAMP_RE.match(text):
            stamps.append(" ".join(text.split()))
        elif (below := _second_half(lines, i)) is not None:
            stamps.append(" ".join(f"{text} {below}".split()))
            skip = True
        else:
            kept.append(item)
    return kept, stamps


# A FOIA release's stamp of what was withheld ("RELEASED IN PART B1, 1.4(D)", "RELEASED IN
# FULL"), printed at the top of a reading-room page: on a line of its own, or inside a
# reflowed line when it names at least one exemption (prose does not).
_EXEMPTION = r"(?:B\s?\d(?:\s?\(\s?[A-G]\s?\))?|1\.[45]\s?\(\s?[A-H]\s?\))"
_EXEMPTIONS = rf"{_EXEMPTION}(?:\s*[,;]?\s*{_EXEMPTION})*"
_RELEASE_STAMP_LINE_RE = re.compile(
    rf"^\s*RELEASED\s+IN\s+(?:PART|FULL)(?:\s*[,:]?\s*{_EXEMPTIONS})?\s*$"
)
# The exemption a FOIA printout prints in the margin beside a withheld passage ("B1",
# "B6", "B1, 1.4(D)"): on a line of its own, from its "B" on ("1.4(D)" alone may be the
# wrapped reason of a Classified By line).
_MARGIN_EXEMPTION_RE = re.compile(
    rf"^\s*B\s?\d(?:\s?\(\s?[A-G]\s?\))?(?:\s*[,;]?\s*{_EXEMPTION})*\s*$"
)
_RELEASE_STAMP_IN_LINE_RE = re.compile(rf"\s*\bRELEASED\s+IN\s+PART\s*[,:]?\s*{_EXEMPTIONS}")
# The page stamp of a FOIA release inside a reflowed line, and its "UNCLASSIFIED" printed
# on the line above it.
_FOIA_STAMP_IN_LINE_RE = re.compile(
    r"\s*\b(?:UNCLASSIFIED\s+)?U\.\s?S\.\s+Department\s+of\s+State\s+Case\s+No\.\s*\S+\s+"
    r"Doc\s+No\.\s*\S+\s+Date:\s*\d{1,2}/\d{1,2}/\d{2,4}",
    re.I,
)


def take_foia_stamps(lines: list[Line]) -> tuple[list[Line], list[str]]:
    """The lines without a FOIA release's page stamps, and the stamps (first of each).

    A reading-room printout repeats "UNCLASSIFIED U.S. Department of State Case No. ...
    Doc No. ... Date: ..." at every page break (sometimes "UNCLASSIFIED" on the line
    above) and "RELEASED IN PART B1, 1.4(D)" on its pages: left in, they split
    sentences and a lone "UNCLASSIFIED" is taken for a page's marking of a classified
    cable; so do the exemptions printed in the margin ("B1") beside what was withheld.
    Called only for a text holding "Case No" (a reading room prints it on every page),
    so that other cables pay nothing for it.
    """
    kept: list[Line] = []
    stamps: list[str] = []
    skip = False
    for i, (no, text) in enumerate(lines):
        if skip:
            skip = False
            continue
        below = lines[i + 1][1] if i + 1 < len(lines) else ""
        if _RELEASE_STAMP_LINE_RE.match(text) or _FOIA_STAMP_RE.match(text):
            skip = "RELEASED" in text and _MARGIN_EXEMPTION_RE.match(below) is not None
            stamps.append(" ".join(f"{text} {below}".split() if skip else text.split()))
            continue  # "RELEASED IN PART" then "B1, 1.4(D)" below it: one stamp
        if _MARGIN_EXEMPTION_RE.match(text):
            continue  # what was withheld is the release's note, not the cable's text
        if text.strip() == "UNCLASSIFIED" and _FOIA_STAMP_RE.match(below):
            stamps.append(" ".join(f"{text} {below}".split()))
            skip = True
            continue
        kept.append((no, _cut_stamps(text, stamps)))
    return kept, list(dict.fromkeys(stamps))


def _cut_stamps(text: str, stamps: list[str]) -> str:
    """``text`` with the stamps printed inside it cut out (added to ``stamps``)."""
    for pattern in (_FOIA_STAMP_IN_LINE_RE, _RELEASE_STAMP_IN_LINE_RE):
        found = pattern.search(text)
        while found is not None:
            stamps.append(" ".join(found.group().split()))
            left, right = text[: found.start()], text[found.end() :].lstrip(" \t")
            text = f"{left} {right}" if left.strip() and right else left + right
            found = pattern.search(text, found.start())
    return text


def _second_half(lines: list[Line], i: int) -> str | None:
    """The line below a stamp's first half when it is the stamp's second half.

    Why: left in the text, a two-line stamp after the signature becomes a last
    paragraph and hides the signer's name (75TEHRAN2069).
    """
    if i + 1 >= len(lines) or _STAMP_FIRST_HALF_RE.match(lines[i][1]) is None:
        return None
    below = lines[i + 1][1]
    return below if _STAMP_SECOND_HALF_RE.match(below) else None


def _page_header(
    text: str, below: str, serial: int | None
) -> tuple[str, re.Match[str] | None, bool]:
    """A printout's page header at ``text``: (the header's text, its match, whether the
    line ``below`` is part of it) or (text, None, False).

    Besides "PAGE 02 HARARE 05461 01 OF 02 271458Z", a State telegram's page header
    names only the post and serial ("PAGE 02 STATE 042975", read only with this cable's
    serial), and the reading room prints "PAGE 02" on a line of its own.
    """
    page = f.PAGE_HEADER_RE.match(text) or _short_page_header(text, serial)
    if page is not None or not below or _PAGE_ALONE_RE.match(text) is None:
        return text, page, False
    joined = f"{text.strip()} {below.strip()}"
    page = f.PAGE_HEADER_RE.match(joined)
    if page is not None and not joined[page.end() :].strip():
        return joined, page, True
    page = _short_page_header(joined, serial)
    return (joined, page, True) if page is not None else (text, None, False)


def _short_page_header(text: str, serial: int | None) -> re.Match[str] | None:
    """ "PAGE 02 STATE 042975" with this cable's serial, or with any when none is known.

    Why: a record's message text under a bare "CONFIDENTIAL" banner names no serial, and
    its page headers became paragraphs (NARA's AAD exports of 1970s telegrams).
    """
    page = _SHORT_PAGE_RE.match(text)
    if page is None or serial is None:
        return page
    return page if int(page.group("serial")) == serial else None


def _repeated_section_header(lines: list[Line], start: int, serial: int) -> int:
    """End of a section's repeated routing header in old multi-section cables, or -1.

    A new section restarts with "PAGE 01 ...", office lists, DTG, FM/TO, the
    classification line ("... SECTION 02 OF 02 HARARE 005461") and its
    captions and E.O./TAGS lines; all of it repeats section 1 and is dropped.
    Only when that classification line is found close below, else nothing is.
    """
    for j in range(start + 1, min(start + 40, len(lines))):
        text = lines[j][1].strip()
        if text[:1] in f.BANNER_FIRST and f.may_be_banner(text):
            found = f.read_banner(text)
            if found is not None and found.full and found.serial == serial:
                end = j
                while end + 1 < len(lines) and (
                    not lines[end + 1][1].strip() or _REPEATED_HEADER_RE.match(lines[end + 1][1])
                ):
                    end += 1
                return end
    return -1


def _drop_section_header(lines: list[Line], i: int, out: list[Line]) -> int:
    """The end of the header a later section repeats below its classification line.

    A telegram sent in sections repeats, at the top of each, the classification line
    ("... SECTION 02 OF 03 POST 000123"), the captions, the E.O., TAGS and SUBJECT
    lines (the subject wrapped as in the first section): none of it is the text of the
    paragraph the section break cuts.  The blank lines around it go too, so that the
    two halves of a cut sentence join; one stays after a finished sentence.
    """
    header = _first_header(lines)
    end = i
    while end + 1 < len(lines):
        below = lines[end + 1][1]
        if below.strip() and below.strip() not in header and not _REPEATED_HEADER_RE.match(below):
            break
        end += 1
    kept_blank: Line | None = None
    while out and not out[-1][1].strip():
        kept_blank = out.pop()
    if kept_blank is not None and out and out[-1][1].rstrip().endswith(_SENTENCE_END):
        out.append(kept_blank)
    return end


_SENTENCE_END = (".", "!", "?", '"', ")", ":", "\u201d")


def _first_header(lines: list[Line], limit: int = 60) -> set[str]:
    """The first section's header lines (down to paragraph 1), stripped."""
    header: set[str] = set()
    for _, text in lines[:limit]:
        s = text.strip()
        if PARAGRAPH_ONE_RE.match(s):
            break
        if s:
            header.add(s)
    return header


def _lines_with_section_breaks(lines: list[Line]) -> set[int]:
    """Indexes of lines holding a section break.

    Why not one regex over the text: scanning for digits is slow in ``re``;
    finding the literal "OF" with str.find and checking its neighbours first
    makes this about ten times cheaper on typical cables.
    """
    joined = "\n".join([text for _, text in lines])
    hits: list[int] = []
    for needle in (" OF 0", " of 0"):  # page totals are zero-padded: "002 OF 004"
        k = joined.find(needle)
        while k > 0:
            if _break_near(joined, k + 1):
                hits.append(k + 1)
            k = joined.find(needle, k + 4)
    if not hits:
        return set()
    starts = list(itertools.accumulate((len(text) + 1 for _, text in lines), initial=0))
    return {bisect.bisect_right(starts, k) - 1 for k in hits}


def _break_near(text: str, k: int) -> bool:
    """Does the "OF" at ``k`` belong to "0000nnnn 00n OF 00n"?"""
    if text[k - 1] not in " \t" or text[k + 2 : k + 3] not in (" ", "\t"):
        return False
    j = k - 1
    while j > 0 and text[j] in " \t":
        j -= 1
    return text[j].isdigit() and _SECTION_BREAK_RE.search(text, max(0, k - 32), k + 12) is not None


def strip_section_breaks(text: str, post_words: list[str], serial: int | None) -> str:
    """Remove "POST 0000nnnn 00n OF 00n" wherever it is in the line."""
    for m in reversed(list(_SECTION_BREAK_RE.finditer(text))):
        if serial is not None and int(m.group("serial")) != serial:
            continue
        start = _post_start(text, m.start(), post_words)
        left, right = text[:start].rstrip(), text[m.end() :].lstrip()
        text = f"{left} {right}" if left and right else left or right
    return text


def _post_start(text: str, end: int, post_words: list[str]) -> int:
    """Start of the (possibly truncated) post name written before a section break."""
    start = end
    for _ in range(4):
        word = _WORD_BEFORE_RE.search(text, max(0, start - 48), start)
        if word is None:
            break
        token = word.group(1).upper()
        known = any(
            w == token or (len(token) >= 3 and (w.startswith(token) or token.startswith(w)))
            for w in post_words
        )
        if not (known if post_words else token.isalpha() and word.group(1).isupper()):
            break
        start = word.start()
        if not post_words and end - start > 24:
            break
    return start


def _strip_trailing_level(out: list[Line], levels: list[Level]) -> None:
    if out:
        no, text = out[-1]
        m = _TRAILING_LEVEL_RE.search(text)
        if m:
            out[-1] = (no, text[: m.start()])
            banner = f.read_banner(text[m.start() :])
            if banner is not None:
                levels.append(banner.level)


def _is_repeated_banner(
    text: str,
    banner: f.Banner | None,
    levels: list[Level],
    markings: list[Marking] | None = None,
) -> bool | f.Banner:
    """True for a repeated classification line (its level added to ``levels``); the
    line read when it is a full one of another post or serial; else False."""
    if not text.isupper():  # cheapest test first: page-break lines are in capitals
        return False
    s = text.strip()
    if not s or s[0] not in f.BANNER_FIRST or len(s) > 90:
        return False
    if not f.may_be_banner(s):
        return False  # page-break lines are written plainly: no fuzzy matching here
    found = f.read_banner(s)
    if found is None:
        return False
    if found.full and (banner is None or found.serial != banner.serial or found.rest):
        other = banner is not None and (found.serial, found.post) != (banner.serial, banner.post)
        return found if other else False
    if not found.full and "//" in s and (banner is None or found.marking != banner.marking):
        # Banner syntax ("SECRET//FGI//NOFORN") carries controls: kept, unless it only
        # repeats the cable's own classification line (the bottom marking of a page), or
        # the caller takes its marking to compare with the cable's (and warn).
        if markings is None:
            return False
        markings.append(found.marking)
    levels.append(found.level)
    return True
