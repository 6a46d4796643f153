"""The engine's public value types: its one error, its result and the reading of reasons.

Plain frozen values with no behaviour beyond presentation, so that they can cross
threads, processes (pickling) and JSON without surprises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


class DeclassInputError(ValueError):
    """An input the engine refuses to guess about.

    A ``ValueError`` so generic validation code still catches it; ``field`` lets an
    importer attach the problem to the right column without parsing the message.
    """

    field: str
    value: object

    def __init__(self, field: str, problem: str, value: object) -> None:
        super().__init__(f"{field}: {problem} {value!r}")
        self.field = field
        self.value = value
        self._problem = problem

    def __reduce__(self) -> tuple[Any, ...]:
        # Celery and multiprocessing pickle exceptions; the default reduction would
        # call __init__ with the formatted message alone and fail.
        return (type(self), (self.field, self._problem, self.value))


@dataclass(frozen=True, slots=True)
class DeclassResult:
    """What the engine concluded, with enough context to show a reviewer why.

    Frozen so that a result can be shared between threads and compared in tests.
    """

    declass_date: date | None
    date_kind: str
    rule: str
    review_required: bool
    warnings: frozenset[str]
    flags: frozenset[str]
    explanation: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; sets are sorted so that stored values diff cleanly."""
        when = self.declass_date
        return {
            "declass_date": None if when is None else when.isoformat(),
            "date_kind": self.date_kind,
            "rule": self.rule,
            "review_required": self.review_required,
            "warnings": sorted(self.warnings),
            "flags": sorted(self.flags),
            "explanation": list(self.explanation),
        }


@dataclass(frozen=True, slots=True)
class ReasonItem:
    """One reason string as read under section 3.2, kept for the reviewer to see.

    ``section`` is "1.4", "1.5", "1.3" (EO12356 §1.3(a)) or None; ``categories`` are
    EO13526 §1.4 letters in order of appearance; ``invalid`` holds categories that do
    not exist under the cited section (1.5(h)); ``unmapped`` holds EO12356 categories
    with no EO13526 equivalent ("(10)").
    """

    raw: str
    section: str | None
    categories: tuple[str, ...]
    invalid: tuple[str, ...]
    unmapped: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReasonReading:
    """The reasons of one cable mapped to EO13526 §1.4 categories (section 3.4).

    ``categories`` includes impossible letters such as 1.5(h): they still drive the
    routing flags, so that a reviewer screens for what the classifier probably meant
    (vector V57).  ``present`` is True when any reason was written at all, even a
    malformed one, because W_NO_REASON is about the missing element, not its quality.
    """

    items: tuple[ReasonItem, ...]
    categories: frozenset[str]
    sections: frozenset[str]
    flags: frozenset[str]
    present: bool
    has_invalid: bool
    has_unmapped: bool


# The engine builds one result per call, and the ``__init__`` of a frozen dataclass
# sets each field through ``object.__setattr__``: that was about a seventh of a whole
# call.  Setting the slots directly builds an equal object for about half the cost.
# DeclassResult has no defaults or __post_init__ to honour; the tests check that this
# stays so and that both ways build equal results.
_new_object = object.__new__
_slot = DeclassResult.__dict__
_set_declass_date = _slot["declass_date"].__set__
_set_date_kind = _slot["date_kind"].__set__
_set_rule = _slot["rule"].__set__
_set_review_required = _slot["review_required"].__set__
_set_warnings = _slot["warnings"].__set__
_set_flags = _slot["flags"].__set__
_set_explanation = _slot["explanation"].__set__


def new_result(
    declass_date: date | None,
    date_kind: str,
    rule: str,
    review_required: bool,
    warnings: frozenset[str],
    flags: frozenset[str],
    explanation: tuple[str, ...],
) -> DeclassResult:
    """``DeclassResult(...)`` for the engine's hot path: an equal, frozen object."""
    result = _new_object(DeclassResult)
    _set_declass_date(result, declass_date)
    _set_date_kind(result, date_kind)
    _set_rule(result, rule)
    _set_review_required(result, review_required)
    _set_warnings(result, warnings)
    _set_flags(result, flags)
    _set_explanation(result, explanation)
    return result
