"""Between stored rules and the pure redaction engine: definitions, specs and scopes.

A rule's *definition* is the JSON snapshot of its editable fields kept in each
``RuleVersion``; the engine gets a frozen *spec* built from it, and the
*scope* (posts, TAGS, classification, date range) decides which cables it
may touch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import F, Q

from cables.models import CableTag
from redaction.engine import (
    MarkingRule,
    PersonalDataRule,
    RegexRule,
    RuleError,
    RuleSpec,
    TermListRule,
    validate_rule,
)
from redaction.models import RedactionRule, RuleVersion

DEFINITION_FIELDS = (
    "name", "kind", "terms", "pattern", "personal_kinds", "min_level", "controls", "label",
    "action", "priority", "scope_posts", "scope_tags", "scope_levels", "scope_from", "scope_to",
)  # fmt: skip


def rule_definition(rule: RedactionRule) -> dict[str, Any]:
    """The rule's editable fields as JSON values (dates as ISO strings)."""
    out: dict[str, Any] = {}
    for name in DEFINITION_FIELDS:
        value = getattr(rule, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def _terms(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.splitlines() if t.strip())


def rule_spec(rule_id: int, version: int, definition: dict[str, Any]) -> RuleSpec:
    """The engine's frozen spec for one version of a rule."""
    common = {
        "id": rule_id,
        "version": max(version, 1),
        "label": definition["label"],
        "action": definition["action"],
        "priority": definition["priority"],
    }
    kind = definition["kind"]
    if kind == RedactionRule.Kind.TERMS:
        return TermListRule(**common, terms=_terms(definition["terms"]))
    if kind == RedactionRule.Kind.REGEX:
        return RegexRule(**common, pattern=definition["pattern"])
    if kind == RedactionRule.Kind.PERSONAL:
        kinds = tuple(definition["personal_kinds"] or ())
        return PersonalDataRule(**common, **({"kinds": kinds} if kinds else {}))
    if kind == RedactionRule.Kind.MARKING:
        return MarkingRule(
            **common,
            min_level=definition["min_level"],
            controls=frozenset(definition["controls"] or ()),
        )
    raise RuleError([f"unknown rule kind {kind!r}"])


def rule_problems(rule: RedactionRule) -> list[str]:
    """Why the rule as edited cannot be saved (empty when it can)."""
    definition = rule_definition(rule)
    try:
        spec = rule_spec(rule.pk or 1, rule.version + 1, definition)
        validate_rule(spec)
    except RuleError as exc:
        return [p.split(": ", 1)[-1] if p.startswith("rule ") else p for p in exc.problems]
    except (TypeError, ValueError) as exc:
        return [str(exc)]
    problems = []
    if definition["kind"] == RedactionRule.Kind.MARKING and (
        definition["min_level"] is None and not definition["controls"]
    ):
        problems.append("a marking rule needs a level or at least one control")
    if rule.scope_from and rule.scope_to and rule.scope_from > rule.scope_to:
        problems.append("the scope's start date is after its end date")
    return problems


@dataclass(frozen=True)
class Scope:
    """Which cables a rule may touch, judged on their header."""

    posts: frozenset[str]
    tags: frozenset[str]
    levels: frozenset[int]
    date_from: date | None
    date_to: date | None

    @classmethod
    def of(cls, definition: dict[str, Any]) -> Scope:
        def day(value: str | None) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(
            posts=frozenset(p.strip().lower() for p in definition["scope_posts"] or ()),
            tags=frozenset(t.strip().upper() for t in definition["scope_tags"] or ()),
            levels=frozenset(int(x) for x in definition["scope_levels"] or ()),
            date_from=day(definition["scope_from"]),
            date_to=day(definition["scope_to"]),
        )

    @property
    def everything(self) -> bool:
        return not (self.posts or self.tags or self.levels or self.date_from or self.date_to)

    def matches(
        self, *, origin: str, tags: list[str], level: int, sent_at: datetime | None
    ) -> bool:
        if self.posts and origin.lower() not in self.posts:
            return False
        if self.tags and not self.tags.intersection(t.upper() for t in tags):
            return False
        if self.levels and level not in self.levels:
            return False
        if self.date_from or self.date_to:
            if sent_at is None:
                return False
            day = sent_at.date()
            if (self.date_from and day < self.date_from) or (self.date_to and day > self.date_to):
                return False
        return True

    def cables(self) -> Q:
        """The same test as ``matches``, as a filter on Cable."""
        q = Q()
        if self.posts:
            posts = Q()
            for post in self.posts:
                posts |= Q(origin__iexact=post)
            q &= posts
        if self.tags:
            q &= Q(pk__in=CableTag.objects.filter(tag__in=self.tags).values("cable_id"))
        if self.levels:
            q &= Q(level__in=self.levels)
        if self.date_from:
            q &= Q(sent_at__date__gte=self.date_from)
        if self.date_to:
            q &= Q(sent_at__date__lte=self.date_to)
        return q


@dataclass(frozen=True)
class ActiveRule:
    spec: RuleSpec
    scope: Scope


def active_rules() -> list[ActiveRule]:
    """The live version of every active rule (one query)."""
    versions = RuleVersion.objects.filter(
        rule__active=True, version=F("rule__active_version")
    ).values_list("rule_id", "version", "definition")
    return [
        ActiveRule(rule_spec(rule_id, version, definition), Scope.of(definition))
        for rule_id, version, definition in versions
    ]
