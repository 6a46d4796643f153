"""Many paragraphs in one hyperscan call, the usual hits placed in bulk: :func:`scan_many`.

Why: scanning paragraph by paragraph, the engine spent about twice as long as its own hyperscan
pass (profile of ``bench/redaction.py``: per-paragraph set-up and sorting 12%, the Python
callback placing each hit 18%, placing and confirming the rest 30%).  Here the paragraphs are
joined into one buffer and scanned once; the callback only records ``(expression, end)``
into an ``array``; the usual term hits (an ASCII term of one rule, words one whitespace
character apart) are placed and checked for whole words by one compiled loop over the reports
(:func:`.native_scan.sort_out`, or array operations where numba cannot be had), then sorted
and split back into paragraphs by array operations; the regexes' reports are grouped by regex
and paragraph and searched by RE2 in the joined buffer (:func:`_regex_hits`); every other
report goes, per paragraph, through the same :meth:`Matcher._finish` as
:meth:`Matcher.scan`, which stays the definition.

**The separator.**  Paragraphs are joined with the byte ``0x81`` (and one before the first and
after the last).  :func:`.prefilter.encode_for_scan` never produces it (every non-ASCII
character becomes ``0x80``) and no expression can match it: term expressions list their bytes
and whitespace runs explicitly, and a regex prefilter's classes are drawn from the ASCII bytes
and ``0x80``.  So no report spans two paragraphs, except from a regex hyperscan could only
compile as an approximate prefilter (``HS_FLAG_PREFILTER``), whose reports are only offsets
where RE2 is then asked (a superset is harmless) and whose reports ending on a separator are
dropped (no real match ends there).  For hyperscan's ``\\b``, the only assertion a prefilter
keeps, ``0x81`` is a non-word byte, like the edge of a paragraph scanned alone: each
paragraph's own reports are exactly those of a scan of it alone.  (Rule regexes themselves
run on each paragraph's own bytes, so ``$`` and ``\\A`` keep their meaning.)

Non-ASCII multi-word terms used to be compiled with ``HS_FLAG_SINGLEMATCH``; over a joined
buffer one report would stand for every paragraph, so they are not any more (see
:func:`.matcher._term_expression`).
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections.abc import Sequence
from itertools import chain, pairwise, repeat
from operator import call, itemgetter
from typing import NamedTuple

import numpy as np

from .hit import Hit
from .matcher import (
    _NEIGHBOUR,
    _UNANCHORED,
    _WHITESPACE_BYTES,
    Matcher,
    _lead_matches,
    _regex_matches,
)
from .prefilter import PLACEHOLDER, word_marked_latin1
from .terms import is_word_char

__all__ = ["SEPARATOR", "BatchTables", "batch_tables", "joined_for_scan", "scan_many"]

SEPARATOR = 0x81
_MAX_GAPS = 3  # multi-word terms of up to four words are placed by array operations
# Below this many characters a batch is scanned a paragraph at a time: the batch's fixed
# cost (some forty numpy calls) outweighs what it saves (measured on the dev corpus with
# bench/redaction.py's rules: one 9 KB cable a call took twice as long as its paragraphs
# one by one, ten cables a call about as long, the whole 2.2 MB a third less).
_SMALL_BATCH = 1 << 17
_CHUNK_CHARACTERS = 1 << 26  # hyperscan takes at most 4 GB a call; 64 M characters is plenty
# The whole-word test reads the Latin-1 buffer (see _joined): 1 a word character, else 0 (the
# separator included).
_WORD = 1
_ASCII_WHITESPACE = b"\t\n\v\f\r\x1c\x1d\x1e\x1f "
_ASCII, _LATIN1, _BEYOND = 0, 1, 2  # what a text's characters are
_SEPARATOR_BYTE = bytes([SEPARATOR])
_FOLD = bytes(range(128)) + bytes([PLACEHOLDER]) * 128  # as prefilter.encode_for_scan folds
_VARIES = object()  # a Hit field that differs between rules (see BatchTables.shared)


class BatchTables(NamedTuple):
    """Per hyperscan expression id, what placing a report by array operations needs."""

    length: np.ndarray  # int64: the match's length if placed by arrays, else 0
    gaps: np.ndarray  # int64 [gap, expression]: the gap's offset back from the end, 0 for none
    rule: np.ndarray  # int64: index into Matcher._rules of the one rule (placed only)
    rule_rank: np.ndarray  # int64 per rule index: its rank by rule id (the sort's last key)
    # bool [expression, text kind]: a regex searched in the joined buffer for a text of that
    # kind (see _regex_hits): any without other anchors for ASCII text; with a Latin-1
    # program for Latin-1 text; and blind beyond ASCII for text beyond Latin-1
    flat_regex: np.ndarray
    programs: np.ndarray  # object [expression, text kind]: the RE2 Match searching it
    regex_rule: np.ndarray  # int64: the regex's rule index
    width: np.ndarray  # int64: the regex's longest match (see _RegexRule.width)
    lead_shortest: np.ndarray  # int64: see _RegexRule.lead_shortest (0 for a term)
    lead_longest: np.ndarray  # int64: see _RegexRule.lead_longest (0 for a term)
    # Per Hit field after start and end (rule id, version, label, action): the value every
    # rule shares, or _VARIES; varying holds the others, per rule index (object, one column
    # a field, in that order).
    shared: tuple[object, ...]
    varying: np.ndarray
    word_byte: np.ndarray  # uint8[256]: _WORD where the Latin-1 character is a word character
    ascii_space: np.ndarray  # bool[256]: an ASCII whitespace byte
    any_space: np.ndarray  # bool[256]: a byte a term's whitespace run may take (0x80 too)


def batch_tables(matcher: Matcher, expressions: int) -> BatchTables:
    """Build the tables once per matcher (a few thousand entries)."""

    length = np.zeros(expressions, np.int64)
    gaps = np.zeros((_MAX_GAPS, expressions), np.int64)
    rule = np.zeros(expressions, np.int64)
    rule_of = {info: index for index, info in enumerate(matcher._rules)}
    for expr, term in enumerate(matcher._terms):
        if not (term.exact and len(term.direct) == 1 and not term.contested and term.length):
            continue
        words = term.words or ()
        if len(words) > _MAX_GAPS:
            continue
        offset = term.length
        for k, word_length in enumerate(words):
            gaps[k, expr] = offset + 1
            offset += 1 + word_length
        length[expr] = offset
        rule[expr] = rule_of[term.direct[0]]
    flat_regex = np.zeros((expressions, 3), bool)
    programs = np.full((expressions, 3), None, object)
    regex_fields = np.zeros((4, expressions), np.int64)
    for expr, regex in enumerate(matcher._regexes, len(matcher._terms)):
        flat_regex[expr] = (
            not regex.edges,
            not regex.edges and regex.latin1 is not None,
            not regex.edges and regex.blind,
        )
        programs[expr] = (regex.match, regex.latin1, regex.latin1)
        regex_fields[:, expr] = (regex.rule, regex.width, regex.lead_shortest, regex.lead_longest)
    shared = tuple(map(_shared_value, zip(*matcher._rules, strict=True)))
    varying = np.empty((len(matcher._rules), shared.count(_VARIES)), object)
    for column, field in enumerate(k for k, value in enumerate(shared) if value is _VARIES):
        varying[:, column] = [info[field] for info in matcher._rules]
    return BatchTables(
        length=length,
        gaps=gaps,
        rule=rule,
        rule_rank=np.argsort(np.argsort([info[0] for info in matcher._rules], kind="stable")),
        flat_regex=flat_regex,
        programs=programs,
        regex_rule=regex_fields[0],
        width=regex_fields[1],
        lead_shortest=regex_fields[2],
        lead_longest=regex_fields[3],
        shared=shared,
        varying=varying,
        word_byte=np.array([_WORD if is_word_char(chr(b)) else 0 for b in range(256)], np.uint8),
        ascii_space=_byte_set(_ASCII_WHITESPACE),
        any_space=_byte_set(_WHITESPACE_BYTES),
    )


def _shared_value(values: tuple) -> object:
    """The value of a field every rule has alike (same type and value), else ``_VARIES``."""
    first = values[0]
    if all(type(value) is type(first) and value == first for value in values):
        return first
    return _VARIES


def _byte_set(values: Sequence[int] | bytes | frozenset[int]) -> np.ndarray:
    out = np.zeros(256, bool)
    out[list(values)] = True
    return out


def scan_many(matcher: Matcher, texts: Sequence[str]) -> list[list[Hit]]:
    """:meth:`Matcher.scan` of each text, in one hyperscan call per chunk of texts (or one
    by one, for a small batch: see ``_SMALL_BATCH``).

    The cyclic garbage collector is paused meanwhile (and left as it was found): a batch makes
    tens of thousands of tuples, none in a cycle, and each collection the allocations set off
    walked the young report list again, growing to 100,000 entries: 12% of the instructions of
    a batch (callgrind, ``bench/redaction.py``'s corpus), for nothing to collect.
    """
    lengths = list(map(len, texts))
    total = sum(lengths)
    if matcher._database is None or total < _SMALL_BATCH:
        return [matcher.scan(text) for text in texts]
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan_chunks(matcher, texts, lengths, total)
    finally:
        if collecting:
            gc.enable()


def _scan_chunks(
    matcher: Matcher, texts: Sequence[str], lengths: list[int], total: int
) -> list[list[Hit]]:
    """The texts in chunks of at most ``_CHUNK_CHARACTERS`` (a separator after each text
    counted), each text whole; ``lengths`` are theirs, ``total`` their sum."""
    if total + len(texts) <= _CHUNK_CHARACTERS:  # the usual batch: one chunk, no walk over it
        return _scan_chunk(matcher, texts, lengths)
    out: list[list[Hit]] = []
    start, size = 0, 0
    for end, length in enumerate(lengths):
        size += length + 1
        if size > _CHUNK_CHARACTERS and end > start:
            out += _scan_chunk(matcher, texts[start:end], lengths[start:end])
            start, size = end, length + 1
    out += _scan_chunk(matcher, texts[start:], lengths[start:])
    return out


def _scan_chunk(matcher: Matcher, texts: Sequence[str], lengths: list[int]) -> list[list[Hit]]:
    tables = matcher._tables
    if tables is None:  # built once a matcher, kept on it (the matcher never imports this module)
        tables = matcher._tables = batch_tables(matcher, len(matcher._quick_length))
    bases, lengths = _bases(lengths)
    data, latin1, kinds = _joined(texts)
    buffer = np.frombuffer(data, np.uint8)
    latin1_buffer = buffer if latin1 is data else np.frombuffer(latin1, np.uint8)

    pairs = _reports(matcher, data)
    placed, pending = _sort_out(matcher, tables, buffer, latin1_buffer, pairs, bases, lengths)
    exprs_p, ends_p, text_of = pending
    kind = kinds[text_of]
    flat = tables.flat_regex[exprs_p, kind]
    rest = ~flat
    regex = (exprs_p[flat], ends_p[flat], text_of[flat], kind[flat])
    found = _regex_hits(matcher, tables, (data, latin1, data), bases, lengths, regex)
    out = _split(tables, bases, placed, found)
    _finish(matcher, texts, data, bases, out, exprs_p[rest], ends_p[rest], text_of[rest])
    return out


def _reports(matcher: Matcher, data: bytes) -> np.ndarray:
    """``expression, end, expression, end...`` of hyperscan's reports in ``data``: by a
    compiled callback where one can be had (:mod:`.native_scan`), else by the binding's."""
    native = matcher._native
    if native is None:
        from .native_scan import native_scanner  # numba loads only for a large batch

        native = matcher._native = native_scanner(matcher._database) or False
    if native:
        return native.reports(data)
    # the least work a report in Python (a list: appending to an array("q") instead, which
    # numpy reads in place, took 5% longer in all)
    reports: list[int] = []
    add = reports.append

    def on_match(expr: int, _start: int, end: int, _flags: int, _context: object) -> None:
        add(expr)
        add(end)

    matcher._database.scan(data, on_match, 0, None, matcher._scratch())
    return np.fromiter(reports, np.int64, len(reports))


def joined_for_scan(texts: Sequence[str]) -> bytes:
    """The bytes one hyperscan call of :func:`scan_many` scans for ``texts`` (the benchmark's
    bare scan times the same joining)."""
    return _joined(texts)[0]


def _bases(lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Where each text starts in the joined buffer (one more: past the last separator), and
    the texts' lengths (``lengths`` as an array)."""
    sizes = np.array(lengths, np.int64)
    bases = np.empty(len(sizes) + 1, np.int64)
    bases[0] = 1
    np.cumsum(sizes + 1, out=bases[1:])
    bases[1:] += 1
    return bases, sizes


def _joined(texts: Sequence[str]) -> tuple[bytes, bytes, np.ndarray]:
    """The texts joined by the separator: as scanned (one byte a character, see
    :func:`.prefilter.encode_for_scan`) and as Latin-1 (for RE2, whose offsets are then the
    characters', and for the whole-word test; a text beyond Latin-1 has its other characters
    marked word or not there, see :func:`.prefilter.word_marked_latin1`, and RE2 searches it
    on its own), and each text's kind: ``_ASCII``, ``_LATIN1`` or beyond."""
    parts = [text.encode("latin-1") if text.isascii() else b"" for text in texts]  # a copy
    kinds = np.zeros(len(texts), np.int8)
    for i in np.flatnonzero(~np.fromiter(map(str.isascii, texts), bool, len(texts))).tolist():
        try:
            parts[i] = texts[i].encode("latin-1")
            kinds[i] = _LATIN1
        except UnicodeEncodeError:
            parts[i] = word_marked_latin1(texts[i])
            kinds[i] = _BEYOND
    # One join a buffer, the separators joined in: each new megabyte-sized buffer costs
    # page faults (a third of the joining's time, measured, when built by concatenation and
    # copies), while folding each non-ASCII text's few kilobytes costs none.
    latin1 = _SEPARATOR_BYTE.join([b"", *parts, b""])
    if not kinds.any():
        return latin1, latin1, kinds
    for i in np.flatnonzero(kinds).tolist():
        parts[i] = parts[i].translate(_FOLD)
    return _SEPARATOR_BYTE.join([b"", *parts, b""]), latin1, kinds


_Columns = tuple[np.ndarray, np.ndarray, np.ndarray]


def _sort_out(
    matcher: Matcher,
    tables: BatchTables,
    buffer: np.ndarray,
    latin1: np.ndarray,
    pairs: np.ndarray,
    bases: np.ndarray,
    lengths: np.ndarray,
) -> tuple[_Columns, _Columns]:
    """The hits placed here (starts, ends, rule indexes) and the reports sent on
    (expressions, ends, texts), from hyperscan's ``pairs`` (see :func:`_reports`).

    Where hyperscan's reports come from the compiled callback, one compiled loop does it
    (:func:`.native_scan.sort_out`, the same answer): the twenty-odd array operations of
    :func:`_sort_out_by_arrays` each go over every report, 0.6 ms a 1 MB batch of the
    benchmark's corpus against 0.23 for the loop.
    """
    exprs, ends = pairs[0::2], pairs[1::2]
    if matcher._native:
        from .native_scan import sort_out

        placed, pending = sort_out(
            exprs,
            ends,
            tables.length,
            tables.gaps,
            tables.rule,
            buffer,
            latin1,
            tables.word_byte,
            tables.ascii_space,
            tables.any_space,
            bases,
            lengths,
        )
        return (placed[0], placed[1], placed[2]), (pending[0], pending[1], pending[2])
    return _sort_out_by_arrays(tables, buffer, latin1, exprs, ends, bases, lengths)


def _sort_out_by_arrays(
    tables: BatchTables,
    buffer: np.ndarray,
    latin1: np.ndarray,
    exprs: np.ndarray,
    ends: np.ndarray,
    bases: np.ndarray,
    lengths: np.ndarray,
) -> tuple[_Columns, _Columns]:
    """:func:`_sort_out` by array operations: :func:`_place`, and each report sent on with
    its text, but for a report outside every text (only an approximate prefilter's)."""
    placed, pending = _place(tables, buffer, latin1, exprs, ends)
    exprs_p, ends_p = exprs[pending], ends[pending]
    text_of = np.searchsorted(bases, ends_p - 1, "right") - 1
    inside = (text_of >= 0) & (text_of < len(lengths))
    inside[inside] &= ends_p[inside] - bases[text_of[inside]] <= lengths[text_of[inside]]
    placed_exprs, placed_ends = exprs[placed], ends[placed]
    return (
        (placed_ends - tables.length[placed_exprs], placed_ends, tables.rule[placed_exprs]),
        (exprs_p[inside], ends_p[inside], text_of[inside]),
    )


def _place(
    tables: BatchTables,
    buffer: np.ndarray,
    latin1: np.ndarray,
    exprs: np.ndarray,
    ends: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Which reports are hits placed here, and which go to :meth:`Matcher._finish`.

    An ASCII term of one rule whose words are one ASCII whitespace byte apart (always so for
    one word) matched exactly the characters hyperscan reports: what is left is the
    whole-word test, read off the Latin-1 buffer, where every character, even one beyond
    Latin-1, says whether it is a word character (:func:`.prefilter.word_marked_latin1`).  A
    word character next to the match rules it out, else it is a hit: the answer of the
    oracle's ``(?<!\\w)...(?!\\w)``, which :meth:`Matcher.scan` asks the text for when a
    placeholder is next to the match.  Every other report (another kind of term, a wider
    whitespace run, which would need the walk back, a regex) is sent on.
    """
    length = tables.length[exprs]
    candidate = length > 0
    starts = ends - length
    fits = candidate.copy()  # its words one whitespace byte apart (always, for one word)
    for gap in tables.gaps:
        offset = gap[exprs]
        has = offset > 0
        if not has.any():
            break
        where = np.flatnonzero(has)
        at = ends[where] - offset[where]
        fits[where] &= tables.ascii_space[buffer[at]] & ~tables.any_space[buffer[at - 1]]
    # Bytes are only read where the start is known (an approximate prefilter's report may
    # even end past the last separator).
    before = latin1[np.where(fits, starts, 1) - 1]
    after = latin1[np.where(fits, ends, 0)]
    placed = fits & ((tables.word_byte[before] | tables.word_byte[after]) == 0)
    return placed, ~fits


class _Groups(NamedTuple):
    """A chunk's regex reports grouped by regex and paragraph (see :func:`_regex_hits`)."""

    ends: np.ndarray  # every report's end, sorted by regex, paragraph and end
    firsts: np.ndarray  # per group: the index of its first report in ends
    sizes: np.ndarray  # per group: how many reports
    exprs: np.ndarray  # per group: the expression id
    texts: np.ndarray  # per group: the paragraph
    programs: np.ndarray  # per group: the RE2 Match to search it with (object)
    kinds: np.ndarray  # per group: the paragraph's kind, which picks the subject


def _regex_hits(
    matcher: Matcher,
    tables: BatchTables,
    subjects: tuple[bytes, bytes, bytes],
    bases: np.ndarray,
    lengths: np.ndarray,
    reports: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RE2's matches of the regexes ``reports`` says may match (expressions, ends,
    paragraphs and the paragraphs' kinds): (starts, ends, rule indexes).

    In an ASCII paragraph by the rule's program on the scanned bytes; in a Latin-1 one by its
    Latin-1 program on the Latin-1 buffer; beyond Latin-1, for the regexes blind to which
    character is beyond ASCII (see :func:`.prefilter.treats_non_ascii_alike`), by the
    Latin-1 program on the scanned bytes, where every such character is the placeholder
    (``subjects``: those buffers by kind).  RE2 searches the joined buffer itself, each
    paragraph's window of it: RE2 sees the bytes around a window, and the separator beyond a
    paragraph's edge is a non-word byte, which is all ``\\b`` asks (regexes with other
    anchors are not sent here).

    The reports are grouped by regex and paragraph, and each group walked as
    :meth:`Matcher.scan` walks it (:func:`.matcher._regex_matches`,
    :func:`.matcher._lead_matches`).  Most walks end after their first search (a group of
    one report, usually), so every first search runs in one ``map`` over the groups
    (:func:`_first_searches`, about a microsecond a group less than a walk in Python), and
    only the walks that go on are continued one by one (:func:`_walks`).
    """
    exprs, ends, text_of, kind = reports
    if not len(ends):
        return ends, ends, ends
    order = np.lexsort((ends, text_of, exprs))
    exprs, ends, text_of, kind = exprs[order], ends[order], text_of[order], kind[order]
    new_group = (exprs[1:] != exprs[:-1]) | (text_of[1:] != text_of[:-1])
    firsts = np.flatnonzero(np.concatenate(([True], new_group)))
    groups = _Groups(
        ends=ends,
        firsts=firsts,
        sizes=np.diff(np.append(firsts, len(ends))),
        exprs=exprs[firsts],
        texts=text_of[firsts],
        programs=tables.programs[exprs[firsts], kind[firsts]],
        kinds=kind[firsts],
    )
    (starts, ends, settled), walk = _first_searches(tables, subjects, bases, lengths, groups)
    if len(walk[0]):
        spans, span_groups = _walks(matcher, subjects, bases, lengths, groups, walk)
        pairs = np.fromiter(chain.from_iterable(spans), np.int64, 2 * len(spans))
        starts = np.concatenate((starts, pairs[0::2]))
        ends = np.concatenate((ends, pairs[1::2]))
        settled = np.concatenate((settled, np.array(span_groups, np.int64)))
    return starts, ends, tables.regex_rule[groups.exprs[settled]]


def _first_searches(
    tables: BatchTables,
    subjects: tuple[bytes, bytes, bytes],
    bases: np.ndarray,
    lengths: np.ndarray,
    groups: _Groups,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each group's first search: ``(starts, ends, groups)`` of the matches that are their
    walk's whole answer, and ``(groups, starts, ends)`` of the walks that go on, with their
    first match (-1 where the walk has not started).

    A regex looked for whole (:func:`.matcher._regex_matches`) is searched from the first
    report less the regex's width to the last report: a match ending there is the walk's
    whole answer.  A regex looked for by its leading part (:func:`.matcher._lead_matches`) is
    searched from the first lead's end less the lead's longest width to the paragraph's end:
    a match is the walk's whole answer when the last lead ends closer than the lead's
    shortest width to the match's end (the walk's next search needs a lead that far on).  No
    match is no answer either way.  The walk skips a lead ending closer than that width to
    the paragraph's start: such a group (never seen from hyperscan's exact expressions) is
    left to walk from the start.
    """
    first_ends = groups.ends[groups.firsts]
    last_ends = groups.ends[groups.firsts + groups.sizes - 1]
    floor = bases[groups.texts]
    longest = tables.lead_longest[groups.exprs]
    shortest = tables.lead_shortest[groups.exprs]
    lead = longest > 0
    position = np.maximum(floor, first_ends - np.where(lead, longest, tables.width[groups.exprs]))
    stop = np.where(lead, floor + lengths[groups.texts], last_ends)
    enough = np.where(lead, last_ends - shortest + 1, last_ends)  # a match ending here or on
    odd = np.flatnonzero(lead & (first_ends - floor < shortest))
    searched = np.flatnonzero(~lead | (first_ends - floor >= shortest))
    firsts = map(
        itemgetter(0),  # the whole match's span, before any capturing group's
        map(
            call,
            groups.programs[searched].tolist(),
            repeat(_UNANCHORED),
            map(subjects.__getitem__, groups.kinds[searched].tolist()),
            position[searched].tolist(),
            stop[searched].tolist(),
        ),
    )
    pairs = np.fromiter(chain.from_iterable(firsts), np.int64, 2 * len(searched))
    starts, ends = pairs[0::2], pairs[1::2]
    done = ends >= enough[searched]
    going_on = ~done & (starts >= 0)
    not_started = np.full(len(odd), -1, np.int64)
    walk = (
        np.concatenate((odd, searched[going_on])),
        np.concatenate((not_started, starts[going_on])),
        np.concatenate((not_started, ends[going_on])),
    )
    return (starts[done], ends[done], searched[done]), walk


def _walks(
    matcher: Matcher,
    subjects: tuple[bytes, bytes, bytes],
    bases: np.ndarray,
    lengths: np.ndarray,
    groups: _Groups,
    walk: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[list[tuple[int, int]], list[int]]:
    """The matches of the walks :func:`_first_searches` left going on (``walk``: the groups
    and their first match, if any), and each match's group.

    What is left of a walk after a match is a walk from its end over the reports after it:
    :func:`.matcher._regex_matches` with the reports ending after the match (the first
    search starts at the first of them less the width, or at the match's end), or
    :func:`.matcher._lead_matches` from the match's end (it skips the leads too close).
    """
    which, first_starts, first_ends = walk
    ends = groups.ends.tolist()
    starts = bases.tolist()
    stops = (bases[:-1] + lengths).tolist()
    regexes, offset = matcher._regexes, len(matcher._terms)
    firsts = groups.firsts[which]
    spans: list[tuple[int, int]] = []
    span_groups: list[int] = []
    for group, lo, hi, expr, i, match, kind, first_start, first_end in zip(
        which.tolist(),
        firsts.tolist(),
        (firsts + groups.sizes[which]).tolist(),
        groups.exprs[which].tolist(),
        groups.texts[which].tolist(),
        groups.programs[which].tolist(),
        groups.kinds[which].tolist(),
        first_starts.tolist(),
        first_ends.tolist(),
        strict=True,
    ):
        regex = regexes[expr - offset]
        subject = subjects[kind]
        if first_end < 0:
            found, floor = [], starts[i]
        else:
            found, floor = [(first_start, first_end)], first_end
        if regex.lead_longest:
            found += _lead_matches(regex, match, subject, ends, lo, hi, floor, stops[i])
        else:
            if found:
                lo = bisect_right(ends, first_end, lo, hi)
            found += _regex_matches(regex.width, match, subject, ends, lo, hi, floor)
        spans += found
        span_groups += [group] * len(found)
    return spans, span_groups


def _split(
    tables: BatchTables, bases: np.ndarray, placed: _Columns, regex: _Columns
) -> list[list[Hit]]:
    """The placed term hits and the regex hits (starts, ends, rule indexes each) as sorted
    Hit lists, one per text."""
    starts, ends, rules = (np.concatenate(pair) for pair in zip(placed, regex, strict=True))
    order = _sorting(starts, ends, tables.rule_rank[rules])
    starts, ends, rules = starts[order], ends[order], rules[order]
    cuts = np.searchsorted(starts, bases, "left")  # the hits of text i: cuts[i]:cuts[i + 1]
    base = np.repeat(bases[:-1], np.diff(cuts))
    return _hit_lists(tables, starts - base, ends - base, rules, cuts.tolist())


def _hit_lists(
    tables: BatchTables,
    starts: np.ndarray,
    ends: np.ndarray,
    rules: np.ndarray,
    cuts: list[int],
) -> list[list[Hit]]:
    """The Hits, in order, cut into one list per text (``cuts``: where each text's begin).

    About 80 ns a Hit, most of it ``tuple.__new__`` (mapped over the fields zipped: a partial
    around it took longer, and so did adding a prebuilt tuple of the rule's fields to the
    offsets).  A field every rule shares (the version or the action, often) is repeated
    rather than gathered: a tenth of this function's instructions, by callgrind, on the
    benchmark's rules, where all rules share two of the four.
    """
    varying = iter(tables.varying[rules].T.tolist())  # one gather for all the varying fields
    fields = [next(varying) if value is _VARIES else repeat(value) for value in tables.shared]
    columns = zip(starts.tolist(), ends.tolist(), *fields, strict=False)  # repeat() is endless
    hits = list(map(tuple.__new__, repeat(Hit, len(starts)), columns))
    return [hits[first:last] for first, last in pairwise(cuts)]


def _sorting(starts: np.ndarray, ends: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The order of (start, end, rule id): one int64 key when it fits (the reports come
    nearly sorted, which a stable sort takes in about one pass), else ``lexsort``."""
    if not len(starts):
        return np.empty(0, np.int64)
    widths = ends - starts
    rank_span = int(ranks.max()) + 1
    width_span = int(widths.max()) + 1
    if int(starts.max()) + 1 < (1 << 62) // (width_span * rank_span):
        return np.argsort((starts * width_span + widths) * rank_span + ranks, kind="stable")
    return np.lexsort((ranks, ends, starts))


def _finish(
    matcher: Matcher,
    texts: Sequence[str],
    data: bytes,
    bases: np.ndarray,
    out: list[list[Hit]],
    exprs: np.ndarray,
    ends: np.ndarray,
    text_of: np.ndarray,
) -> None:
    """The other reports, per text, through :meth:`Matcher._finish` (every text when a
    regex is run without hyperscan's help)."""

    order = np.argsort(text_of, kind="stable")
    text_of, exprs, local_ends = text_of[order], exprs[order], (ends - bases[text_of])[order]
    which = np.arange(len(texts)) if matcher._unfiltered else np.unique(text_of)
    cuts = np.searchsorted(text_of, which, "left").tolist()
    cuts_end = np.searchsorted(text_of, which, "right").tolist()
    pairs = list(zip(exprs.tolist(), local_ends.tolist(), strict=True))
    starts = bases.tolist()
    for i, first, last in zip(which.tolist(), cuts, cuts_end, strict=True):
        text = texts[i]
        own = data[starts[i] : starts[i] + len(text)]
        around_byte = (b" " + own + b" ").translate(_NEIGHBOUR)
        hits = out[i]
        before = len(hits)
        matcher._finish(text, own, text.isascii(), around_byte, pairs[first:last], hits)
        if len(hits) > before:
            hits.sort()
