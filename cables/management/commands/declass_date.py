"""``manage.py declass_date``: the declassification engine over JSON lines on stdin.

One case per input line (keys ``origin``, ``level``, ``decl``, ``reasons``,
``exemptions``, optional ``aea`` and ``as_of``); one result per output line.
A bad line gets an output line whose ``error`` names the field; the command
goes on with the next line.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from typing import Any, TextIO

from django.core.management.base import BaseCommand
from django.utils import timezone

from cables.declassification import DeclassInputError, declass_status

_EMPTY = {
    "declass_date": None,
    "date_kind": None,
    "rule": None,
    "review_required": None,
    "warnings": [],
    "flags": [],
    "explanation": [],
}


class CaseError(ValueError):
    """A bad input line; the message names the field."""


def _date(case: dict[str, Any], key: str, default: date | None = None) -> date:
    raw = case.get(key)
    if raw is None and default is not None:
        return default
    if not isinstance(raw, str):
        raise CaseError(f"{key}: expected an ISO date string (YYYY-MM-DD), got {raw!r}")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CaseError(f"{key}: not an ISO date (YYYY-MM-DD): {raw!r}") from None


def _str_list(case: dict[str, Any], key: str) -> list[str]:
    raw = case.get(key, [])
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise CaseError(f"{key}: expected a list of strings, got {raw!r}")
    return raw


def evaluate_line(line: str, *, today: date) -> dict[str, Any]:
    """One input line to one output object (never raises for bad input)."""
    try:
        case = json.loads(line)
    except json.JSONDecodeError as exc:
        return {**_EMPTY, "error": f"line is not JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(case, dict):
        return {**_EMPTY, "error": "line must be a JSON object"}
    try:
        level = case.get("level")
        if not isinstance(level, str):
            raise CaseError(f"level: expected a string, got {level!r}")
        decl = case.get("decl")
        if decl is not None and not isinstance(decl, str):
            raise CaseError(f"decl: expected a string or null, got {decl!r}")
        aea = case.get("aea", False)
        if not isinstance(aea, bool):
            raise CaseError(f"aea: expected true or false, got {aea!r}")
        result = declass_status(
            origin=_date(case, "origin"),
            level=level,
            decl=decl,
            reasons=_str_list(case, "reasons"),
            exemptions=_str_list(case, "exemptions"),
            as_of=_date(case, "as_of", default=today),
            aea=aea,
        )
    except (CaseError, DeclassInputError) as exc:
        return {**_EMPTY, "error": str(exc)}
    return {**result.to_dict(), "error": None}


class Command(BaseCommand):
    help = "Read declassification cases as JSON lines on stdin; write one JSON result per line."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        self.run(sys.stdin, self.stdout)

    def run(self, stream: TextIO, out: Any) -> None:
        today = timezone.now().date()
        for line in stream:
            if not line.strip():
                continue
            out.write(json.dumps(evaluate_line(line, today=today)) + "\n")
