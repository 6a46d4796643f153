"""The byte view hyperscan scans, and rule regexes rewritten for it.

**One byte per character.**  Hyperscan matches bytes; the engine must report character
offsets.  Rather than scanning UTF-8 and mapping offsets back, the engine scans a byte string
with exactly one byte per character: ASCII characters as themselves and every other character
as the placeholder byte ``0x80``.  Offsets then need no conversion at all, and encoding is
C-level work (an error handler runs only for runs of characters beyond Latin-1).

The price is that ``0x80`` stands for *any* non-ASCII character, so whatever hyperscan reports
next to or over a placeholder is only a candidate: the engine confirms it on the real text.

**Rule regexes as prefilters.**  A rule regex is rewritten from Python's parse tree of it
(read with ``re.ASCII``, never compiled: :func:`parse_rule_regex`) into a hyperscan pattern
over this alphabet that matches *at least* wherever the rule (as RE2 runs it) can match,
ending at the same offsets:

* each character, class, ``.`` or category becomes an explicit byte class; a class that can
  take some non-ASCII character also takes ``0x80``; ``(?i)`` adds the other ASCII case;
* repeats, groups and alternatives keep their shape (lazy, possessive and atomic forms become
  plain repeats and groups, which only allow more);
* ``\\b`` is kept: for RE2 a non-ASCII character is a non-word character, and so is
  ``0x80`` for hyperscan; other anchors and lookarounds are dropped (dropping a condition only
  allows more).

The rewrite follows what **RE2** matches (RE2 defines rule regexes, see :mod:`.rule_regex`),
read from Python's parse tree of the same pattern (the two read every form that validation
lets through alike): RE2's ``\\s`` is ``[\\t\\n\\f\\r ]``, and under ``(?i)`` RE2 folds
case as Unicode does, so ``k``/``K`` also match the Kelvin sign and ``s``/``S`` the long s
(placeholders here), and those two characters in a pattern also match the ASCII letters.

Patterns this cannot rewrite raise :class:`Untranslatable`; validation refuses them, and an
engine given one anyway runs that rule's RE2 pattern over every paragraph (slower, still exact).
"""

from __future__ import annotations

import codecs
import re
from re import _constants as C
from re import _parser
from typing import Any

from .terms import is_word_char

__all__ = [
    "PLACEHOLDER",
    "RULE_REGEX_FLAGS",
    "Untranslatable",
    "encode_for_scan",
    "leading_prefilter",
    "parse_rule_regex",
    "word_marked_latin1",
    "regex_prefilter",
    "treats_non_ascii_alike",
    "uses_text_edges",
]

PLACEHOLDER = 0x80
# The flags Python's parser reads a rule regex with (for prefilters and widths): \w \d \s \b
# ASCII, as in RE2.
RULE_REGEX_FLAGS = re.ASCII
_ERRORS = "declass-redaction-placeholder"
_ALPHABET = frozenset(range(128)) | {PLACEHOLDER}
_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
_DIGITS = frozenset(range(48, 58))
_SPACES = frozenset(b" \t\n\r\f")  # RE2's \s (Python's ASCII \s also has \v)
# Under (?i), RE2 folds these ASCII letters with a non-ASCII character (Kelvin sign, long s),
# and those characters with the letters.
_FOLDS_OUT = frozenset(b"kKsS")
_FOLDS_IN = {0x212A: frozenset(b"kK"), 0x17F: frozenset(b"sS")}
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_CATEGORIES = {
    C.CATEGORY_DIGIT: _DIGITS,
    C.CATEGORY_NOT_DIGIT: _ALPHABET - _DIGITS,
    C.CATEGORY_SPACE: _SPACES,
    C.CATEGORY_NOT_SPACE: _ALPHABET - _SPACES,
    C.CATEGORY_WORD: _WORD,
    C.CATEGORY_NOT_WORD: _ALPHABET - _WORD,
}


def _placeholders(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return b"\x80" * (error.end - error.start), error.end


codecs.register_error(_ERRORS, _placeholders)

# Beyond Latin-1, a word character (``ª``, itself one) or not (U+0080): see word_marked_latin1.
WORD_MARK, NON_WORD_MARK = 0xAA, 0x80
_WORD_MARKS = "declass-redaction-word-marks"


def _word_marks(error: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    run = error.object[error.start : error.end]
    return bytes(WORD_MARK if is_word_char(c) else NON_WORD_MARK for c in run), error.end


codecs.register_error(_WORD_MARKS, _word_marks)


_LATIN1_TO_PLACEHOLDER = bytes(range(128)) + b"\x80" * 128


def encode_for_scan(text: str) -> bytes:
    """``text`` with every non-ASCII character replaced by ``0x80``: one byte per character.

    Latin-1 first, so that the usual non-ASCII characters of cables (``¶``, accented letters)
    cost no error-handler call, then one C-level ``translate`` folds bytes 0x80-0xFF.
    """
    if text.isascii():
        return text.encode("ascii")
    return text.encode("latin-1", _ERRORS).translate(_LATIN1_TO_PLACEHOLDER)


def word_marked_latin1(text: str) -> bytes:
    """``text`` as Latin-1, each character beyond it as ``WORD_MARK`` where it is a word
    character (:func:`.terms.is_word_char`) and ``NON_WORD_MARK`` where it is not.

    One byte a character, so offsets stay the characters'; both marks are placeholders once
    folded for the scan (every byte from 0x80 up is), and a Latin-1 byte read off this says
    exactly what the whole-word test needs of the character it stands for.
    """
    return text.encode("latin-1", _WORD_MARKS)


def parse_rule_regex(pattern: str) -> _parser.SubPattern:
    """Python's parse tree of a rule regex: read, never compiled or run (see the docstring).

    RE2 writes the end of the text ``\\z``, Python (before 3.14) ``\\Z``: the one spelling
    that differs, so it is swapped before Python reads the pattern.
    """
    return _parser.parse(_python_spelling(pattern), RULE_REGEX_FLAGS)


def _python_spelling(pattern: str) -> str:
    if "\\z" not in pattern:
        return pattern
    out, i, n, in_class = [], 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            pair = pattern[i : i + 2]
            out.append("\\Z" if pair == "\\z" and not in_class else pair)
            i += 2
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        out.append(ch)
        i += 1
    return "".join(out)


class Untranslatable(ValueError):
    """A regex the prefilter cannot express; the engine falls back to plain ``re`` for it."""


def regex_prefilter(pattern: str, flags: int = RULE_REGEX_FLAGS) -> bytes:
    """A hyperscan pattern matching at least where ``pattern`` does, at the same end offsets."""
    tree = _parse(pattern, flags)
    if not tree.state.flags & re.ASCII:
        raise Untranslatable("only re.ASCII patterns are translated")
    return _Translator().sequence(list(tree), tree.state.flags).encode("ascii")


def leading_prefilter(pattern: str, flags: int = RULE_REGEX_FLAGS) -> tuple[bytes, int, int] | None:
    """A hyperscan pattern for the longest leading part of ``pattern`` of bounded width.

    Returns (hyperscan pattern, shortest, longest match of that part in characters), or None
    when the pattern does not begin with a part of bounded, non-zero width.  Every match of
    ``pattern`` begins with a match of this part, which the hyperscan pattern matches too
    (see :func:`regex_prefilter`): so a match of ``pattern`` starting at ``s`` makes hyperscan
    report an end between ``s + shortest`` and ``s + longest``.  That bounds where matches
    start, which the rule's own end offsets cannot do when its width is unbounded.
    """
    tree = _parse(pattern, flags)
    if not tree.state.flags & re.ASCII:
        raise Untranslatable("only re.ASCII patterns are translated")
    items = list(tree)
    count, shortest, longest = 0, 0, 0
    for k in range(1, len(items) + 1):
        low, high = _parser.SubPattern(tree.state, items[:k]).getwidth()
        if high >= _parser.MAXREPEAT:
            break
        count, shortest, longest = k, low, high
    if not shortest:
        return None
    translated = _Translator().sequence(items[:count], tree.state.flags)
    return translated.encode("ascii"), shortest, longest


def uses_text_edges(pattern: str) -> bool:
    """Whether the rule regex has an anchor other than ``\\b``/``\\B`` (``^``, ``$``, ``\\A``,
    ``\\z``): what it matches at a paragraph's edge then depends on the text ending there, not
    only on the character beyond it being a non-word one (see :mod:`.batch`)."""
    return _has_edge_anchor(parse_rule_regex(pattern))


def _has_edge_anchor(node: Any) -> bool:
    if isinstance(node, _parser.SubPattern):
        node = node.data
    if isinstance(node, (list, tuple)):
        if len(node) == 2 and node[0] is C.AT:
            return node[1] not in (C.AT_BOUNDARY, C.AT_NON_BOUNDARY)
        return any(_has_edge_anchor(item) for item in node)
    return False


def treats_non_ascii_alike(pattern: str) -> bool:
    """Whether the rule regex cannot tell one character beyond ASCII from another.

    So it is when no literal, range or case fold of it reaches beyond ASCII (``.``, ``\\W``
    and ``[^a-z]`` take every such character alike).  RE2 then finds the same matches, at the
    same character offsets, in the text with each of those characters replaced by one byte
    beyond ASCII, searched as Latin-1: how :mod:`.batch` searches paragraphs of any script
    in its joined buffer.  Whatever the walk does not know makes the answer no.
    """
    tree = parse_rule_regex(pattern)
    return not _tells_non_ascii(tree.data, tree.state.flags)


def _tells_non_ascii(sequence: Any, flags: int) -> bool:
    for op, av in sequence:
        if op in (C.LITERAL, C.NOT_LITERAL):
            if _reaches_beyond_ascii(av, av, flags):
                return True
        elif op is C.IN:
            for item_op, item in av:
                if item_op is C.LITERAL:
                    if _reaches_beyond_ascii(item, item, flags):
                        return True
                elif item_op is C.RANGE:
                    if _reaches_beyond_ascii(item[0], item[1], flags):
                        return True
                elif item_op not in (C.NEGATE, C.CATEGORY):
                    return True
        elif op in _REPEATS:
            if _tells_non_ascii(av[2], flags):
                return True
        elif op is C.SUBPATTERN:
            _group, add, remove, body = av
            if _tells_non_ascii(body, (flags | add) & ~remove):
                return True
        elif op is C.BRANCH:
            if any(_tells_non_ascii(branch, flags) for branch in av[1]):
                return True
        elif op not in (C.ANY, C.AT):
            return True
    return False


def _reaches_beyond_ascii(low: int, high: int, flags: int) -> bool:
    """A character range beyond ASCII, or one RE2 folds onto a character beyond it."""
    if high >= 0x80:
        return True
    return bool(flags & re.IGNORECASE) and any(low <= c <= high for c in _FOLDS_OUT)


def _parse(pattern: str, flags: int) -> _parser.SubPattern:
    if flags == RULE_REGEX_FLAGS:
        return parse_rule_regex(pattern)
    return _parser.parse(pattern, flags)


class _Translator:
    def sequence(self, seq: list, flags: int) -> str:
        return "".join(self.item(op, av, flags) for op, av in seq)

    def item(self, op: Any, av: Any, flags: int) -> str:
        if op in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN):
            return _byte_class(_item_bytes(op, av, flags))
        if op in _REPEATS:
            return self._repeat(av, flags)
        if op is C.SUBPATTERN:
            _group, add, remove, body = av
            return "(?:" + self.sequence(body, (flags | add) & ~remove) + ")"
        if op is C.ATOMIC_GROUP:
            return "(?:" + self.sequence(av, flags) + ")"
        if op is C.BRANCH:
            return self._branch(av[1], flags)
        if op is C.AT:
            return r"\b" if av is C.AT_BOUNDARY else ""
        if op in (C.ASSERT, C.ASSERT_NOT):
            return ""
        raise Untranslatable(f"cannot prefilter {op}")

    def _repeat(self, av: Any, flags: int) -> str:
        low, high, body = av
        inner = self.sequence(body, flags)
        if not inner:
            return ""
        upper = "" if high == C.MAXREPEAT else str(high)
        return f"(?:{inner}){{{low},{upper}}}"

    def _branch(self, alternatives: list, flags: int) -> str:
        parts = [self.sequence(alt, flags) for alt in alternatives]
        optional = "" in parts
        parts = list(dict.fromkeys(p for p in parts if p))
        if not parts:
            return ""
        return "(?:" + "|".join(parts) + ")" + ("?" if optional else "")


def _item_bytes(op: Any, av: Any, flags: int) -> frozenset[int]:
    if op is C.LITERAL:
        return _literal_bytes(av, flags)
    if op is C.NOT_LITERAL:
        # Any other character: a different non-ASCII character is also a placeholder.  The
        # complement is of the character itself, not of its case forms: a superset either way.
        return _ALPHABET if av >= 128 else _ALPHABET - {av}
    if op is C.ANY:
        return _ALPHABET if flags & re.DOTALL else _ALPHABET - {10}
    return _class_bytes(av, flags)


def _literal_bytes(code: int, flags: int) -> frozenset[int]:
    caseless = flags & re.IGNORECASE
    if code >= 128:
        return frozenset({PLACEHOLDER}) | (_FOLDS_IN.get(code, frozenset()) if caseless else set())
    ch = chr(code)
    if caseless and ch.isalpha():
        both = frozenset({ord(ch.lower()), ord(ch.upper())})
        return both | {PLACEHOLDER} if code in _FOLDS_OUT else both
    return frozenset({code})


def _class_bytes(items: list, flags: int) -> frozenset[int]:
    chosen = _class_bytes_as_listed(items, flags)
    if flags & re.IGNORECASE and chosen & _FOLDS_OUT:
        # RE2 closes a class under case folding, so \\w and [^\\W] also take the Kelvin
        # sign and the long s.
        return chosen | {PLACEHOLDER}
    return chosen


def _class_bytes_as_listed(items: list, flags: int) -> frozenset[int]:
    negate = bool(items) and items[0][0] is C.NEGATE
    if negate:
        flags &= ~re.IGNORECASE  # see below
    chosen: set[int] = set()
    for op, av in items[1:] if negate else items:
        if op is C.LITERAL:
            chosen |= _literal_bytes(av, flags)
        elif op is C.RANGE:
            chosen |= _range_bytes(*av, flags)
        elif op is C.CATEGORY and av in _CATEGORIES:
            chosen |= _CATEGORIES[av]
        else:
            raise Untranslatable(f"cannot prefilter class item {op} {av}")
    if negate:
        # Complement of the listed characters only, not of their other case forms: whatever
        # Python's exact rule for negated classes under (?i), this is a superset of it.
        # The placeholder stays unless the class listed every non-ASCII character.
        return (_ALPHABET - chosen) | ({PLACEHOLDER} - _all_non_ascii(items[1:]))
    return frozenset(chosen)


def _range_bytes(low: int, high: int, flags: int) -> set[int]:
    out: set[int] = set()
    for code in range(low, min(high, 127) + 1):
        out |= _literal_bytes(code, flags)
    if high >= 128:
        out.add(PLACEHOLDER)
        if flags & re.IGNORECASE:
            for code, letters in _FOLDS_IN.items():
                if low <= code <= high:
                    out |= letters
    return out


def _all_non_ascii(items: list) -> set[int]:
    """``{PLACEHOLDER}`` when the items cover every non-ASCII character (``\\W``, ``\\D``...)."""
    for op, av in items:
        if op is C.CATEGORY and av in (
            C.CATEGORY_NOT_DIGIT,
            C.CATEGORY_NOT_SPACE,
            C.CATEGORY_NOT_WORD,
        ):
            return {PLACEHOLDER}
        if op is C.RANGE and av[0] <= 128 and av[1] >= 0x10FFFF:
            return {PLACEHOLDER}
    return set()


def _byte_class(values: frozenset[int]) -> str:
    if not values:
        raise Untranslatable("a character class that matches nothing")
    ordered = sorted(values)
    runs: list[tuple[int, int]] = []
    for value in ordered:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    if len(runs) == 1 and runs[0][0] == runs[0][1]:
        return f"\\x{ordered[0]:02x}"
    body = "".join(f"\\x{a:02x}" if a == b else f"\\x{a:02x}-\\x{b:02x}" for a, b in runs)
    return f"[{body}]"
