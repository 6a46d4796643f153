"""Declassification engine of the classification rules, section 4.6.

The engine is one pure function, :func:`declass_status`, so that the same markings
always give the same answer whether it runs in a request, a Celery task or a bulk
re-computation, and so that it can be checked against the vectors of section 4.7
without a database.  It deliberately imports nothing from Django.

Two helpers are public because the parser and the review screens need the same
readings: :func:`normalise_level` (section 4.6.1) and :func:`parse_reasons`
(sections 3.2 and 3.4).

The package:

- :mod:`.engine`: :func:`declass_status`, which checks the inputs and walks the table;
- :mod:`.rules`: the decision order of 4.6.5 as an ordered table of rules, each a
  small function with its explanation, first match wins;
- :mod:`.scan`: the text analysis of a DECL line (4.6.2 to 4.6.4);
- :mod:`.reasons`: classification reasons (3.2 to 3.4);
- :mod:`.levels`: classification levels (4.6.1);
- :mod:`.dates`: the dates of the orders and ``auto``/``anniv`` (4.6.2);
- :mod:`.values`: the public value types (result, error, reading of reasons).

Speed matters because whole corpora are re-evaluated when a rule changes.  Every
regular expression is compiled at import time.  The text analysis of a DECL line
(normalisation, recognisers, date scan) depends on the text alone, so it is memoised
per distinct string, since a corpus repeats the same instructions many times over,
together with the rules of the table the text leaves in play.  Only what depends on
``origin`` and ``as_of`` is computed per call.
"""

from __future__ import annotations

from .engine import declass_status
from .levels import normalise_level
from .reasons import parse_reasons
from .values import DeclassInputError, DeclassResult, ReasonItem, ReasonReading

__all__ = [
    "DeclassInputError",
    "DeclassResult",
    "ReasonItem",
    "ReasonReading",
    "declass_status",
    "normalise_level",
    "parse_reasons",
]

# The public types keep the module name they have always had, so that pickles (Celery,
# multiprocessing) and error reports name them as before the engine became a package.
for _public in (DeclassInputError, DeclassResult, ReasonItem, ReasonReading):
    _public.__module__ = __name__
del _public
