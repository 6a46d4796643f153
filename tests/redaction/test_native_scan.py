"""The compiled hyperscan callback (``redaction.engine.native_scan``): the same reports as
the binding's Python callback, in the same order, whatever the buffer, the thread or the
array's first size; and the engine falls back to the binding where it cannot be had.

(The matcher and property suites also run through it: ``test_engine_batch`` scans every
case in a batch, which goes through the compiled callback where it is available.)
"""

from __future__ import annotations

import random
import re
import threading
from pathlib import Path

import numpy as np
import pytest

import redaction.engine.batch as batch_module
from redaction.engine import native_scan
from redaction.engine.batch import joined_for_scan, scan_many
from redaction.engine.matcher import compile_rules
from redaction.engine.oracle import Oracle
from redaction.engine.rules import PersonalDataRule
from tests.workflow.test_redaction_matcher import regex, terms

SPECS = [
    terms("Minister", "Prime Minister", "Foreign Minister", "Brazil", "Doe"),
    terms("Iran", "Tehran", rule_id=2),
    regex(r"\b\d{6}Z ?[A-Z]{3} ?\d{2}\b", rule_id=3),
    regex(r"\b(?:President|Ambassador) [A-Z][a-z]+\b", rule_id=4),
    regex(r"^[A-Z ]+$", rule_id=5),
    PersonalDataRule(id=6, version=1),
]
WORDS = (
    "Doe Minister Prime Foreign Brazil Iran Tehran President Ambassador Lula 101530Z JAN 09".split()
)


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pool = [*WORDS, "the", "of", "é", "’", "東", "doe@example.org", "+1 202 555 0101", "\n", "  "]
    return [" ".join(rng.choice(pool) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def _binding_reports(matcher, data: bytes) -> np.ndarray:
    found: list[int] = []
    matcher._database.scan(
        data, lambda e, _s, end, _f, _c: found.extend((e, end)), 0, None, matcher._scratch()
    )
    return np.array(found, np.int64)


needs_native = pytest.mark.skipif(
    not native_scan.available(), reason="numba or hyperscan's C API cannot be loaded here"
)


@needs_native
def test_the_compiled_callback_reports_what_the_binding_reports():
    matcher = compile_rules(SPECS)
    scanner = native_scan.native_scanner(matcher._database)
    for seed in range(5):
        data = joined_for_scan(_texts(seed, 400))
        expected = _binding_reports(matcher, data)
        assert len(expected) > 1000  # enough reports to mean something
        assert np.array_equal(scanner.reports(data), expected)
    assert len(scanner.reports(b"")) == 0


@needs_native
def test_a_full_array_scans_again_with_a_larger_one():
    matcher = compile_rules(SPECS)
    scanner = native_scan.native_scanner(matcher._database)
    scanner._capacity = 4
    data = joined_for_scan(_texts(7, 200))

    assert np.array_equal(scanner.reports(data), _binding_reports(matcher, data))
    assert scanner._capacity >= len(_binding_reports(matcher, data))


@needs_native
def test_threads_scan_with_scratch_of_their_own():
    matcher = compile_rules(SPECS)
    scanner = native_scan.native_scanner(matcher._database)
    buffers = [joined_for_scan(_texts(seed, 300)) for seed in range(4)]
    expected = [_binding_reports(matcher, data) for data in buffers]
    failures: list[int] = []

    def scan(k: int) -> None:
        for _ in range(20):
            if not np.array_equal(scanner.reports(buffers[k]), expected[k]):
                failures.append(k)

    threads = [threading.Thread(target=scan, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


@needs_native
def test_a_large_batch_goes_through_the_compiled_callback(monkeypatch):
    monkeypatch.setattr(batch_module, "_SMALL_BATCH", 0)
    matcher = compile_rules(SPECS)
    texts = _texts(11, 300)

    assert scan_many(matcher, texts) == [Oracle(SPECS).scan(t) for t in texts]
    assert isinstance(matcher._native, native_scan.NativeScanner)


def test_without_it_the_binding_scans_the_same(monkeypatch):
    monkeypatch.setattr(batch_module, "_SMALL_BATCH", 0)
    texts = _texts(12, 300)
    with_it = scan_many(compile_rules(SPECS), texts)
    monkeypatch.setattr(native_scan, "available", lambda: False)
    matcher = compile_rules(SPECS)

    assert scan_many(matcher, texts) == with_it == [Oracle(SPECS).scan(t) for t in texts]
    assert matcher._native is False


@pytest.mark.corpus
@needs_native
def test_the_same_reports_on_real_cables(corpus_dir: Path):
    paragraphs = [
        p
        for f in sorted(corpus_dir.glob("*.txt"))
        for p in re.split(r"\n[ \t]*\n", f.read_text(encoding="utf-8"))
        if p.strip()
    ]
    matcher = compile_rules(SPECS)
    data = joined_for_scan(paragraphs)

    assert np.array_equal(
        native_scan.native_scanner(matcher._database).reports(data),
        _binding_reports(matcher, data),
    )
