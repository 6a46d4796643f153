"""The shape of the declassification engine's rule table (section 4.6.5).

test_declassification.py checks what the engine concludes; these tests hold how it is
built: one rule per row of the decision order, in the rules document's order, each
with its explanation, and shortcuts that never change an answer.  No Django needed.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
import pickle
import re
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cables.declassification import DeclassResult, declass_status, engine
from cables.declassification.rules import CALL_FACTS, DECISION_ORDER, RULES, STEPS
from cables.declassification.scan import Scan, analyse_decl
from cables.declassification.values import new_result

REPO = Path(__file__).resolve().parents[2]
RULES_DOC = (
    Path(os.environ.get("DECLASS_SHARED_DIR", REPO.parent / "shared"))
    / "docs"
    / "classification-rules.md"
)
VECTORS: list[dict[str, Any]] = [
    vector
    for vector in json.loads(
        (REPO / "tests" / "data" / "declass_vectors.json").read_text(encoding="utf-8")
    )
    if "expected" in vector
]
AS_OF = date(2025, 7, 1)

# The decision order of section 4.6.5, first match wins: (row, rule id).
DECISION_ORDER_OF_THE_RULES = [
    (1, "R-AEA"),
    (2, "R-NOT-CLASSIFIED"),
    (3, "R-50X-HUM-WMD"),
    (4, "R-75X"),
    (5, "R-50X"),
    (6, "R-25X"),
    (7, "R-UNKNOWN"),
    (8, "R-PRE-1982"),
    (9, "R-INVALID"),
    (10, "R-DATE"),
    (11, "R-DATE-CAPPED"),
    (12, "R-INVALID"),
    (13, "R-OADR"),
    (14, "R-X"),
    (15, "R-MR"),
    (16, "R-MISSING"),
    (17, "R-MISSING"),
    (18, "R-UNKNOWN"),
    (19, "R-EVENT"),
]


def test_rule_table_follows_the_decision_order() -> None:
    assert [(rule.number, rule.id) for rule in RULES] == DECISION_ORDER_OF_THE_RULES


def test_decision_order_is_the_rules_documents() -> None:
    if not RULES_DOC.is_file():
        pytest.skip(f"rules document not found at {RULES_DOC}")
    section = RULES_DOC.read_text(encoding="utf-8").split("#### 4.6.5", 1)[1]
    section = section.split("\n#### ", 1)[0]
    rows = re.findall(r"^\|\s*(\d+)\s*\|[^|\n]*\|\s*(R-[A-Z0-9-]+)\s*\|", section, re.M)
    assert [(int(n), rule_id) for n, rule_id in rows] == DECISION_ORDER_OF_THE_RULES


def test_every_rule_explains_itself() -> None:
    # The docstring opens with the row it implements, then says why the rule exists.
    for rule in RULES:
        doc = inspect.getdoc(rule.decide) or ""
        assert doc.startswith(f"Rule {rule.number}, {rule.id}: "), rule
        assert len(doc.splitlines()) > 2, rule
    for stage in DECISION_ORDER:
        if stage.opening is not None:
            assert inspect.getdoc(stage.opening), stage.opening


def test_shortcuts_name_known_facts() -> None:
    facts = set(Scan._fields) | set(CALL_FACTS)
    for needs, _ in STEPS:
        assert needs <= facts
    # The last rule concludes whatever the facts, so the walk never runs out.
    assert not STEPS[-1][0]


def _walk_everything(decl: str | None, exemptions: tuple[str, ...]) -> tuple[Scan, Any]:
    everything = tuple(step for _, step in STEPS)
    return analyse_decl(decl, exemptions), ((everything, everything), (everything, everything))


def _both_ways(**kwargs: Any) -> tuple[DeclassResult, DeclassResult]:
    shortcut = declass_status(**kwargs)
    with mock.patch.object(engine, "_read_decl", _walk_everything):
        full = declass_status(**kwargs)
    return shortcut, full


@pytest.mark.parametrize("vector", VECTORS, ids=[v["id"] for v in VECTORS])
def test_skipping_rules_never_changes_a_vector(vector: dict[str, Any]) -> None:
    kwargs = {
        "origin": date.fromisoformat(vector["origin"]),
        "level": vector["level"],
        "decl": vector["decl"],
        "reasons": list(vector["reasons"]),
        "exemptions": list(vector["exemptions"]),
        "as_of": AS_OF,
        "aea": vector["aea"],
    }
    shortcut, full = _both_ways(**kwargs)
    assert shortcut == full
    assert shortcut.explanation == full.explanation


FRAGMENTS = [
    "E.O. 12958:", "DECL:", "01/10/2016", "6/3/08", "02/29/2015", "12/2012", "20140801",
    "10 FEB 2016", "OADR", "X1", "1.6X6", "MR", "DCI ONLY", "GDS", "N/A", "25X1", "25X6,",
    "25X1-human", "50X1-HUM", "50X6", "75X", "25X10", "RD/FRD", "1.4(B)", "AFTER", "99",
]  # fmt: skip


@settings(max_examples=300, deadline=None, database=None)
@given(
    decl=st.one_of(st.none(), st.lists(st.sampled_from(FRAGMENTS), max_size=4).map(" ".join)),
    exemptions=st.lists(st.sampled_from(FRAGMENTS), max_size=1),
    origin=st.dates(min_value=date(1970, 1, 1), max_value=date(2030, 12, 31)),
    level=st.sampled_from(["U", "C", "S", "TS"]),
    aea=st.booleans(),
)
def test_skipping_rules_never_changes_an_answer(
    decl: str | None, exemptions: list[str], origin: date, level: str, aea: bool
) -> None:
    shortcut, full = _both_ways(
        origin=origin, level=level, decl=decl, reasons=["1.4(d)"], exemptions=exemptions,
        as_of=AS_OF, aea=aea,
    )  # fmt: skip
    assert shortcut == full


def test_new_result_is_the_dataclass_built_directly() -> None:
    names = [field.name for field in dataclasses.fields(DeclassResult)]
    assert list(inspect.signature(new_result).parameters) == names
    assert not hasattr(DeclassResult, "__post_init__")
    values = (date(2016, 1, 10), "exact", "R-DATE", False, frozenset({"W_X"}), frozenset(), ("a",))
    built = new_result(*values)
    assert type(built) is DeclassResult
    assert built == DeclassResult(*values)
    assert hash(built) == hash(DeclassResult(*values))
    assert repr(built) == repr(DeclassResult(*values))
    assert pickle.loads(pickle.dumps(built)) == built
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.rule = "R-EVENT"  # type: ignore[misc]


def test_engine_imports_nothing_from_django() -> None:
    code = (
        "import sys, cables.declassification; "
        "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] == 'django') or 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
