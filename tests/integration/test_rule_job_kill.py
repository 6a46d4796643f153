"""A worker killed in the middle of re-applying rules; the re-run leaves exactly the
right proposed redactions (real worker processes, on the suite's broker and database)."""

from __future__ import annotations

import pytest

from redaction import rule_services
from redaction.engine import compile_rules, propose
from redaction.models import ProposedRedaction, RedactionRule, RuleJobChunk
from redaction.rule_services import rule_activate, rule_jobs_resume, rule_save
from redaction.rule_specs import rule_definition, rule_spec
from tests.factories import CableFactory, ParagraphFactory
from tests.integration import services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CABLES = 300
NAMES = ["Jane Doe", "John Roe", "Ali Veli", "Mary Major"]


def expected_rows(rule: RedactionRule) -> set[tuple]:
    """What the rule must propose, computed straight from the pure engine."""
    matcher = compile_rules([rule_spec(rule.pk, rule.version, rule_definition(rule))])
    rows = set()
    for cable in CableFactory._meta.model.objects.prefetch_related("paragraphs"):
        for p in cable.paragraphs.all():
            for span in propose(p.text, p.level, p.controls, matcher).spans:
                rows.add(
                    (p.pk, span.start, span.end, span.action, tuple(str(x) for x in span.labels))
                )
    return rows


def stored_rows() -> list[tuple]:
    return [
        (p.paragraph_id, p.start, p.end, p.action, tuple(p.labels))
        for p in ProposedRedaction.objects.all()
    ]


def test_killed_worker_then_rerun_leaves_exactly_the_right_proposals(tmp_path, monkeypatch):
    # Given many small chunks of cables mentioning protected names
    for i in range(CABLES):
        cable = CableFactory()
        for n in range(3):
            ParagraphFactory(
                cable=cable,
                ordinal=n + 1,
                text=f"Paragraph {n}: {NAMES[(i + n) % 4]} met {NAMES[i % 4]}.",
            )
    monkeypatch.setattr(rule_services, "CHUNK_SIZE", 2)
    rule = RedactionRule(name="names", kind="terms", terms="\n".join(NAMES), label="(b)(6)")
    rule_save(rule=rule, user=None)

    # When a worker starts re-applying and is killed part-way
    with services.publishing(), services.worker(tmp_path / "first") as worker:
        job = rule_activate(rule=rule, user=None)
        done = RuleJobChunk.objects.filter(job=job, done_at__isnull=False)
        assert services.wait_until(lambda: done.count() >= 5), worker.output()[-3000:]
        worker.kill()
    finished_before_kill = done.count()
    assert finished_before_kill < job.total_chunks, "the worker finished before it was killed"

    # Then the re-run (resume) with a fresh worker completes the job
    with services.publishing():
        queued = rule_jobs_resume()
    with services.worker(tmp_path / "second", CELERY_VISIBILITY_TIMEOUT="5") as worker:
        assert services.wait_until(lambda: done.count() == job.total_chunks), worker.output()[
            -3000:
        ]

    # And the proposals are exactly what the engine proposes: nothing lost, nothing twice
    rows = stored_rows()
    assert queued >= job.total_chunks - finished_before_kill
    assert len(rows) == len(set(rows))
    assert set(rows) == expected_rows(rule)
    assert len(rows) == CABLES * 3 * 2
