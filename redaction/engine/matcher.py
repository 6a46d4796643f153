"""The fast engine: every active text rule in one hyperscan database, exact against the oracle.

Why hyperscan: on the dev corpus (1,000 term rules and 20 regexes, one core) it matches all the
rules in one pass, several times faster than google-re2 or pyahocorasick + ``re`` once their
per-paragraph costs are counted (``bench/redaction.py --libraries`` measures all three).

How the results stay *exactly* those of :mod:`.oracle`:

* **Offsets.**  Hyperscan scans :func:`.prefilter.encode_for_scan` output, one byte per
  character, so its offsets are character offsets.  Non-ASCII characters all become the byte
  ``0x80``, so anything next to or over one is confirmed on the real text.
* **Terms** (one hyperscan expression per distinct term): ASCII letters caseless, whitespace
  as a whitespace run, non-ASCII characters as the placeholder (or their ASCII case forms).
  No ``\b`` in the expression: it makes hyperscan compile a 5,000-term list in seconds rather
  than a tenth of one, and the whole-word test is two byte lookups anyway.  Where a hit starts:
  ``end - len`` for a single word; for several ASCII words, a walk back over the whitespace runs
  (an ASCII word cannot contain whitespace or a placeholder, so the runs are exact).  An ASCII
  term with no placeholder next to or inside it is then exactly the oracle's match; any other
  hit is confirmed with the oracle's pattern for that one term.  A non-ASCII multi-word term
  cannot be placed from its end at all, so Python lists its matches itself, in paragraphs where
  hyperscan says it may occur.  Per rule, matches are chosen leftmost-longest without overlap,
  as the oracle's longest-first alternation does (skipped for the usual one-word rule, whose
  matches cannot overlap).
* **Regexes** (admins' rule regexes and the built-in personal-data patterns) are never run
  by a backtracking engine (see :mod:`.rule_regex`).  Hyperscan looks for their prefilters
  (:func:`.prefilter.regex_prefilter`): it reports every offset at which the rule *could* end
  a match, and RE2 then finds the real matches near those offsets (:func:`_regex_matches`
  explains why each shortcut cannot change the answer).  A regex of unbounded width that
  begins with a part of bounded width is looked for by that part instead, which bounds where
  its matches start (:func:`_regex_expression`, :func:`_lead_matches`).  The answer is RE2's
  answer, in linear time.  Python's ``re`` only runs the term patterns written here (see
  :mod:`.terms`), never a rule regex.

Many paragraphs at once: :func:`.batch.scan_many` scans them in one hyperscan call and
places the usual hits with array operations (:mod:`.batch`); its answer is :meth:`scan`'s.

A :class:`Matcher` can be shared between threads: each thread gets its own hyperscan scratch.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, NamedTuple

import hyperscan
from re2 import _re2

from .hit import Hit
from .prefilter import (
    PLACEHOLDER,
    Untranslatable,
    encode_for_scan,
    leading_prefilter,
    regex_prefilter,
    treats_non_ascii_alike,
    uses_text_edges,
)
from .rule_regex import (
    RULE_REGEX_FLAGS,
    compile_rule_regex,
    compile_rule_regex_latin1,
    parse_rule_regex,
)
from .rules import MarkingRule, RuleSpec, TermListRule, TextRule, rule_regex, validate_rule
from .terms import char_variants, is_word_char, normalize_term, ordered_terms, term_pattern

__all__ = ["Matcher", "compile_rules"]

# str.isspace() characters below 128, and the placeholder (a no-break space is non-ASCII).
_WHITESPACE_BYTES = frozenset(b"\t\n\v\f\r\x1c\x1d\x1e\x1f \x80")
_WHITESPACE_RUN = rb"[\x09-\x0d\x1c-\x20\x80]+"
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# What the byte next to a term hit says about the whole-word test: nothing in the way (0), an
# ASCII word character (_WORD: no match), or a placeholder (_UNSURE: ask the text).
_WORD, _UNSURE = 1, 2
_NEIGHBOUR = bytes(
    _WORD if chr(b) in _ASCII_WORD else _UNSURE if b == PLACEHOLDER else 0 for b in range(256)
)
_UNBOUNDED_WIDTH = 1 << 30
_LEAD_SHORTEST = 4  # see _regex_expression


class _TermExpr(NamedTuple):
    """One distinct term (shared by every rule that lists it) and how to place its hits."""

    # Characters of a single-word term; of the last word of an ASCII multi-word term; 0 for a
    # non-ASCII multi-word term.
    length: int
    words: tuple[int, ...] | None  # ASCII multi-word: the other word lengths, last to first
    direct: tuple[tuple, ...]  # hit fields of the rules whose matches cannot conflict
    contested: tuple[int, ...]  # indexes (into Matcher._rules) of the other rules
    exact: bool  # ASCII: what hyperscan matched is the term, unless a 0x80 is inside it
    confirm: re.Pattern[str] | str  # the oracle's definition of this term (compiled lazily)


class _RegexRule(NamedTuple):
    rule: int  # index into Matcher._rules
    # RE2's Match(anchor, bytes, pos, endpos) of compile_rule_regex's program (never Python's
    # re), and of compile_rule_regex_latin1's for Latin-1 text (or None): see _Subjects.
    match: Any
    latin1: Any
    width: int  # longest possible match, in characters (or _UNBOUNDED_WIDTH)
    # When hyperscan looks for the part every match begins with (see _regex_expression), the
    # shortest and longest width of that part; 0 when it looks for whole matches.
    lead_shortest: int = 0
    lead_longest: int = 0
    # An anchor other than \b/\B: not searched in scan_many's joined buffer (see .batch).
    edges: bool = False
    # A Latin-1 program that cannot tell one character beyond ASCII from another: searched in
    # the scanned bytes even for text beyond Latin-1 (see prefilter.treats_non_ascii_alike).
    blind: bool = False


class _Expression(NamedTuple):
    pattern: bytes
    flags: int


def compile_rules(specs: Iterable[RuleSpec]) -> Matcher:
    """Validate the rules and build one matcher for all their text rules."""
    specs = list(specs)
    for spec in specs:
        validate_rule(spec)
    _refuse_duplicate_ids(specs)
    text_rules = [s for s in specs if not isinstance(s, MarkingRule)]
    marking_rules = tuple(s for s in specs if isinstance(s, MarkingRule))
    return Matcher(text_rules, marking_rules)


def _refuse_duplicate_ids(specs: list[RuleSpec]) -> None:
    seen: set[int] = set()
    for spec in specs:
        if spec.id in seen:
            raise ValueError(
                f"rule id {spec.id} appears twice: only one version of a rule can be active"
            )
        seen.add(spec.id)


class Matcher:
    """Scans paragraphs for every text rule at once; build it with :func:`compile_rules`."""

    def __init__(self, text_rules: list[TextRule], marking_rules: tuple[MarkingRule, ...]):
        self.text_rules = tuple(text_rules)
        self.marking_rules = marking_rules
        self.priorities = {s.id: s.priority for s in text_rules}
        self._rules = [(s.id, s.version, s.label, s.action) for s in text_rules]
        self._terms: list[_TermExpr] = []
        self._regexes: list[_RegexRule] = []  # prefiltered; expression id - len(_terms)
        self._unfiltered: list[_RegexRule] = []  # hyperscan cannot help: run on every paragraph
        expressions = self._term_expressions(text_rules) + self._regex_expressions(text_rules)
        self._database = _compile_database(list(enumerate(expressions))) if expressions else None
        # The usual term, placed in the hyperscan callback: one ASCII word for one rule.
        quick = [
            t.words is None and t.exact and len(t.direct) == 1 and not t.contested
            for t in self._terms
        ]
        self._quick_length = [t.length if q else 0 for t, q in zip(self._terms, quick, strict=True)]
        self._quick_length += [0] * (len(expressions) - len(self._terms))  # regexes never are
        self._quick_rule = [
            t.direct[0] if q else () for t, q in zip(self._terms, quick, strict=True)
        ]
        self._local = threading.local()
        self._tables: Any = None  # .batch.BatchTables: built by batch.scan_many when first used
        # .native_scan.NativeScanner, or False where none can be had: by batch.scan_many
        self._native: Any = None

    def _term_expressions(self, rules: list[TextRule]) -> list[_Expression]:
        """One expression per distinct term pattern (``Iran`` and ``IRAN`` are one)."""
        owners: dict[str, tuple[str, list[int]]] = {}
        for index, spec in enumerate(rules):
            if isinstance(spec, TermListRule):
                for term in ordered_terms(spec.terms):
                    _first, indexes = owners.setdefault(term_pattern(term), (term, []))
                    if not indexes or indexes[-1] != index:
                        indexes.append(index)
        patterns_per_rule = Counter(i for _term, indexes in owners.values() for i in indexes)
        expressions = []
        for term, indexes in owners.values():
            # A rule whose only term cannot overlap itself (one word, or words that do not
            # repeat) keeps every match it has: no leftmost-longest pass needed.
            alone = [
                i for i in indexes if patterns_per_rule[i] == 1 and _cannot_overlap_itself(term)
            ]
            direct = tuple(self._rules[i] for i in alone)
            contested = tuple(i for i in indexes if i not in alone)
            expression, placement = _term_expression(term, direct, contested)
            self._terms.append(placement)
            expressions.append(expression)
        return expressions

    def _regex_expressions(self, rules: list[TextRule]) -> list[_Expression]:
        expressions = []
        for index, spec in enumerate(rules):
            if isinstance(spec, TermListRule):
                continue
            source = rule_regex(spec)
            latin1 = compile_rule_regex_latin1(source)
            regex = _RegexRule(
                index,
                compile_rule_regex(source)._regexp.Match,
                None if latin1 is None else latin1._regexp.Match,
                _max_width(source),
                edges=uses_text_edges(source),
                blind=latin1 is not None and treats_non_ascii_alike(source),
            )
            regex, expression = _regex_expression(regex, source)
            if expression is None:
                self._unfiltered.append(regex)
            else:
                self._regexes.append(regex)
                expressions.append(expression)
        return expressions

    # --- scanning ------------------------------------------------------------------------

    def scan(self, text: str) -> list[Hit]:
        """Every rule's matches in ``text``, sorted by (start, end, rule_id).

        The hyperscan callback runs once per report (tens of thousands per megabyte), so it
        does as little as it can: it places the usual term (one ASCII word for one rule, see
        ``_quick_length``) and reads the whole-word test off the two neighbouring bytes,
        classified once per paragraph into ``around_byte`` (a space added at each end spares
        bounds checks).  An ASCII word character next to the hit rules it out; a non-word one
        makes it a hit as it is.  Every other report (a placeholder next to the hit, another
        kind of term, a regex) is only recorded, for :meth:`_finish` after the scan.
        """
        database = self._database
        hits: list[Hit] = []
        is_ascii = text.isascii()
        if database is None:
            if self._unfiltered:
                data = text.encode("ascii") if is_ascii else None
                self._add_regex_hits(text, data, {}, hits)
                hits.sort()
            return hits
        data = text.encode("ascii") if is_ascii else encode_for_scan(text)
        around_byte = (b" " + data + b" ").translate(_NEIGHBOUR)  # see _NEIGHBOUR
        add_hit = hits.append
        pending: list[tuple[int, int]] = []  # (expression id, end) for _finish
        add_pending = pending.append
        quick_length = self._quick_length
        quick_rule = self._quick_rule

        def on_match(expr: int, _start: int, end: int, _flags: int, _context: object) -> None:
            length = quick_length[expr]  # 0 for every expression but the usual one-word terms
            if length:
                start = end - length
                around = around_byte[start] | around_byte[end + 1]
                if not around:
                    add_hit(_new_hit(Hit, (start, end) + quick_rule[expr]))
                    return
                if around & _WORD:
                    return
            add_pending((expr, end))

        try:
            scratch = self._local.scratch
        except AttributeError:
            scratch = self._scratch()
        database.scan(data, on_match, 0, None, scratch)  # positional: parsed faster
        if pending or self._unfiltered:
            self._finish(text, data, is_ascii, around_byte, pending, hits)
        hits.sort()
        return hits

    def _scratch(self) -> hyperscan.Scratch:
        try:
            return self._local.scratch
        except AttributeError:
            self._local.scratch = hyperscan.Scratch(self._database)
            return self._local.scratch

    def _finish(
        self,
        text: str,
        data: bytes,
        is_ascii: bool,
        around_byte: bytes,
        pending: list[tuple[int, int]],
        hits: list[Hit],
    ) -> None:
        """Place and confirm the term reports the callback left, then the regexes.

        Hyperscan matched the term's characters; what is left is the whole-word test (see
        :meth:`scan`): a placeholder (some non-ASCII character) next to the hit, or inside an
        ASCII multi-word one, sends the hit to the oracle's pattern for that term.  Non-ASCII
        multi-word terms are listed by Python (see :meth:`_every_occurrence`).
        """
        terms = self._terms
        n_terms = len(terms)
        add_hit = hits.append
        contested: list[tuple[int, int, int]] = []  # (start, -end, rule index)
        regex_ends: dict[int, list[int]] = {}  # by expression id
        everywhere: set[int] = set()  # terms to look for in the whole text
        for expr, end in pending:
            if expr >= n_terms:
                ends = regex_ends.get(expr)
                if ends is None:
                    regex_ends[expr] = [end]
                else:
                    ends.append(end)
                continue
            length, words, direct, others, exact, _pattern = terms[expr]
            start = end - length
            inside = False  # a placeholder inside the hit
            if words is not None:
                # Several ASCII words: walk back over the whitespace runs between them (an
                # ASCII word cannot contain whitespace or a placeholder, so this is exact).
                for word_length in words:
                    while data[start - 1] in _WHITESPACE_BYTES:
                        start -= 1
                    start -= word_length
                inside = not is_ascii and data.find(b"\x80", start, end) >= 0
            elif not length:
                everywhere.add(expr)
                continue
            around = around_byte[start] | around_byte[end + 1]
            if around & _WORD:
                continue
            if around or not exact or inside:
                match = self._confirming(expr).match(text, start)
                if match is None or match.end() != end:
                    continue
            for rule in direct:
                add_hit(_new_hit(Hit, (start, end) + rule))
            for index in others:
                contested.append((start, -end, index))
        for expr in everywhere:
            self._every_occurrence(expr, text, hits, contested)
        if contested:
            hits += _leftmost_longest(contested, self._rules)
        if regex_ends or self._unfiltered:
            self._add_regex_hits(text, data if is_ascii else None, regex_ends, hits)

    def _every_occurrence(
        self, expr: int, text: str, hits: list[Hit], contested: list[tuple[int, int, int]]
    ) -> None:
        """All matches of a non-ASCII multi-word term, found by Python in the whole text.

        Where such a match starts cannot be read off its end: the placeholder stands for the
        term's non-ASCII letters and for no-break spaces alike, so ``É É`` could start at
        either ``É`` of ``É É É``.  Hyperscan only says the term may occur (its reports), and a
        zero-width search for the oracle's pattern lists every place where it does.
        """
        term = self._terms[expr]
        pattern = re.compile(rf"(?=({self._confirming(expr).pattern}))")
        for match in pattern.finditer(text):
            start, end = match.span(1)
            for rule in term.direct:
                hits.append(_new_hit(Hit, (start, end) + rule))
            for index in term.contested:
                contested.append((start, -end, index))

    def _confirming(self, expr: int) -> re.Pattern[str]:
        """The oracle's pattern for one term, compiled the first time a hit needs it."""
        term = self._terms[expr]
        if isinstance(term.confirm, str):
            term = self._terms[expr] = term._replace(confirm=re.compile(term.confirm))
        return term.confirm

    def _add_regex_hits(
        self,
        text: str,
        ascii_data: bytes | None,
        regex_ends: dict[int, list[int]],
        hits: list[Hit],
    ) -> None:
        """RE2 finds each regex's matches (see :class:`_Subjects`)."""
        info = self._rules
        offset = len(self._terms)
        regexes = self._regexes
        add_hit = hits.append
        subjects = None if ascii_data is not None else _Subjects(text)
        for expr, ends in regex_ends.items():
            regex = regexes[expr - offset]
            rule = info[regex.rule]
            if subjects is None:  # ASCII text: its bytes, whose offsets are the characters'
                match, subject = regex.match, ascii_data
            else:
                match, subject = subjects.search_for(regex)
            if len(ends) > 1:
                ends.sort()
            if regex.lead_longest:
                spans = _lead_matches(regex, match, subject, ends, 0, len(ends), 0, len(text))
            else:
                spans = _regex_matches(regex.width, match, subject, ends, 0, len(ends), 0)
            for span in spans:
                add_hit(_new_hit(Hit, span + rule))
        for regex in self._unfiltered:
            rule = info[regex.rule]
            if subjects is None:
                match, subject = regex.match, ascii_data
            else:
                match, subject = subjects.search_for(regex)
            position = 0
            while True:
                span = match(_UNANCHORED, subject, position, len(text))[0]
                if span[0] < 0:
                    break
                add_hit(_new_hit(Hit, span + rule))
                position = span[1]  # rule regexes never match the empty string


_new_hit = tuple.__new__  # Hit._make without its length check: the tuples are built right here

# match(anchor, subject, pos, endpos) -> [(start, end)] of RE2's first match in
# text[pos:endpos], in characters; [(-1, -1)] when there is none.  As RE2's own Match when the
# subject's bytes are the text's characters (ASCII or Latin-1), see _Subjects.
_Match = Callable[[Any, Any, int, int], list[tuple[int, int]]]
_UNANCHORED = _re2.RE2.Anchor.UNANCHORED


class _Subjects:
    """RE2's search over one non-ASCII paragraph, by character offsets (see :meth:`search_for`;
    ASCII text is searched as its bytes, whose offsets are the characters').

    The RE2 objects are called directly: the ``re2`` module's ``search`` builds a match object
    and, for a ``str``, encodes the whole text again on every call.  RE2 searches
    ``[pos, endpos)`` but sees the whole text, so ``\\b`` and ``$`` at a window's edges look
    beyond it.
    """

    __slots__ = ("_latin1", "_text", "_utf8")

    def __init__(self, text: str) -> None:
        self._text = text
        self._latin1: bytes | None = None
        try:
            self._latin1 = text.encode("latin-1")
        except UnicodeEncodeError:
            pass
        self._utf8: bytes | None = None

    def search_for(self, regex: _RegexRule) -> tuple[_Match, Any]:
        """Bytes whose offsets are the characters' where possible: Latin-1 text (most cables
        with a non-ASCII character carry only ``¶`` or accents) with the rule's Latin-1
        program; other text, or a rule without a Latin-1 program, as UTF-8 with offsets
        converted each way."""
        if self._latin1 is not None and regex.latin1 is not None:
            return regex.latin1, self._latin1
        if self._utf8 is None:
            self._utf8 = self._text.encode("utf-8")
        return partial(_match_utf8, regex.match, self._text), self._utf8


def _match_utf8(
    program: _Match, text: str, anchor: Any, utf8: bytes, pos: int, endpos: int
) -> list[tuple[int, int]]:
    """RE2's Match on the UTF-8 text, by character offsets."""
    # Slicing and encoding (or decoding) is C work, and faster than re2's offset helpers.
    start_byte = len(text[:pos].encode("utf-8"))
    end_byte = start_byte + len(text[pos:endpos].encode("utf-8"))
    first, last = program(anchor, utf8, start_byte, end_byte)[0]
    if first < 0:
        return [(-1, -1)]
    start = pos + len(utf8[start_byte:first].decode("utf-8"))
    return [(start, start + len(utf8[first:last].decode("utf-8")))]


def _leftmost_longest(occurrences: list[tuple[int, int, int]], info: list[tuple]) -> list[Hit]:
    """Per rule, left to right: the longest match at the leftmost start, no overlap.

    An occurrence is (start, -end, rule index), so sorting puts, for each start, the longest
    match first.
    """
    occurrences.sort()
    taken_until: dict[int, int] = {}
    hits = []
    for start, negative_end, rule in occurrences:
        if start >= taken_until.get(rule, 0):
            taken_until[rule] = -negative_end
            hits.append(_new_hit(Hit, (start, -negative_end) + info[rule]))
    return hits


def _regex_matches(
    width: int, match: _Match, subject: Any, ends: list[int], lo: int, hi: int, floor: int
) -> list[tuple[int, int]]:
    """Exactly RE2's ``finditer`` over the text, given every offset where a match could end.

    ``ends[lo:hi]`` (sorted) are those offsets, and the text starts at ``floor`` in
    ``subject`` (0, or a paragraph's place in :mod:`.batch`'s joined buffer).  Rule regexes
    never match the empty string, so each match ends after it starts and the next search
    starts at its end.  ``ends`` holds every end offset any match could have (the prefilter
    is a superset), which gives three shortcuts:

    * a match ending at ``e`` starts at ``e - width`` or later, so no match starts before
      ``ends[k] - width`` when ``ends[k]`` is the first end after the current position;
    * when no end is left after the current position, there is no further match;
    * a search may stop at ``endpos = last end``.  RE2 searches a window but sees the text
      around it (``\\b`` and ``$`` at the window's edge look beyond it), so every match it
      finds in the window is a match in the whole text; and the whole text's leftmost-first
      match, which ends at a possible end, lies inside the window and is preferred there too.
    """
    endpos = ends[hi - 1]
    position = max(floor, ends[lo] - width)
    out = []
    while True:
        span = match(_UNANCHORED, subject, position, endpos)[0]
        if span[0] < 0:
            return out
        out.append(span)
        k = bisect.bisect_right(ends, span[1], lo, hi)
        if k == hi:
            return out
        position = max(span[1], ends[k] - width)


def _lead_matches(
    regex: _RegexRule,
    match: _Match,
    subject: Any,
    leads: list[int],
    lo: int,
    hi: int,
    floor: int,
    stop: int,
) -> list[tuple[int, int]]:
    """Exactly RE2's ``finditer`` over the text, given every end of the regex's leading part.

    ``leads[lo:hi]`` (sorted) are those ends; the text is ``subject[floor:stop]``.  A match
    starting at ``s`` begins with its leading part, which hyperscan reported ending between
    ``s + lead_shortest`` and ``s + lead_longest``.  So from the current position, the next
    match starts no earlier than ``leads[j] - lead_longest``, ``leads[j]`` being the first end
    at ``lead_shortest`` or more past the position; and there is none without such an end.
    """
    shortest, longest = regex.lead_shortest, regex.lead_longest
    position = floor
    out = []
    while True:
        j = bisect.bisect_left(leads, position + shortest, lo, hi)
        if j == hi:
            return out
        span = match(_UNANCHORED, subject, max(position, leads[j] - longest), stop)[0]
        if span[0] < 0:
            return out
        out.append(span)
        position = span[1]


# --- building expressions ----------------------------------------------------------------


def _cannot_overlap_itself(term: str) -> bool:
    """Whether two matches of a (normalised) term can never overlap, so that all are kept.

    When every character the term's words can match is a word character, a match holds word
    characters and whitespace runs only, and its one end is fixed by its start (each word has
    its length, each run is taken whole).  A second match overlapping it would have to start
    after a non-word character inside it: at the start of one of its later words, with the
    term's first words matching the same text as its last ones.  So a single word never
    overlaps itself, and ``Foreign Minister`` cannot either, but ``Abu Abu`` can.
    """
    words = term.split(" ")
    if not all(is_word_char(form) for ch in term.replace(" ", "") for form in char_variants(ch)):
        return False
    return not any(all(map(_can_meet, words[k:], words)) for k in range(1, len(words)))


def _can_meet(word: str, other: str) -> bool:
    """Whether some text matches both words (each character only its own case forms)."""
    return len(word) == len(other) and all(
        not set(char_variants(a)).isdisjoint(char_variants(b))
        for a, b in zip(word, other, strict=True)
    )


def _term_expression(
    term: str, direct: tuple[tuple, ...], contested: tuple[int, ...]
) -> tuple[_Expression, _TermExpr]:
    term = normalize_term(term)
    words = term.split(" ")
    body = _WHITESPACE_RUN.join(b"".join(_term_char(ch) for ch in word) for word in words)
    pattern = body  # no \b: it makes hyperscan compile term lists many times slower
    several, ascii_only = len(words) > 1, term.isascii()
    # Not HS_FLAG_SINGLEMATCH for a non-ASCII multi-word term, though one report per
    # paragraph is enough (Matcher._every_occurrence): scan_many scans many paragraphs at once.
    flags = hyperscan.HS_FLAG_CASELESS
    placement = _TermExpr(
        length=len(words[-1]) if several and ascii_only else 0 if several else len(term),
        words=tuple(len(w) for w in reversed(words[:-1])) if several and ascii_only else None,
        direct=direct,
        contested=contested,
        exact=ascii_only,
        confirm=rf"(?<!\w){term_pattern(term)}(?!\w)",
    )
    return _Expression(pattern, flags), placement


def _term_char(ch: str) -> bytes:
    """ASCII as itself (caseless); a non-ASCII character as 0x80 or its ASCII case forms."""
    if ch.isascii():
        return b"\\x%02x" % ord(ch)
    options = {PLACEHOLDER} | {ord(v) for v in char_variants(ch) if v.isascii()}
    if len(options) == 1:
        return b"\\x80"
    return b"[" + b"".join(b"\\x%02x" % o for o in sorted(options)) + b"]"


def _regex_expression(regex: _RegexRule, source: str) -> tuple[_RegexRule, _Expression | None]:
    """What hyperscan looks for on behalf of a rule regex (None: it cannot help).

    Usually the regex's prefilter, which reports every offset where a match could end.  But
    a regex of unbounded width (``[a-z]+``...) gets no lower bound on where its matches start
    from their ends, and its prefilter reports at every letter of a long match.  When such a
    regex begins with a part of bounded width at least ``_LEAD_SHORTEST`` characters long
    (``\\bAmbassador [A-Z]``), hyperscan looks for that part instead: where it ends bounds
    where matches start (see :func:`_lead_matches`).  Shorter parts (``\\d``) would be
    reported too often to pay for their callbacks.
    """
    if regex.width >= _UNBOUNDED_WIDTH:
        try:
            lead = leading_prefilter(source, RULE_REGEX_FLAGS)
        except Untranslatable:
            lead = None
        if lead is not None and lead[1] >= _LEAD_SHORTEST:
            expression = _compilable(lead[0])
            if expression is not None:
                return regex._replace(lead_shortest=lead[1], lead_longest=lead[2]), expression
    return regex, _checked_prefilter(source)


def _checked_prefilter(source: str) -> _Expression | None:
    """The regex's hyperscan expression, or None when hyperscan cannot take it."""
    try:
        pattern = regex_prefilter(source, RULE_REGEX_FLAGS)
    except Untranslatable:
        return None
    return _compilable(pattern)


def _compilable(pattern: bytes) -> _Expression | None:
    """A prefilter pattern as hyperscan takes it (approximated if need be), or None."""
    for flags in (0, hyperscan.HS_FLAG_PREFILTER):
        try:
            _compile_database([(0, _Expression(pattern, flags))])
        except hyperscan.error:
            continue
        return _Expression(pattern, flags)
    return None


def _max_width(source: str) -> int:
    """The longest match a rule regex can produce, in characters (or a huge number)."""
    high = parse_rule_regex(source).getwidth()[1]
    return min(high, _UNBOUNDED_WIDTH)


def _compile_database(expressions: list[tuple[int, _Expression]]) -> hyperscan.Database:
    database = hyperscan.Database()
    database.compile(
        expressions=[e.pattern for _, e in expressions],
        ids=[i for i, _ in expressions],
        elements=len(expressions),
        flags=[e.flags for _, e in expressions],
    )
    return database
