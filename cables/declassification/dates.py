"""The dates of the orders and the date arithmetic of section 4.6.2.

Boundaries are the days named in sections 4.1 to 4.6; ``auto`` and ``anniv`` are the
two helpers the decision order of 4.6.5 is written in.
"""

from __future__ import annotations

from datetime import date, datetime

from .values import DeclassInputError

PRE_EO12356 = date(1982, 8, 1)
EO12958_START = date(1995, 10, 14)
EO12958_END = date(2003, 9, 21)  # last day X-codes are valid
EO13292_MARKINGS = date(2003, 9, 22)  # "1.4" numbering from this day
EO13526_DIRECTIVE = date(2010, 6, 25)  # 50X1-HUM replaces 25X1-human

MAX_ORIGIN_YEAR = 9999 - 75  # auto(75) must remain a representable date


def auto(origin: date, years: int) -> date:
    """The year-end date of section 3.3: 31 December ``years`` after origin."""
    return date(origin.year + years, 12, 31)


def anniv(origin: date, years: int) -> date:
    """Same day ``years`` on; 29 February becomes 28 February (as relativedelta)."""
    year, month, day = origin.year + years, origin.month, origin.day
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 or year % 400 == 0)):
        return date(year, 2, 28)
    return date(year, month, day)


def as_date(value: object, field: str) -> date:
    """A ``date`` input as a plain date; a datetime keeps its own calendar day."""
    if isinstance(value, datetime):
        return value.date()  # the date as given: no time-zone shift (4.6.1)
    if isinstance(value, date):
        return value
    raise DeclassInputError(field, "expected a date, got", value)
