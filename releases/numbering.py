"""How a released paragraph's number and portion mark are printed before its text.

One definition for the document, its verification and the withheld-text check, which must
agree on every character of the line.
"""

from __future__ import annotations

__all__ = ["paragraph_prefix", "printed_mark"]


def printed_mark(marking: str, explicit: bool) -> str:
    """``(C)`` where the original paragraph carried its portion mark, else nothing."""
    return f"({marking})" if explicit and marking else ""


def paragraph_prefix(number: str, mark: str) -> str:
    """``2. (C)``; a sub-paragraph numbered in parentheses keeps them and takes no period
    (``(1) (S)``); either part may be empty."""
    if number and not number.endswith(")"):
        number += "."
    return " ".join(part for part in (number, mark) if part)
