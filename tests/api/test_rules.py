"""Redaction rules over the API: only for rule editors, every save a version, refusals say why."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from redaction.models import RedactionRule, RuleJob
from tests.api.helpers import token_client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TERMS_RULE = {
    "name": "Source names",
    "kind": "terms",
    "terms": "Jane Doe\nJohn Roe",
    "label": "(b)(6)",
    "action": "redact",
    "priority": 5,
    "scope_tags": ["PREL"],
}


@pytest.fixture
def editor():
    user = UserFactory(username="editor")
    user.groups.add(Group.objects.get(name="rule editor"))
    return token_client(user)


def test_an_editor_creates_a_rule_as_version_one_not_live(editor):
    response = editor.post("/api/rules/", TERMS_RULE, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["active"], body["updated_by"]) == (1, False, "editor")
    rule = RedactionRule.objects.get(pk=body["id"])
    assert rule.versions.count() == 1
    assert AuditEvent.objects.filter(action="rule.saved", object_id=str(rule.pk)).exists()


def test_a_rule_the_engine_cannot_run_is_refused_with_the_reason(editor):
    response = editor.post(
        "/api/rules/", {**TERMS_RULE, "kind": "regex", "pattern": "Doe(?= said)"}, format="json"
    )

    assert response.status_code == 400
    problems = " ".join(response.json()["non_field_errors"])
    assert "is not valid RE2 syntax" in problems, problems
    assert "lookaheads are not supported" in problems, problems
    assert not RedactionRule.objects.exists()


def test_an_edit_is_a_new_version_and_activation_queues_a_job(editor):
    rule = editor.post("/api/rules/", TERMS_RULE, format="json").json()

    edited = editor.patch(f"/api/rules/{rule['id']}/", {"terms": "Jane Doe"}, format="json")
    activated = editor.post(f"/api/rules/{rule['id']}/activate/")
    versions = editor.get(f"/api/rules/{rule['id']}/versions/").json()

    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert activated.status_code == 200
    assert activated.json()["rule_version"] == 2
    assert RuleJob.objects.filter(pk=activated.json()["id"]).exists()
    live = editor.get(f"/api/rules/{rule['id']}/").json()
    assert (live["active"], live["active_version"]) == (True, 2)
    assert [v["version"] for v in versions["results"]] == [2, 1]
    assert versions["results"][0]["changes"] == {"terms": ["Jane Doe\nJohn Roe", "Jane Doe"]}

    deactivated = editor.post(f"/api/rules/{rule['id']}/deactivate/")
    assert deactivated.status_code == 200
    assert editor.get(f"/api/rules/{rule['id']}/").json()["active"] is False


def test_reading_rules_needs_the_view_permission_and_editing_the_change_one():
    from django.contrib.auth.models import Permission

    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_redactionrule"))
    client = token_client(reader)
    rule = RedactionRule.objects.create(name="r", kind="terms", terms="x", label="(b)(6)")

    assert client.get("/api/rules/").status_code == 200
    assert client.post("/api/rules/", TERMS_RULE, format="json").status_code == 403
    assert client.patch(f"/api/rules/{rule.pk}/", {"name": "y"}, format="json").status_code == 403
    assert client.post(f"/api/rules/{rule.pk}/activate/").status_code == 403


def test_a_missing_rule_is_404(editor):
    assert editor.get("/api/rules/999/").status_code == 404
    assert editor.post("/api/rules/999/activate/").status_code == 404


def test_a_regex_python_would_backtrack_on_is_saved_and_runs_in_linear_time(editor):
    """Nothing backtracks (RE2 and hyperscan), so no shape is refused for its speed."""
    response = editor.post(
        "/api/rules/",
        {**TERMS_RULE, "kind": "regex", "pattern": r"[a-z]*y[a-z]*y[a-z]*z"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["pattern"] == r"[a-z]*y[a-z]*y[a-z]*z"
