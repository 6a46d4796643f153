"""``current_rules()`` keeps the active rules built until their digest changes: it must see
every change that alters what is applied, and build nothing when nothing changed."""

from __future__ import annotations

import pytest
from psycopg.types.json import Jsonb

from redaction import proposals
from redaction.models import ProposedRedaction, RedactionRule, RuleVersion
from redaction.proposals import current_rules, proposals_apply
from redaction.rule_services import rule_activate, rule_deactivate, rule_save
from redaction.rule_specs import active_rules
from tests.db_roles import superuser_connection
from tests.factories import CableFactory, ParagraphFactory

pytestmark = pytest.mark.django_db

TEXT = "Ambassador Jane Doe met the minister of finance in Exampletown."


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """Each time the rules are built from their definitions; the cache starts empty (it is
    the process's, and outlives a test's rolled-back rows)."""
    calls: list[int] = []

    def counted():
        calls.append(1)
        return active_rules()

    monkeypatch.setattr(proposals, "_current", ("", []))
    monkeypatch.setattr(proposals, "active_rules", counted)
    return calls


def make_rule(terms: str = "Jane Doe", *, activate: bool = True) -> RedactionRule:
    rule = RedactionRule(name="names", kind="terms", terms=terms, label="(b)(6)", action="redact")
    rule_save(rule=rule, user=None)
    if activate:
        rule_activate(rule=rule, user=None)
    return rule


def specs() -> list[object]:
    return [r.spec for r in current_rules()]


def live() -> list[object]:
    return [r.spec for r in active_rules()]


def test_nothing_changed_nothing_is_built_again(builds):
    make_rule()
    first = current_rules()

    again = [current_rules() for _ in range(3)]

    assert len(builds) == 1
    assert all(rules is first for rules in again)
    assert [r.spec.id for r in first] == [RedactionRule.objects.get().pk]


def test_no_active_rule_is_an_empty_list_built_once(builds):
    make_rule(activate=False)  # saved, never activated

    assert current_rules() == [] and current_rules() == []
    assert len(builds) == 1


def test_a_rule_saved_and_activated_is_seen(builds):
    make_rule("Jane Doe")
    assert len(specs()) == 1

    second = make_rule("Exampletown")

    assert second.pk in {s.id for s in specs()}
    assert specs() == live() and len(specs()) == 2
    assert len(builds) == 2


def test_an_edit_is_seen_when_it_is_activated_not_when_it_is_saved(builds):
    rule = make_rule("Jane Doe")
    (before,) = specs()

    # saved: the live version is still the old one
    rule.terms = "minister"
    rule_save(rule=rule, user=None)
    assert specs() == [before] == live()

    # activated: the new version is applied
    rule_activate(rule=rule, user=None)
    (after,) = specs()
    assert (after.version, after.terms) == (2, ("minister",))
    assert specs() == live()


def test_a_deactivated_rule_is_gone_and_reactivated_is_back(builds):
    rule = make_rule()
    assert len(specs()) == 1

    rule_deactivate(rule=rule, user=None)
    assert specs() == []

    rule_activate(rule=rule, user=None)
    assert [s.id for s in specs()] == [rule.pk]


@pytest.mark.django_db(transaction=True)  # the superuser's connection sees what committed
def test_a_definition_changed_in_place_is_seen(builds):
    """The same id and version with another definition (a superuser in the database,
    past the trigger that refuses it, redaction migration 0004): the digest covers the
    definition, not only the version numbers."""
    rule = make_rule("Jane Doe")
    assert specs()[0].terms == ("Jane Doe",)
    version = RuleVersion.objects.get(rule=rule, version=rule.active_version)

    with superuser_connection() as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")  # triggers off
        conn.execute(
            "UPDATE redaction_ruleversion SET definition = %s WHERE id = %s",
            [Jsonb({**version.definition, "terms": "Exampletown"}), version.pk],
        )

    assert specs()[0].terms == ("Exampletown",)
    assert len(builds) == 2


def test_applying_uses_the_rules_as_they_are_now(builds):
    cable = CableFactory()
    paragraph = ParagraphFactory(cable=cable, ordinal=1, text=TEXT)
    rule = make_rule("Jane Doe")

    def found() -> list[str]:
        proposals_apply([cable.pk])
        return [paragraph.text[p.start : p.end] for p in ProposedRedaction.objects.all()]

    assert found() == ["Jane Doe"]
    rule.terms = "Exampletown"
    rule_save(rule=rule, user=None)
    rule_activate(rule=rule, user=None)
    assert found() == ["Exampletown"]
    rule_deactivate(rule=rule, user=None)
    assert found() == []
