"""Saving, activating and re-applying redaction rules; every change is versioned."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from audit.trail import audit_record
from cables.models import Cable
from config.celery import queue_task
from redaction.models import RedactionRule, RuleJob, RuleJobChunk, RuleVersion
from redaction.proposals import cables_proposed_in, proposals_apply_within
from redaction.rule_specs import ActiveRule, Scope, rule_definition, rule_problems, rule_spec

CHUNK_SIZE = 500  # cables per task: a few seconds of work, so a killed worker loses little

log = logging.getLogger(__name__)

# What saving a rule writes: everything but which version is live.
_EDITED_FIELDS = [
    field.name
    for field in RedactionRule._meta.concrete_fields
    if not field.primary_key and field.name not in ("active", "active_version")
]


def _changes(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, list[Any]]:
    if before is None:
        return {k: [None, v] for k, v in after.items() if v not in (None, "", [], 0)}
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


class RuleChanged(ValidationError):
    """Someone saved the rule since it was loaded: saving again would silently drop
    their version (the message says to reload)."""


def rule_save(*, rule: RedactionRule, user: Any) -> RuleVersion:
    """Validate and save the rule as a new version; the live version does not change.

    Raises ``ValidationError`` listing every problem (bad regex, empty term
    list, unknown exemption label...); nothing is saved then.
    """
    problems = rule_problems(rule)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        live = None
        if rule.pk:
            live = (
                RedactionRule.objects.select_for_update()
                .filter(pk=rule.pk)
                .values_list("version", "active", "active_version")
                .first()
            )
            if live is not None and live[0] != rule.version:
                raise RuleChanged(
                    f"Rule {rule.pk} was saved by someone else meanwhile (now version "
                    f"{live[0]}, you loaded version {rule.version}): reload it and apply "
                    "your change again."
                )
        previous = (
            RuleVersion.objects.filter(rule=rule).order_by("-version").first() if rule.pk else None
        )
        rule.version += 1
        rule.updated_at = timezone.now()
        rule.updated_by = user if getattr(user, "pk", None) else None
        if live is None:
            rule.save()
        else:
            # Which version is live is activation's business (audited there), and
            # activating does not bump the version: a copy loaded before someone activated
            # the rule must not take it off the air, or put an old version back, by saving.
            rule.active, rule.active_version = live[1], live[2]
            rule.save(update_fields=_EDITED_FIELDS)
        definition = rule_definition(rule)
        version = RuleVersion.objects.create(
            rule=rule,
            version=rule.version,
            definition=definition,
            changed_by=rule.updated_by,
            changed_at=rule.updated_at,
            changes=_changes(previous.definition if previous else None, definition),
        )
        audit_record(
            actor=user,
            action="rule.saved",
            obj=rule,
            before=previous.definition if previous else None,
            after={**definition, "version": rule.version},
        )
        return version


def _definition(rule: RedactionRule, version: int | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return RuleVersion.objects.get(rule=rule, version=version).definition


def _read_live(rule: RedactionRule) -> None:
    """Which version is live and which is the latest, read under the rule's row lock:
    two switches at the same instant, each from the rule as its page loaded it, would
    otherwise each miss the version the other made live (its proposals left in place)."""
    rule.active, rule.active_version, rule.version = (
        RedactionRule.objects.select_for_update()
        .values_list("active", "active_version", "version")
        .get(pk=rule.pk)
    )


def rule_activate(*, rule: RedactionRule, user: Any) -> RuleJob:
    """Make the latest version live and re-apply rules where either version reaches."""
    if rule.version < 1:
        raise ValidationError("save the rule before activating it")
    with transaction.atomic():
        _read_live(rule)
        before = rule.active_version if rule.active else None
        audit_record(
            actor=user,
            action="rule.activated",
            obj=rule,
            before={"active": rule.active, "version": rule.active_version},
            after={"active": True, "version": rule.version},
        )
        rule.active = True
        rule.active_version = rule.version
        rule.save(update_fields=["active", "active_version"])
    return rule_reapply(rule, [before, rule.version], "activated")


def rule_deactivate(*, rule: RedactionRule, user: Any) -> RuleJob:
    """Stop the rule and remove its proposals by re-applying the others."""
    with transaction.atomic():
        _read_live(rule)
        before = rule.active_version if rule.active else None
        audit_record(
            actor=user,
            action="rule.deactivated",
            obj=rule,
            before={"active": True, "version": rule.active_version},
            after={"active": False},
        )
        rule.active = False
        rule.save(update_fields=["active"])
    return rule_reapply(rule, [before], "deactivated")


def rule_reapply(rule: RedactionRule, versions: list[int | None], reason: str) -> RuleJob:
    """Queue chunked tasks that re-apply all active rules where these versions of the rule
    propose something: the chunks cover the cables their scopes reach (the union), and
    each chunk keeps those of its cables in which one of the versions, alone, proposes
    something (``RuleJob.changed``; see ``proposals.cables_proposed_in``)."""
    changed = [[rule.pk, version, _definition(rule, version)] for version in versions if version]
    scopes = [Scope.of(definition) for _rule, _version, definition in changed]
    if any(s.everything for s in scopes):
        affected = Q()
    else:
        affected = Q(pk__in=[])
        for scope in scopes:
            affected |= scope.cables()
    ids = list(Cable.objects.filter(affected).order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        job = RuleJob.objects.create(
            rule=rule,
            rule_version=rule.version,
            reason=f"{rule.name} v{rule.version} {reason}",
            created_at=timezone.now(),
            total_cables=len(ids),
            changed=changed,
        )
        # At least one chunk, even an empty one: a job that reaches no cable also waits
        # for a worker, or its progress (100% at once) would tell an editor that no cable
        # carries a TAG of the scope, a cable they were never granted included.
        chunks = RuleJobChunk.objects.bulk_create(
            RuleJobChunk(job=job, number=n, cable_ids=ids[i : i + CHUNK_SIZE])
            for n, i in enumerate(range(0, max(len(ids), 1), CHUNK_SIZE))
        )
        job.total_chunks = len(chunks)
        job.save(update_fields=["total_chunks"])
        chunk_ids = list(
            RuleJobChunk.objects.filter(job=job).order_by("number").values_list("pk", flat=True)
        )
    # robust: with the broker down the job stays recorded; resume_rule_jobs queues it.
    transaction.on_commit(
        lambda: [queue_task("redaction.proposals_apply_chunk", c) for c in chunk_ids],
        robust=True,
    )
    return job


def job_progress(job: RuleJob) -> tuple[int, int]:
    """(chunks done, chunks in all)."""
    return job.chunks.filter(done_at__isnull=False).count(), job.total_chunks


def job_percent(job: RuleJob, viewer: Any = None) -> int:
    """How far the job is, in percent: what its editor is shown.

    Not how many cables or chunks it covers: a job covers every cable the rule's scope
    reaches, the ones its editor may not view included, and a count would tell them how
    many cables carry a TAG or come from a post they were never granted.  Nor, for the
    same reason, its steps: a job has a chunk for every ``CHUNK_SIZE`` cables, and 50%
    would say "more than one chunk's worth".  So 0 until it is done, then 100; the steps
    only to a superuser, who may view every cable anyway.
    """
    done, total = job_progress(job)
    if done >= total:
        return 100
    if getattr(viewer, "is_superuser", False) and getattr(viewer, "is_active", False):
        return done * 100 // total
    return 0


def chunk_apply(chunk_id: int) -> bool:
    """Apply rules to one chunk and mark it done; True if there was a chunk to do.

    Safe to run twice (acks_late redelivery after a killed worker): applying
    replaces the chunk's proposals, and the done mark is set once.  When the time
    budget (``DECLASS_RULE_TIME_BUDGET_S``) stops the apply, the cables it did not
    reach become a new chunk of the same job, queued at once: the job's page counts
    it, and the log says what did not finish.
    """
    chunk = RuleJobChunk.objects.select_related("job").filter(pk=chunk_id).first()
    if chunk is None:
        return False
    cable_ids = chunk.cable_ids
    if chunk.job.changed is not None:
        cable_ids = _proposed_by_change(cable_ids, chunk.job.changed)
    outcome = proposals_apply_within(cable_ids)
    with transaction.atomic():
        rest = _continue_chunk(chunk, list(outcome.left)) if outcome.left else None
        RuleJobChunk.objects.filter(pk=chunk_id, done_at__isnull=True).update(
            done_at=timezone.now()
        )
    if rest is not None:
        log.warning(
            "rule job %s chunk %s %s; the other %s cable(s) continue in chunk %s",
            chunk.job_id,
            chunk.number,
            outcome.incomplete,
            len(outcome.left),
            rest.number,
        )
        transaction.on_commit(
            lambda: queue_task("redaction.proposals_apply_chunk", rest.pk), robust=True
        )
    return True


def _proposed_by_change(cable_ids: list[int], changed: list[list[Any]]) -> list[int]:
    """The cables among ``cable_ids`` in which a version of the changed rule proposes
    something, each version scanned alone (two versions of one rule share its id)."""
    try:
        versions = [
            [ActiveRule(rule_spec(rule_id, version, definition), Scope.of(definition))]
            for rule_id, version, definition in changed
        ]
        return cables_proposed_in(cable_ids, *versions)
    except (ValueError, KeyError, TypeError) as exc:
        # A version saved under older checks that today's refuse (or a definition of an
        # older shape) cannot say where it proposed: the chunk is re-applied whole, so
        # that the job still ends and its proposals still go.
        log.warning("a changed rule cannot be scanned alone (%s): chunk re-applied whole", exc)
        return sorted(cable_ids)


def _continue_chunk(chunk: RuleJobChunk, cable_ids: list[int]) -> RuleJobChunk:
    """A new chunk of the same job for the cables a chunk left; the job counts it."""
    job = RuleJob.objects.select_for_update().get(pk=chunk.job_id)
    last = job.chunks.aggregate(last=Max("number"))["last"] or 0
    rest = RuleJobChunk.objects.create(job=job, number=last + 1, cable_ids=cable_ids)
    job.total_chunks = job.chunks.count()
    job.save(update_fields=["total_chunks"])
    return rest


def rule_jobs_resume() -> int:
    """Queue again every chunk not yet done (after a worker or broker was lost).

    Running a chunk twice is harmless, so this is safe to call at any time.
    """
    pending = list(
        RuleJobChunk.objects.filter(done_at__isnull=True)
        .order_by("job_id", "number")
        .values_list("pk", flat=True)
    )
    for chunk_id in pending:
        queue_task("redaction.proposals_apply_chunk", chunk_id)
    return len(pending)
