"""Schemathesis against the API's own schema, through the WSGI application, over real
data: every operation, with generated requests, must never answer a server error.

The schema is fetched from ``/api/schema/`` as a client would. Each operation runs a
small, derandomised number of examples; a request that names an object is also sent
with the id of a real one, so that the views behind the 404 are exercised too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from django.contrib.auth.models import Group, Permission
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error

from cables.ingest import cables_import, expand_paths, sources_from_paths
from cables.models import Cable, Paragraph
from config.wsgi import application
from redaction.models import RedactionRule
from redaction.proposals import proposals_apply
from redaction.rule_services import rule_activate, rule_save
from tests.api.helpers import published_release
from tests.factories import UserFactory
from workflow import permissions
from workflow.assignment import assign
from workflow.models import Clearance
from workflow.review import decision_record

DEMO = Path(__file__).resolve().parents[2] / "cables" / "demo"

# Fuzzing: positive and negative requests, bounded by max_examples below, from a fixed
# seed.  The coverage phase (boundary values of every field) only for valid requests:
# its negative cases run into the thousands on the rule bodies.
CONFIG = schemathesis.Config.from_dict(
    {"seed": 20251130, "phases": {"coverage": {"generation": {"mode": "positive"}}}}
)
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@pytest.fixture
def same_connection():
    """Keep the test's database connection across requests, as Django's test client does:
    the WSGI handler would otherwise close it (and the test transaction) after each one."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def real_data(db, same_connection):
    """The demo cables imported, an active rule's proposals on them, a published release,
    and one user who may do everything through the API but read TOP SECRET paragraphs."""
    report = cables_import(sources_from_paths(expand_paths([DEMO])), workers=1)
    assert report.imported >= 10, report.as_dict()
    user = UserFactory(username="fuzzer")
    user.groups.add(Group.objects.get(name="rule editor"))
    user.user_permissions.add(Permission.objects.get(codename="change_cable"))
    Clearance.objects.create(user=user, level=2)
    cables = Cable.objects.filter(pk__in=report.imported_ids)
    permissions.grant(permissions.REVIEW, user, cables)
    permissions.grant(permissions.RELEASE, user, cables)
    rule = RedactionRule(name="names", kind="personal_data", label="(b)(6)", action="redact")
    rule_save(rule=rule, user=user)
    rule_activate(rule=rule, user=user)
    proposals_apply(report.imported_ids)
    _, token = AuthToken.objects.create(user)
    paragraph = Paragraph.objects.filter(cable_id__in=report.imported_ids, level__lte=2).first()
    release = published_release(cables.first(), user)
    # Assignments are fuzzed as a supervisor, with a batch given to the fuzzer to name.
    user.groups.add(Group.objects.get(name="supervisor"))
    root = UserFactory(username="root", is_superuser=True)
    batch = assign(actor=root, assignee=user, permission="view", cable_ids=report.imported_ids[:2])
    decision = decision_record(user=user, paragraph=paragraph, kind="release", based_on=None)
    return {
        "headers": {"Authorization": f"Token {token}"},
        "ids": {
            "cables": report.imported_ids[0],
            "paragraphs": paragraph.pk,
            "rules": rule.pk,
            "releases": release.pk,
            "assignments": batch.pk,
            "decisions": decision.pk,
            "qc": decision.pk,
        },
    }


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=20,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, real_data):
    headers = real_data["headers"]
    names_an_object = bool(case.path_parameters and "id" in case.path_parameters)
    # A write to a generated id stops at the 404 before its body is read: only reads
    # are sent to generated ids, every request once more to a real object.
    if case.method == "GET" or not names_an_object:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])
    if names_an_object:
        collection = case.operation.path.split("/")[2]
        real = {"id": real_data["ids"][collection]}
        if "name" in case.path_parameters:
            real["name"] = "release.txt"
        case.path_parameters = {**case.path_parameters, **real}
        case.call_and_validate(headers=headers, checks=[not_a_server_error])
