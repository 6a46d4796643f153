"""Built-in (b)(6) patterns: personal data that shows up in cables without anyone listing it.

Each pattern is a rule regex like any other (RE2 runs it, see :mod:`.rule_regex`), chosen
to catch the usual shapes while staying quiet on the rest of a cable: cable serials
(``STATE 083673``), date-time groups (``101530Z``), TAGS and section counts never match.

``email``
    ``local@domain.tld``: the local part of letters, digits and ``._%+-``; the domain of
    dot-separated labels and a 2 to 24 letter top-level domain.
``phone_intl``
    A ``+`` and a 1 to 3 digit country code, then either digit groups separated by space, dot
    or hyphen (an optional ``(0)``-style trunk or area group allowed):
    ``+44 20 7946 0958``, ``+1-202-555-0173``, ``+33 (0)1 23 45 67 89``; or 8 to 15 digits
    written together: ``+254722123456``.
``phone_us``
    ``(202) 555-0173``, ``202-555-0173``, ``202.555.0173``.  Digits separated only by spaces
    are left alone: too many other numbers look like that.
``passport``
    Passport-like document numbers: one or two capital letters and 6 to 8 digits
    (``X1234567``, ``AB123456``), or 9 digits standing alone (US and UK passports).
    It will also catch other identifiers of that shape, which is the safe side for (b)(6).
"""

from __future__ import annotations

__all__ = ["PERSONAL_DATA_KINDS", "PERSONAL_DATA_PATTERNS", "personal_data_pattern"]

PERSONAL_DATA_PATTERNS: dict[str, str] = {
    "email": r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b",
    "phone_intl": (
        r"\+[1-9]\d{0,2}(?:[ .-]?\(\d{1,4}\))?[ .-]?\d{1,5}(?:[ .-]\d{2,6}){1,5}\b"
        r"|\+[1-9]\d{7,14}\b"
    ),
    "phone_us": r"\(\d{3}\) ?\d{3}[-.]\d{4}\b|\b\d{3}[-.]\d{3}[-.]\d{4}\b",
    "passport": r"\b[A-Z]{1,2}\d{6,8}\b|\b\d{9}\b",
}
PERSONAL_DATA_KINDS: tuple[str, ...] = tuple(PERSONAL_DATA_PATTERNS)


def personal_data_pattern(kinds: tuple[str, ...]) -> str:
    """One regex for the chosen kinds, in the fixed order above (earlier kinds win a tie)."""
    chosen = [kind for kind in PERSONAL_DATA_KINDS if kind in kinds]
    return "|".join(f"(?:{PERSONAL_DATA_PATTERNS[kind]})" for kind in chosen)
