"""What a term of a term-list rule matches: the one definition the oracle and the engine share.

A term matches a piece of paragraph text when:

* **Case.**  Each character of the term matches itself and its one-character ``str.upper()`` and
  ``str.lower()`` forms (so ``Müller`` matches ``MÜLLER`` and ``müller``).  Multi-character case
  mappings are not used (``ß`` does not match ``SS``).  For ASCII this is plain
  case-insensitivity.  Python's ``re.IGNORECASE`` is deliberately not used: it also folds
  ``İ``/``ı``/``ſ``/``K`` (Kelvin) onto ASCII letters, which no admin expects.
* **Spaces.**  A run of whitespace inside a term matches any run of whitespace in the text
  (``str.isspace()``: spaces, tabs, line breaks, no-break spaces), because older cables are
  hard-wrapped: ``Prime Minister`` must still match ``PRIME\\nMINISTER``.
* **Whole word.**  The character before the match and the one after it must not be word
  characters, a word character being what Python's ``\\w`` means for ``str``: a Unicode letter or
  digit (``str.isalnum()``) or ``_``.  So ``Jos`` does not match inside ``José``, and a term that
  starts or ends with punctuation (``U.S.``) still needs non-word neighbours.

Within one rule, matches do not overlap: scanning left to right, the leftmost match wins and,
among matches starting at the same place, the longest one.  Written as one Python pattern per
rule, ``(?<!\\w)(?:t1|t2|...)(?!\\w)`` with the terms ordered longest first, ``re.finditer`` gives
exactly that: two terms matching at the same start cover different text only if the longer
(normalised) term covers more of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "char_variants",
    "is_word_char",
    "normalize_term",
    "ordered_terms",
    "rule_pattern",
    "term_pattern",
]

_WHITESPACE_RUN = re.compile(r"\s+")


def is_word_char(ch: str) -> bool:
    """Python's Unicode ``\\w`` for one character (sre: ``Py_UNICODE_ISALNUM(ch) || ch == '_'``)."""
    return ch.isalnum() or ch == "_"


def normalize_term(term: str) -> str:
    """Strip and write each whitespace run as one space: matching is defined on this form."""
    return _WHITESPACE_RUN.sub(" ", term).strip()


def char_variants(ch: str) -> tuple[str, ...]:
    """The characters a term character matches: itself and its one-character case forms."""
    forms = {ch, ch.lower(), ch.upper()}
    return tuple(sorted(form for form in forms if len(form) == 1))


def ordered_terms(terms: Iterable[str]) -> list[str]:
    """Normalised, de-duplicated terms, longest first, so the alternation is leftmost-longest."""
    unique = {normalize_term(t) for t in terms} - {""}
    return sorted(unique, key=lambda t: (-len(t), t))


def term_pattern(term: str) -> str:
    """Python ``re`` source for one normalised term, without the word-boundary lookarounds."""
    words = normalize_term(term).split(" ")
    return r"\s+".join("".join(_char_class(ch) for ch in word) for word in words)


def rule_pattern(terms: Iterable[str]) -> str:
    """Python ``re`` source for a whole term list: one pattern, leftmost-longest, whole words."""
    alternatives = "|".join(term_pattern(t) for t in ordered_terms(terms))
    return rf"(?<!\w)(?:{alternatives})(?!\w)"


def _char_class(ch: str) -> str:
    variants = char_variants(ch)
    if len(variants) == 1:
        return re.escape(ch)
    return "[" + "".join(_escape_in_class(v) for v in variants) + "]"


def _escape_in_class(ch: str) -> str:
    return "\\" + ch if ch in "\\]^-[" else ch
