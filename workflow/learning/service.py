"""Learned suggestions in the service: versions, retraining, and what a reviewer is shown.

Training reads the current decisions with their paragraphs' text and marking as the
system (no user): nothing of that text leaves the database through the model, whose
vectorizer keeps no vocabulary (``pipeline``), and a reviewer is shown suggestions
only for the paragraphs ``workflow.access`` lets them read.

Off until enough decisions exist (``DECLASS_LEARNING_MIN_DECISIONS``, of at least two
kinds), and ``status`` says so, with the numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cables.models import Cable, Paragraph
from workflow import access
from workflow.learning import pipeline
from workflow.models import Decision, SuggestionModel, SuggestionShown

log = logging.getLogger(__name__)

_LOCK_KEY = 0x6C6561726E  # "learn": one training at a time
_loaded: dict[int, pipeline.Fitted] = {}  # version id -> fitted models (the latest only)
# (id, created_at) of the newest version -> its row without the fitted bytes (one entry).
_latest: dict[tuple[int, Any], SuggestionModel] = {}


def min_decisions() -> int:
    return int(getattr(settings, "DECLASS_LEARNING_MIN_DECISIONS", 200))


def confidence_threshold() -> float:
    """The calibrated probability from which a suggestion counts as confident."""
    return int(getattr(settings, "DECLASS_LEARNING_CONFIDENCE_PCT", 95)) / 100


@dataclass(frozen=True)
class Status:
    enabled: bool  # a trained version exists and enough decisions back it
    message: str
    decisions: int
    kinds: int
    needed: int
    version: SuggestionModel | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "message": self.message,
            "decisions": self.decisions,
            "kinds": self.kinds,
            "needed": self.needed,
            "version": self.version.pk if self.version else None,
            "trained_at": self.version.created_at if self.version else None,
            "training_size": self.version.training_size if self.version else None,
            "metrics": self.version.metrics if self.version else None,
        }


def _current_decisions() -> Any:
    """Every paragraph's latest decision (none superseded it)."""
    return Decision.objects.filter(superseded_by__isnull=True)


def status() -> Status:
    """Whether suggestions are on, and why not when they are off (two queries)."""
    current = _current_decisions().order_by()
    total = current.count()
    kinds = current.values("kind").distinct().count()
    needed = min_decisions()
    version = latest_version()
    if total < needed or kinds < 2:
        reason = (
            f"Learned suggestions are off: {total} decision(s) of {kinds} kind(s) so far; "
            f"they start at {needed} decisions of at least 2 kinds."
        )
        return Status(False, reason, total, kinds, needed, None)
    if version is None:
        return Status(
            False,
            "Learned suggestions are off until the first model is trained (hourly, or "
            "manage.py shell: workflow.learning.service.retrain()).",
            total,
            kinds,
            needed,
            None,
        )
    return Status(
        True,
        f"Suggestions from model v{version.pk}, trained on {version.training_size} decisions.",
        total,
        kinds,
        needed,
        version,
    )


def latest_version() -> SuggestionModel | None:
    """The newest trained version (its fitted bytes deferred), kept once per process.

    Every review page asks.  Each call still asks the database which row is newest
    (its id and training time: one probe of the primary key, no JSON decoded, no model
    built), so a version trained by another process (the hourly task) or deleted is
    seen on the very next call; only the row's other fields are not read again.
    """
    table = SuggestionModel._meta.db_table  # from the model, not from input
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, created_at FROM {table} ORDER BY id DESC LIMIT 1")  # nosec B608
        newest = cursor.fetchone()
    if newest is None:
        return None
    key = (newest[0], newest[1])
    version = _latest.get(key)
    if version is None:
        version = SuggestionModel.objects.defer("fitted").filter(pk=key[0]).first()
        if version is None:  # deleted since: read the newest the usual way
            return SuggestionModel.objects.defer("fitted").order_by("-id").first()
        _latest.clear()
        _latest[key] = version
    return version


def _sign(data: bytes) -> str:
    key = hashlib.sha256(b"declass-suggestion-model:" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _training_rows() -> list[tuple[int, str, int, list[str], str, list[Any], str]]:
    return list(
        _current_decisions()
        .order_by("id")
        .values_list(
            "id", "paragraph__text", "paragraph__level", "paragraph__controls", "kind", "spans",
            "label",
        )
    )  # fmt: skip


def _label_of(kind: str, spans: list[Any], label: str) -> str:
    if kind == Decision.Kind.WITHHOLD:
        return label
    if kind == Decision.Kind.REDACT and spans:
        return str(spans[0].get("label", ""))
    return ""


def retrain(*, force: bool = False) -> SuggestionModel | None:
    """Train a new version when the current decisions changed since the last one (or
    ``force``) and enough exist; else nothing (None).  Safe to run twice or at once:
    one training at a time (advisory lock), and an unchanged set trains nothing."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
            if not cursor.fetchone()[0]:
                log.info("learned suggestions: another training is running")
                return None
        rows = _training_rows()
        kinds = [r[4] for r in rows]
        if len(rows) < min_decisions() or len(set(kinds)) < 2:
            log.info("learned suggestions: %d decisions, not enough to train", len(rows))
            return None
        digest = hashlib.sha256(",".join(str(r[0]) for r in rows).encode()).hexdigest()
        latest = latest_version()
        if latest is not None and latest.decisions_digest == digest and not force:
            return None
        examples = [pipeline.Example(r[1], int(r[2]), tuple(r[3] or ())) for r in rows]
        labels = [_label_of(r[4], r[5] or [], r[6]) for r in rows]
        metrics = pipeline.evaluate(examples, kinds, labels, threshold=confidence_threshold())
        fitted = pipeline.fit(examples, kinds, labels)
        metrics["calibrated"] = fitted.calibrated
        data = fitted.dumps()
        version = SuggestionModel.objects.create(
            created_at=timezone.now(),
            training_size=len(rows),
            decisions_digest=digest,
            classes=fitted.kind_classes,
            labels=fitted.label_classes,
            metrics=metrics,
            sklearn_version=fitted.sklearn_version,
            fitted=data,
            fitted_hmac=_sign(data),
        )
    log.info("learned suggestions: trained v%s on %d decisions", version.pk, len(rows))
    return version


def fitted_for(version: SuggestionModel) -> pipeline.Fitted:
    """The fitted models of a version, loaded once per process; refused when the stored
    bytes do not carry this service's signature."""
    if version.pk not in _loaded:
        data = bytes(SuggestionModel.objects.values_list("fitted", flat=True).get(pk=version.pk))
        if not hmac.compare_digest(_sign(data), version.fitted_hmac):
            raise ValueError(f"suggestion model v{version.pk} is not signed by this service")
        _loaded.clear()
        _loaded[version.pk] = pipeline.loads(data)
    return _loaded[version.pk]


@dataclass(frozen=True)
class LearnedSuggestion:
    paragraph_id: int
    kind: str
    confidence: float
    label: str
    confident: bool  # at or above the shipped threshold
    version: int
    shown_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "confidence": round(self.confidence, 4),
            "label": self.label,
            "confident": self.confident,
            "model_version": self.version,
            "shown_id": self.shown_id,
        }


def predict_paragraphs(
    paragraphs: list[Paragraph], state: Status | None = None
) -> tuple[SuggestionModel | None, list[pipeline.Prediction]]:
    """The latest version's predictions for these paragraphs (no access check: callers
    pass paragraphs they have checked, or use only the numbers, as triage does)."""
    state = state or status()
    if not state.enabled or state.version is None:
        return None, []
    fitted = fitted_for(state.version)
    examples = [pipeline.Example(p.text, int(p.level), tuple(p.controls or ())) for p in paragraphs]
    return state.version, fitted.predict(examples)


def suggestions_for(
    user: Any, cable: Cable, *, record: bool = True
) -> tuple[Status, dict[int, LearnedSuggestion]]:
    """The model's suggestion for each undecided paragraph of the cable the user may
    read, each recorded as shown to the user with the model's version (``record``)."""
    state = status()
    if not state.enabled:
        return state, {}
    decided = set(_current_decisions().filter(cable=cable).values_list("paragraph_id", flat=True))
    paragraphs = [
        p for p in access.cleared_paragraphs(user, cable).order_by("ordinal") if p.pk not in decided
    ]
    version, predictions = predict_paragraphs(paragraphs, state)
    if version is None:
        return state, {}
    threshold = confidence_threshold()
    now = timezone.now()
    shown = [
        SuggestionShown(
            user=user,
            cable=cable,
            paragraph=p,
            source=SuggestionShown.Source.LEARNED,
            kind=pred.kind,
            label=pred.label,
            confidence=pred.confidence,
            model_version=version,
            shown_at=now,
        )
        for p, pred in zip(paragraphs, predictions, strict=True)
    ]
    if record and shown:
        SuggestionShown.objects.bulk_create(shown)
    out = {
        p.pk: LearnedSuggestion(
            paragraph_id=p.pk,
            kind=pred.kind,
            confidence=pred.confidence,
            label=pred.label,
            confident=pred.confidence >= threshold,
            version=version.pk,
            shown_id=row.pk if record else None,
        )
        for p, pred, row in zip(paragraphs, predictions, shown, strict=True)
    }
    return state, out
