"""Rule regexes: RE2 runs them, and the checks that refuse one at save time.

An admin's regex is never run by a backtracking engine.  Backtracking engines (Python's
``re``, PCRE) can take polynomial or exponential time on a paragraph that almost matches
(``[a-z]*y[a-z]*y[a-z]*z`` is cubic per start on a run of ``y``), and refusing the shapes
known to do that cannot be complete.  So a rule regex is only ever compiled by engines that
guarantee time linear in the text:

* **hyperscan** finds where matches may end (:mod:`.prefilter`, :mod:`.matcher`);
* **RE2** (google-re2) locates the matches and defines them: per rule, RE2's leftmost-first,
  non-overlapping matches (:func:`compile_rule_regex`, used by the matcher and the oracle).

Python's own parser (``re._parser``) still *reads* the pattern, to derive the hyperscan
prefilter and the longest match; parsing is linear and matches nothing.  Nothing here or in
the matcher calls ``re.compile`` on a rule regex.

What a rule regex means is therefore RE2's syntax and semantics, restricted to the forms RE2
and Python's parser read the same way:

* ``\\w``, ``\\d``, ``\\b`` know ASCII letters and digits only; ``\\s`` is
  ``[\\t\\n\\f\\r ]``; ``.`` is any character but a line break (any with ``(?s)``);
* ``(?i)`` folds case as Unicode does (``k`` also matches the Kelvin sign, ``é`` matches
  ``É``);
* ``$`` and ``\\z`` are the end of the paragraph (``$``: of a line with ``(?m)``), ``\\A``
  its start; ``\\Z``, lookarounds, backreferences, atomic groups and possessive repeats are refused;
* RE2-only forms (``\\pL``, ``[[:alpha:]]``, ``\\Q...\\E``, ``\\x{...}``, ``(?U)``) and
  ``{,n}`` (a repeat to Python, plain text to RE2) are refused, with what to write instead.

A pattern that can match the empty string is refused too: it would propose empty redactions.
"""

from __future__ import annotations

import functools
import re
import warnings
from re import _parser

from .prefilter import RULE_REGEX_FLAGS, Untranslatable, parse_rule_regex, regex_prefilter

__all__ = [
    "RULE_REGEX_FLAGS",
    "compile_rule_regex",
    "compile_rule_regex_latin1",
    "parse_rule_regex",
    "regex_problems",
]


# RE2 refusals, explained in the admin's terms (matched against RE2's message).
_RE2_HINTS = (
    ("(?=", "lookaheads are not supported"),
    ("(?!", "lookaheads are not supported"),
    ("(?<=", "lookbehinds are not supported"),
    ("(?<!", "lookbehinds are not supported"),
    ("(?>", "atomic groups are not supported"),
    ("(?(", "conditional groups are not supported"),
    ("\\1", "backreferences are not supported"),
    ("(?P", "backreferences are not supported; name a group (?P<name>...)"),
    ("\\Z", "write \\z for the end of the paragraph"),
    ("invalid repetition size", "RE2 repeats at most 1000 times"),
    ("bad repetition operator: *+", "possessive repeats are not supported"),
    ("bad repetition operator: ++", "possessive repeats are not supported"),
    ("bad repetition operator: ?+", "possessive repeats are not supported"),
    ("pattern too large", "the pattern is too large for RE2; use smaller repeat counts"),
)


@functools.cache
def _options():  # type: ignore[no-untyped-def]
    import re2  # google-re2: imported lazily so label parsing works without it

    options = re2.Options()
    options.log_errors = False  # a DFA out of memory falls back to the NFA, silently
    options.never_capture = True  # only whole matches count: RE2 then needs no submatch engine
    return options


@functools.cache
def _latin1_options():  # type: ignore[no-untyped-def]
    import re2

    options = re2.Options()
    options.log_errors = False
    options.never_capture = True
    options.encoding = re2.Options.Encoding.LATIN1
    return options


def compile_rule_regex_latin1(pattern: str):  # type: ignore[no-untyped-def]
    """The same regex for text searched as Latin-1 bytes (one byte per character), or None.

    On text whose characters are all below U+0100 it finds what :func:`compile_rule_regex`
    finds on the UTF-8 text, without offset conversions.  None when that cannot be promised:
    a pattern beyond Latin-1, or one with ``(?i)`` (RE2 folds only ASCII case in Latin-1).
    """
    import re2

    if _may_ignore_case(pattern):
        return None
    try:
        encoded = pattern.encode("latin-1")
    except UnicodeEncodeError:
        return None
    try:
        return re2.compile(encoded, _latin1_options())
    except re2.error:
        return None


def _may_ignore_case(pattern: str) -> bool:
    """Whether some ``(?flags)`` or ``(?flags:...)`` group of the pattern turns on ``i``."""
    start = pattern.find("(?")
    while start >= 0:
        end = start + 2
        while end < len(pattern) and pattern[end].isalpha():
            if pattern[end] == "i":
                return True
            end += 1
        start = pattern.find("(?", start + 2)
    return False


def compile_rule_regex(pattern: str):  # type: ignore[no-untyped-def]
    """The rule regex compiled by RE2 (raises ``re2.error`` when RE2 refuses it).

    Search a ``str`` for character offsets, or its ASCII bytes (offsets the same).  With
    ``pos``/``endpos`` RE2 searches that window of the text but sees the text around it, so
    ``\\b`` and ``$`` at a window's edge mean what they mean in the whole text.
    """
    import re2

    return re2.compile(pattern, _options())


def regex_problems(pattern: str) -> list[str]:
    """Every reason to refuse ``pattern`` as a rule regex (empty when it is acceptable)."""
    import re2

    try:
        compile_rule_regex(pattern)
    except re2.error as exc:
        return [f"is not valid RE2 syntax ({_re2_message(exc)})"]
    tree, problem = _parse(pattern)
    if problem:
        return [problem]
    repeat = _python_only_repeat(pattern)
    if repeat:
        return [
            f"uses {repeat}, which RE2 reads as plain text: write "
            f"{{0,{repeat[2:-1]}}} for a repeat, or \\{{ for the brace"
        ]
    try:
        if tree.getwidth()[0] == 0:
            return [
                "can match the empty string, which would propose empty redactions; "
                "make at least one character mandatory"
            ]
        return _hyperscan_problems(pattern)
    except RecursionError:
        return ["is nested too deeply"]


def _re2_message(exc: Exception) -> str:
    raw = exc.args[0] if exc.args else exc
    message = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    for needle, hint in _RE2_HINTS:
        if needle in message:
            return f"{message}: {hint}"
    return message


def _parse(pattern: str) -> tuple[_parser.SubPattern | None, str]:
    """Python's parse tree (read only, never compiled), or why the pattern has none."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "possible nested set": [[:alpha:]] and the like
            tree = parse_rule_regex(pattern)
    except re.error as exc:
        where = f" at position {exc.pos}" if exc.pos is not None else ""
        return None, f"uses a form rule regexes do not take ({exc.msg}{where})"
    except (FutureWarning, DeprecationWarning) as exc:
        return None, f"uses a form rule regexes do not take ({exc})"
    except (TypeError, ValueError, OverflowError) as exc:
        return None, f"uses a form rule regexes do not take ({exc})"
    except RecursionError:
        return None, "is nested too deeply"
    return tree, ""


def _python_only_repeat(pattern: str) -> str:
    """The first ``{,n}`` outside a character class (Python: a repeat; RE2: text), or ''."""
    in_class = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            i += 1
            if i < n and pattern[i] == "^":
                i += 1
            if i < n and pattern[i] == "]":
                i += 1  # a leading ] is a member
            continue
        elif ch == "{" and pattern.startswith(",", i + 1):
            end = i + 2
            while end < n and pattern[end].isascii() and pattern[end].isdigit():
                end += 1
            if end < n and pattern[end] == "}":
                return pattern[i : end + 1]
        i += 1
    return ""


def _hyperscan_problems(pattern: str) -> list[str]:
    """Refuse a pattern hyperscan cannot compile (exactly, or as an approximate prefilter)."""
    try:
        import hyperscan
    except ImportError:  # validation without the matcher (e.g. label tooling)
        return []
    try:
        expression = regex_prefilter(pattern, RULE_REGEX_FLAGS)
    except Untranslatable as exc:
        return [f"cannot be compiled for hyperscan ({exc})"]
    error: Exception | None = None
    for flags in (0, hyperscan.HS_FLAG_PREFILTER):
        database = hyperscan.Database()
        try:
            database.compile(expressions=[expression], ids=[0], elements=1, flags=[flags])
        except hyperscan.error as exc:
            error = exc
            continue
        return []
    return [f"cannot be compiled for hyperscan ({error})"]
