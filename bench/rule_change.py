"""Rule change benchmark: activating one rule while 1,020 are live, against re-applying them all.

Imports the dev corpus, repeated under fresh reference ids (2,000 cables with ``--quick``,
20,000 without), makes bench/redaction.py's 1,000 term rules and 20 regexes live and
applies them to every cable.  Then an editor activates one more term rule with no scope
(``rule_activate``, as the admin's Activate button does), a capitalised word of the corpus
just below the 900 the term rules take (``--term`` for another).  Its job's chunks are run in
this process, twice over the same cables:

- **re-apply all** (the baseline: what activating did before ``RuleJob.changed``): every
  active rule applied again to every cable of every chunk;
- **changed only** (``rule_services.chunk_apply``): each chunk scanned with the new rule
  alone, then every rule applied again to the cables it proposes something in.

Both must leave the same proposals (checked row for row).  Times are wall and this
process's CPU; PostgreSQL's work is in the wall time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/declass bench/rule_change.py [--quick]

It works in its own database (the URL's name + ``_bench_rule_change``), dropped and made
anew.  Last line: ``cables=N rules=N touched_pct=N full_s=N changed_s=N speedup=N``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import dev_corpus, setup_bench_database, sibling  # noqa: E402


def _snapshot() -> list[tuple]:  # type: ignore[type-arg]
    from redaction.models import ProposedRedaction

    return sorted(
        ProposedRedaction.objects.values_list(
            "paragraph_id", "start", "end", "action", "labels", "rules"
        )
    )


def _run(label: str, chunks: list, step) -> tuple[float, float]:  # type: ignore[no-untyped-def,type-arg]
    wall, cpu = time.perf_counter(), time.process_time()
    for chunk in chunks:
        step(chunk)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU in this process")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 cables instead of 20,000")
    parser.add_argument("--cables", type=int, default=None)
    parser.add_argument("--term", default=None, help="the new rule's term")
    args = parser.parse_args()
    total = args.cables or (2_000 if args.quick else 20_000)
    setup_bench_database("bench_rule_change")

    from unittest import mock

    from django.conf import settings

    from cables.ingest import cables_import
    from cables.models import Cable
    from redaction import rule_services
    from redaction.models import RedactionRule, RuleJobChunk
    from redaction.proposals import current_rules, matcher_for, proposals_apply_within

    corpus = dev_corpus()
    ingest = sibling("ingest")
    pipeline = sibling("pipeline")
    report = cables_import(ingest._repeat(ingest._load_corpus(corpus), total))
    if report.failed or Cable.objects.count() != total:
        sys.exit(f"import incomplete: {len(report.failed)} failed")
    rules = pipeline._activate_rules(corpus)
    ids = list(Cable.objects.order_by("pk").values_list("pk", flat=True))
    started = time.perf_counter()
    for i in range(0, len(ids), rule_services.CHUNK_SIZE):
        proposals_apply_within(ids[i : i + rule_services.CHUNK_SIZE], budget_s=3600)
    print(f"{total:,} cables, {rules} rules live, applied in {time.perf_counter() - started:.1f} s")

    term = args.term or _next_word(corpus)
    rule = RedactionRule(name="new term", kind="terms", terms=term, label="(b)(6)")
    rule_services.rule_save(rule=rule, user=None)
    queued: list[int] = []
    catch = mock.patch.object(rule_services, "queue_task", lambda _name, pk: queued.append(pk))
    with catch:
        job = rule_services.rule_activate(rule=rule, user=None)
    chunks = list(RuleJobChunk.objects.filter(job=job).order_by("number"))
    print(f"activated {term!r}: {len(chunks)} chunks of up to {rule_services.CHUNK_SIZE} cables")

    changed = rule_services._proposed_by_change(ids, job.changed)
    touched = 100 * len(changed) / total
    print(f"the new rule proposes something in {len(changed):,} cables ({touched:.1f}%)")

    matcher_for(current_rules())  # both ways then find the 1,021 rules compiled
    budget = 3600.0
    queued.clear()
    with catch, mock.patch.object(settings, "DECLASS_RULE_TIME_BUDGET_S", budget):
        changed_wall, _ = _run(
            "changed only (chunk_apply)", chunks, lambda c: rule_services.chunk_apply(c.pk)
        )
    if queued:
        sys.exit("a chunk ran out of its time budget")
    after_changed = _snapshot()
    full_wall, _ = _run(
        "re-apply all (baseline)",
        chunks,
        lambda c: proposals_apply_within(c.cable_ids, budget_s=budget),
    )
    if _snapshot() != after_changed:
        sys.exit("the two ways left different proposals")
    print("proposals after both: identical")
    print(
        f"cables={total} rules={rules + 1} touched_pct={touched:.1f} full_s={full_wall:.1f} "
        f"changed_s={changed_wall:.1f} speedup={full_wall / changed_wall:.1f}"
    )


def _next_word(corpus: Path) -> str:
    """A capitalised word just below the 900 the term rules take (rank 1,000)."""
    bench = sibling("redaction")
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    return bench._frequent_words(texts, 1_000)[-1]


if __name__ == "__main__":
    main()
