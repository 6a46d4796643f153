"""Refuse, at save time, rule regexes that could hang a worker or that RE2 cannot run.

Rule regexes run on Python's backtracking ``re`` (it is the correctness reference, and the
engine confirms every candidate with it), so a pattern such as ``(a+)+`` can take exponential
time on a paragraph that almost matches.  Two independent gates:

1. **Static analysis of Python's own parse tree** (what will actually run), refusing
   backreferences, conditionals, lookarounds, atomic groups and possessive repeats, and three
   catastrophic shapes:

   * a variable repeat inside a repeated group (``(a+)+``, ``(.*)*``, ``(\\w+\\s?)*``,
     ``(?:\\d\\d?)+``), unless every
     iteration is forced to begin (or end) with a character the rest of the group cannot match,
     as in ``(?:\\.[a-z]+)*`` or ``(?:\\d{1,3}\\.){3}``: then the text splits into iterations in
     only one way;
   * alternatives that can start the same way inside a repeat (``(a|a)*``, ``(\\d|\\d\\d)+``,
     ``(ab|a\\w)*``), counting what follows an alternative that can be empty;
   * two unbounded repeats that can hand characters to each other (``\\d+\\d+``, ``.*.*``,
     ``\\w+\\s*\\w+``), which is polynomial per start position.

   These are conservative heuristics: a refused pattern can usually be rewritten so that each
   character has one way to be matched.
2. **RE2 compatibility**: the pattern must compile with google-re2, which has no backtracking
   constructs at all.  This keeps stored rules portable to a linear-time engine.

A pattern that can match the empty string is refused too: it would propose empty redactions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _constants as C
from re import _parser
from typing import Any

__all__ = ["regex_problems", "RULE_REGEX_FLAGS"]

# Rule regexes use ASCII semantics for \w \d \s \b and (?i); see rules.RegexRule.
RULE_REGEX_FLAGS = re.ASCII

_REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
_UNBOUNDED = C.MAXREPEAT
_ALL_ASCII = frozenset(range(128))


def regex_problems(pattern: str, *, flags: int = RULE_REGEX_FLAGS) -> list[str]:
    """Every reason to refuse ``pattern`` (empty when it is acceptable)."""
    try:
        re.compile(pattern, flags)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        return [f"does not compile as a Python regex: {exc.msg}{where}"]
    except (TypeError, ValueError, OverflowError) as exc:
        return [f"does not compile as a Python regex: {exc}"]
    except RecursionError:
        return ["does not compile as a Python regex: nested too deeply"]
    tree = _parser.parse(pattern, flags)
    problems = _Analyzer(bool(tree.state.flags & re.IGNORECASE)).analyze(list(tree))
    if tree.getwidth()[0] == 0:
        problems.append(
            "can match the empty string, which would propose empty redactions; "
            "make at least one character mandatory"
        )
    if not problems:
        problems.extend(_re2_problems(pattern))
    return problems


def _re2_problems(pattern: str) -> list[str]:
    import re2  # google-re2: imported lazily so label parsing works without it

    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        message = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        return [f"is not RE2-compatible ({message}), so it could need backtracking"]
    return []


@dataclass(frozen=True)
class _Chars:
    """A set of characters, exact for ASCII, approximate ('some non-ASCII') beyond."""

    ascii: frozenset[int] = frozenset()
    other: frozenset[int] = frozenset()
    any_other: bool = False

    def __or__(self, o: _Chars) -> _Chars:
        return _Chars(self.ascii | o.ascii, self.other | o.other, self.any_other or o.any_other)

    def overlaps(self, o: _Chars) -> bool:
        return bool(
            self.ascii & o.ascii
            or self.other & o.other
            or (self.any_other and (o.other or o.any_other))
            or (o.any_other and self.other)
        )


_NOTHING = _Chars()
_EVERYTHING = _Chars(_ALL_ASCII, frozenset(), True)
_ASCII_CATEGORY = {
    C.CATEGORY_DIGIT: frozenset(range(48, 58)),
    C.CATEGORY_SPACE: frozenset(b" \t\n\r\f\v"),
    C.CATEGORY_WORD: frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"),
}
_NEGATED_CATEGORY = {
    C.CATEGORY_NOT_DIGIT: C.CATEGORY_DIGIT,
    C.CATEGORY_NOT_SPACE: C.CATEGORY_SPACE,
    C.CATEGORY_NOT_WORD: C.CATEGORY_WORD,
}


class _Analyzer:
    """Walks the sre parse tree once, collecting human-readable problems."""

    def __init__(self, ignorecase: bool) -> None:
        self.ignorecase = ignorecase
        self.problems: list[str] = []

    def analyze(self, seq: list) -> list[str]:
        self._walk(seq)
        return list(dict.fromkeys(self.problems))  # de-duplicated, in order

    def _walk(self, seq: list) -> None:
        self._check_adjacent_repeats(seq)
        for op, av in seq:
            self._visit(op, av)

    def _visit(self, op: Any, av: Any) -> None:
        if op is C.GROUPREF:
            self.problems.append(
                f"backreference \\{av} can take exponential time and is not RE2-compatible"
            )
        elif op is C.GROUPREF_EXISTS:
            self.problems.append("conditional group (?(...)...) is not RE2-compatible")
            self._walk(av[1])
            if av[2]:
                self._walk(av[2])
        elif op in (C.ASSERT, C.ASSERT_NOT):
            kind = "lookbehind" if av[0] < 0 else "lookahead"
            self.problems.append(
                f"{kind} {render([(op, av)])} is not RE2-compatible; match the "
                f"context as part of the pattern instead"
            )
            self._walk(av[1])
        elif op is C.ATOMIC_GROUP:
            self.problems.append(f"atomic group {render([(op, av)])} is not RE2-compatible")
            self._walk(av)
        elif op in _REPEATS:
            self._visit_repeat(op, av)
        elif op is C.SUBPATTERN:
            self._walk(av[3])
        elif op is C.BRANCH:
            for alternative in av[1]:
                self._walk(alternative)

    def _visit_repeat(self, op: Any, av: Any) -> None:
        low, high, body = av
        if op is C.POSSESSIVE_REPEAT:
            self.problems.append(f"possessive repeat {render([(op, av)])} is not RE2-compatible")
        if high > 1:
            self._check_nested(op, av)
            self._check_ambiguous_alternatives(op, av)
        self._walk(body)

    def _check_nested(self, op: Any, av: Any) -> None:
        body = _unwrap(av[2])
        if _contains_variable_repeat(body) and not self._iterations_delimited(body):
            self.problems.append(
                f"nested quantifier {render([(op, av)])}: a repeated group containing a repeat "
                f"can backtrack exponentially (catastrophic backtracking); start or end each "
                f"iteration with a character the rest of the group cannot match, or drop the "
                f"inner repeat"
            )

    def _iterations_delimited(self, body: list) -> bool:
        """True when each iteration must start (or end) with a character nothing else takes."""
        for edge, rest in ((body[:1], body[1:]), (body[-1:], body[:-1])):
            if edge and _is_single_char(edge[0]):
                if not self._chars_of_item(edge[0]).overlaps(self._chars(rest)):
                    return True
        return False

    def _check_ambiguous_alternatives(self, op: Any, av: Any) -> None:
        body = _flatten(_unwrap(av[2]))
        body_first = self._first(body)
        for index, (item_op, item_av) in enumerate(body):
            if item_op is C.BRANCH:
                rest = body[index + 1 :]
                follow = self._first(rest) | (body_first if self._nullable(rest) else _NOTHING)
                self._check_branch(item_av[1], follow, op, av)
            elif item_op not in _REPEATS:  # a nested repeat is checked on its own visit
                for child in _children(item_op, item_av):
                    for branch in _branches(child):
                        self._check_branch(branch[1], _EVERYTHING, op, av)

    def _check_branch(self, alternatives: list, follow: _Chars, op: Any, av: Any) -> None:
        """Two alternatives are ambiguous when they can begin with the same character.

        An alternative that can match nothing begins with whatever follows the group, which
        is how ``(\\d|\\d\\d)+`` (parsed as ``\\d(?:|\\d)``) is caught.
        """
        for i, left in enumerate(alternatives):
            for right in alternatives[i + 1 :]:
                both_empty = self._nullable(left) and self._nullable(right)
                if both_empty or self._starts(left, follow).overlaps(self._starts(right, follow)):
                    self.problems.append(
                        f"alternatives {render(left) or '(empty)'} and "
                        f"{render(right) or '(empty)'} of a repeated group (Python reads it as "
                        f"{render([(op, av)])}) can match the same text: exponential "
                        f"backtracking; make the alternatives start differently"
                    )
                    return

    def _starts(self, alternative: list, follow: _Chars) -> _Chars:
        first = self._first(alternative)
        return first | follow if self._nullable(alternative) else first

    def _check_adjacent_repeats(self, seq: list) -> None:
        flat = _flatten(seq)
        for i, item in enumerate(flat):
            if not _is_unbounded_repeat(item):
                continue
            ends = self._last(item[1][2])
            for later in flat[i + 1 :]:
                if _is_unbounded_repeat(later) and ends.overlaps(self._first(later[1][2])):
                    self.problems.append(
                        f"adjacent quantifiers {render([item])} and {render([later])} can match "
                        f"the same characters, so the text can be split between them in many "
                        f"ways (polynomial backtracking); make them match different characters"
                    )
                    return
                if not self._nullable([later]):
                    break

    # --- character sets and nullability -------------------------------------------------

    def _chars(self, seq: list) -> _Chars:
        """Every character any part of ``seq`` can consume."""
        out = _NOTHING
        for op, av in seq:
            if op in _REPEATS:
                out |= self._chars(av[2])
            elif op is C.SUBPATTERN:
                out |= self._chars(av[3])
            elif op is C.ATOMIC_GROUP:
                out |= self._chars(av)
            elif op is C.BRANCH:
                for alternative in av[1]:
                    out |= self._chars(alternative)
            elif op is C.GROUPREF_EXISTS:
                out |= self._chars(av[1]) | (self._chars(av[2]) if av[2] else _NOTHING)
            elif op is C.GROUPREF:
                out |= _EVERYTHING
            elif op not in (C.AT, C.ASSERT, C.ASSERT_NOT):
                out |= self._chars_of_item((op, av))
        return out

    def _first(self, seq: list) -> _Chars:
        """Characters that can start a match of ``seq``."""
        out = _NOTHING
        for op, av in seq:
            if op in _REPEATS:
                out |= self._first(av[2])
            elif op is C.SUBPATTERN:
                out |= self._first(av[3])
            elif op is C.ATOMIC_GROUP:
                out |= self._first(av)
            elif op is C.BRANCH:
                for alternative in av[1]:
                    out |= self._first(alternative)
            elif op in (C.GROUPREF, C.GROUPREF_EXISTS):
                return out | _EVERYTHING
            elif op not in (C.AT, C.ASSERT, C.ASSERT_NOT):
                out |= self._chars_of_item((op, av))
            if not self._nullable([(op, av)]):
                break
        return out

    def _last(self, seq: list) -> _Chars:
        """Characters that can end a match of ``seq``."""
        return self._first(_reversed(seq))

    def _nullable(self, seq: list) -> bool:
        for op, av in seq:
            if op in _REPEATS:
                if av[0] > 0 and not self._nullable(av[2]):
                    return False
            elif op is C.SUBPATTERN:
                if not self._nullable(av[3]):
                    return False
            elif op is C.ATOMIC_GROUP:
                if not self._nullable(av):
                    return False
            elif op is C.BRANCH:
                if not any(self._nullable(alt) for alt in av[1]):
                    return False
            elif op not in (C.AT, C.ASSERT, C.ASSERT_NOT, C.GROUPREF, C.GROUPREF_EXISTS):
                return False
        return True

    def _chars_of_item(self, item: Any) -> _Chars:
        op, av = item
        if op is C.LITERAL:
            return self._literal(av)
        if op is C.NOT_LITERAL:
            return _Chars(_ALL_ASCII - self._literal(av).ascii, frozenset(), True)
        if op is C.ANY:
            return _EVERYTHING
        if op is C.IN:
            return self._in(av)
        return _NOTHING

    def _literal(self, code: int) -> _Chars:
        if code >= 128:
            return _Chars(other=frozenset({code}))
        codes = {code}
        if self.ignorecase and chr(code).isalpha():
            codes |= {ord(chr(code).lower()), ord(chr(code).upper())}
        return _Chars(frozenset(codes))

    def _in(self, items: list) -> _Chars:
        negate = bool(items) and items[0][0] is C.NEGATE
        out = _NOTHING
        for op, av in items[1:] if negate else items:
            if op is C.LITERAL:
                out |= self._literal(av)
            elif op is C.RANGE:
                out |= self._range(*av)
            elif op is C.CATEGORY:
                out |= _category(av)
        if negate:
            return _Chars(_ALL_ASCII - out.ascii, frozenset(), True)
        return out

    def _range(self, low: int, high: int) -> _Chars:
        codes: set[int] = set()
        for code in range(low, min(high, 127) + 1):
            codes |= self._literal(code).ascii
        return _Chars(frozenset(codes), frozenset(), high >= 128)


def _category(code: Any) -> _Chars:
    if code in _ASCII_CATEGORY:
        return _Chars(_ASCII_CATEGORY[code])
    if code in _NEGATED_CATEGORY:
        return _Chars(_ALL_ASCII - _ASCII_CATEGORY[_NEGATED_CATEGORY[code]], frozenset(), True)
    return _EVERYTHING  # Unicode categories: assume anything


def _reversed(seq: list) -> list:
    """The sequence read backwards, groups included: ``_first`` of it is the last characters."""
    out = []
    for op, av in reversed(seq):
        if op in _REPEATS:
            out.append((op, (av[0], av[1], _reversed(av[2]))))
        elif op is C.SUBPATTERN:
            out.append((op, (av[0], av[1], av[2], _reversed(av[3]))))
        elif op is C.ATOMIC_GROUP:
            out.append((op, _reversed(av)))
        elif op is C.BRANCH:
            out.append((op, (av[0], [_reversed(alt) for alt in av[1]])))
        else:
            out.append((op, av))
    return out


def _unwrap(seq: list) -> list:
    """The body of a group that is the whole repeated item: ``((a+)b)*`` is about ``(a+)b``."""
    while len(seq) == 1 and seq[0][0] in (C.SUBPATTERN, C.ATOMIC_GROUP):
        op, av = seq[0]
        seq = list(av[3] if op is C.SUBPATTERN else av)
    return list(seq)


def _flatten(seq: list) -> list:
    """Inline groups so that ``(\\d+)\\d+`` shows its two repeats side by side."""
    out = []
    for op, av in seq:
        if op is C.SUBPATTERN:
            out.extend(_flatten(av[3]))
        else:
            out.append((op, av))
    return out


def _is_single_char(item: Any) -> bool:
    return item[0] in (C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN)


def _is_unbounded_repeat(item: Any) -> bool:
    return item[0] in _REPEATS and item[1][1] == _UNBOUNDED


def _contains_variable_repeat(seq: list) -> bool:
    for op, av in seq:
        if op in _REPEATS and av[0] != av[1]:
            return True
        children = _children(op, av)
        if any(_contains_variable_repeat(child) for child in children):
            return True
    return False


def _branches(seq: list) -> list:
    found = []
    for op, av in seq:
        if op is C.BRANCH:
            found.append(av)
        if op not in _REPEATS:  # a nested repeat is checked on its own visit
            for child in _children(op, av):
                found.extend(_branches(child))
    return found


def _children(op: Any, av: Any) -> list:
    if op in _REPEATS:
        return [av[2]]
    if op is C.SUBPATTERN:
        return [av[3]]
    if op is C.ATOMIC_GROUP:
        return [av]
    if op is C.BRANCH:
        return list(av[1])
    if op in (C.ASSERT, C.ASSERT_NOT):
        return [av[1]]
    if op is C.GROUPREF_EXISTS:
        return [av[1]] + ([av[2]] if av[2] else [])
    return []


# --- rendering parse trees back to regex text, for messages -------------------------------

_CATEGORY_TEXT = {
    C.CATEGORY_DIGIT: r"\d",
    C.CATEGORY_NOT_DIGIT: r"\D",
    C.CATEGORY_SPACE: r"\s",
    C.CATEGORY_NOT_SPACE: r"\S",
    C.CATEGORY_WORD: r"\w",
    C.CATEGORY_NOT_WORD: r"\W",
}
_AT_TEXT = {
    C.AT_BEGINNING: "^",
    C.AT_BEGINNING_STRING: r"\A",
    C.AT_END: "$",
    C.AT_END_STRING: r"\Z",
    C.AT_BOUNDARY: r"\b",
    C.AT_NON_BOUNDARY: r"\B",
}


def render(seq: Any) -> str:
    """Regex text for a parse-tree fragment, close enough to what the admin typed."""
    return "".join(_render_item(op, av) for op, av in seq)


def _render_item(op: Any, av: Any) -> str:
    if op is C.LITERAL:
        return re.escape(chr(av))
    if op is C.NOT_LITERAL:
        return f"[^{_class_char(av)}]"
    if op is C.ANY:
        return "."
    if op is C.IN:
        if len(av) == 1 and av[0][0] is C.CATEGORY:
            return _CATEGORY_TEXT.get(av[0][1], "?")
        return "[" + "".join(_render_class_item(o, a) for o, a in av) + "]"
    if op in _REPEATS:
        return _render_repeat(op, av)
    if op is C.SUBPATTERN:
        return ("(" if av[0] is not None else "(?:") + render(av[3]) + ")"
    if op is C.BRANCH:
        return "(?:" + "|".join(render(alt) for alt in av[1]) + ")"
    if op is C.AT:
        return _AT_TEXT.get(av, "")
    if op in (C.ASSERT, C.ASSERT_NOT):
        mark = "=" if op is C.ASSERT else "!"
        return "(?" + ("<" if av[0] < 0 else "") + mark + render(av[1]) + ")"
    if op is C.GROUPREF:
        return f"\\{av}"
    if op is C.ATOMIC_GROUP:
        return "(?>" + render(av) + ")"
    if op is C.GROUPREF_EXISTS:
        return f"(?({av[0]})" + render(av[1]) + ("|" + render(av[2]) if av[2] else "") + ")"
    return "?"


def _render_repeat(op: Any, av: Any) -> str:
    low, high, body = av
    inner = render(body)
    if not (len(body) == 1 and body[0][0] in (C.LITERAL, C.IN, C.ANY, C.NOT_LITERAL, C.SUBPATTERN)):
        inner = f"(?:{inner})"
    if (low, high) == (0, _UNBOUNDED):
        quantifier = "*"
    elif (low, high) == (1, _UNBOUNDED):
        quantifier = "+"
    elif (low, high) == (0, 1):
        quantifier = "?"
    elif high == _UNBOUNDED:
        quantifier = f"{{{low},}}"
    elif low == high:
        quantifier = f"{{{low}}}"
    else:
        quantifier = f"{{{low},{high}}}"
    suffix = {C.MIN_REPEAT: "?", C.POSSESSIVE_REPEAT: "+"}.get(op, "")
    return inner + quantifier + suffix


def _render_class_item(op: Any, av: Any) -> str:
    if op is C.NEGATE:
        return "^"
    if op is C.LITERAL:
        return _class_char(av)
    if op is C.RANGE:
        return f"{_class_char(av[0])}-{_class_char(av[1])}"
    if op is C.CATEGORY:
        return _CATEGORY_TEXT.get(av, "?")
    return "?"


def _class_char(code: int) -> str:
    ch = chr(code)
    return "\\" + ch if ch in "\\]^-[" else re.escape(ch) if not ch.isprintable() else ch
