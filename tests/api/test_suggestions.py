"""Decide once through the API, as each persona uses it: suggestions (a SECRET source never
named to a C-cleared reviewer), a supervisor's propagation (preview, then apply), a QC
sample re-decided blind, and agreement rates for supervisors only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from cables.markings import Level
from cables.similarity import store
from tests.api.helpers import token_client
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, DecisionOrigin, ReviewState

pytestmark = pytest.mark.django_db

TEXT = (
    "The defence attache met Colonel Amadou Diallo at the barracks on Friday. He said the "
    "army would stay neutral in the election and asked for more training places in the "
    "United States for his officers, adding that the president had not consulted him."
)
EDITED = TEXT.replace("on Friday", "on Saturday")


def person(name, level=Level.TS, supervise=False):
    user = UserFactory(username=name)
    Clearance.objects.create(user=user, level=int(level))
    if supervise:
        user.user_permissions.add(Permission.objects.get(codename="supervise_review"))
    return user


def cable_with(text, level=Level.C, state=ReviewState.IN_REVIEW):
    cable = CableFactory(level=int(level), review_state=state)
    paragraph = ParagraphFactory(cable=cable, ordinal=1, level=int(level), text=text)
    store.index_cables([cable.pk])
    return cable, paragraph


@pytest.fixture
def world():
    wanda = person("wanda")
    secret, source_p = cable_with(TEXT, Level.S)
    source = Decision.objects.create(
        cable=secret,
        paragraph=source_p,
        kind="withhold",
        label="(b)(1) 1.4(d)",
        decided_by=wanda,
        decided_at=timezone.now(),
    )
    target, target_p = cable_with(EDITED, Level.C)
    other, other_p = cable_with(TEXT, Level.C)
    carol = person("carol", Level.C)
    permissions.grant(permissions.REVIEW, carol, target)
    sue = person("sue", supervise=True)
    permissions.grant(permissions.VIEW, sue, secret)
    for cable in (target, other):
        permissions.grant(permissions.REVIEW, sue, cable)
    return locals()


def test_a_c_cleared_reviewer_gets_suggestions_without_the_secret_source(world):
    api = token_client(world["carol"])

    body = api.get(f"/api/cables/{world['target'].pk}/suggestions/").json()

    assert body["model"]["enabled"] is False
    assert "off" in body["model"]["message"]
    [row] = body["paragraphs"]
    assert row["paragraph"] == world["target_p"].pk
    assert row["reuse"]["kind"] == "withhold" and row["reuse"]["label"] == "(b)(1) 1.4(d)"
    assert row["reuse"]["source_cable"] is None and row["reuse"]["source_decision"] is None
    assert world["secret"].reference_id not in str(body) and "wanda" not in str(body)
    assert row["learned"] is None


def test_suggestions_are_for_reviewers_of_the_cable_only(world):
    outsider = person("olga")
    assert (
        token_client(outsider).get(f"/api/cables/{world['target'].pk}/suggestions/").status_code
        == 404
    )
    assert token_client().get(f"/api/cables/{world['target'].pk}/suggestions/").status_code == 401


def test_accepting_the_reuse_suggestion_with_one_request(world):
    api = token_client(world["carol"])
    api.get(f"/api/cables/{world['target'].pk}/suggestions/")

    answer = api.post(
        f"/api/paragraphs/{world['target_p'].pk}/suggested-decision/",
        {"based_on": None, "accept": "reuse"},
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    assert answer.json()["kind"] == "withhold" and answer.json()["decided_by"] == "carol"
    origin = DecisionOrigin.objects.get(decision_id=answer.json()["id"])
    assert origin.via == "reuse" and origin.source_decision == world["source"]


def test_a_supervisors_propagation_preview_then_apply(world):
    api = token_client(world["sue"])
    url = f"/api/decisions/{world['source'].pk}/propagation/"

    preview = api.post(url + "preview/", format="json").json()

    assert preview["source"]["cable_reference"] == world["secret"].reference_id
    targets = {t["paragraph"]: t for t in preview["targets"]}
    assert set(targets) == {world["target_p"].pk, world["other_p"].pk}
    assert all(t["applicable"] and t["kind"] == "withhold" for t in targets.values())
    assert not Decision.objects.filter(decided_by=world["sue"]).exists()

    applied = api.post(
        url + "apply/",
        {"targets": [{"paragraph": p, "based_on": None} for p in targets]},
        format="json",
    )

    assert applied.status_code == 201, applied.json()
    recorded = Decision.objects.filter(pk__in=applied.json()["recorded"])
    assert {d.paragraph_id for d in recorded} == set(targets)
    assert {d.decided_by.username for d in recorded} == {"sue"}
    assert {d.origin.source_decision_id for d in recorded} == {world["source"].pk}

    again = api.post(
        url + "apply/",
        {"targets": [{"paragraph": world["target_p"].pk, "based_on": None}]},
        format="json",
    )
    assert again.status_code == 400  # decided the same way now: nothing to propagate


def test_propagation_is_for_supervisors_who_may_read_the_source(world):
    url = f"/api/decisions/{world['source'].pk}/propagation/preview/"
    assert token_client(world["carol"]).post(url).status_code == 404
    low_supervisor = person("lou", Level.C, supervise=True)
    permissions.grant(permissions.VIEW, low_supervisor, world["secret"])
    assert token_client(low_supervisor).post(url).status_code == 404


def test_a_qc_sample_is_redecided_blind(world, settings):
    settings.DECLASS_QC_SAMPLE_PCT = 100
    second = person("second")
    permissions.grant(permissions.REVIEW, second, world["secret"])
    wanda_api = token_client(world["wanda"])
    second_api = token_client(second)

    tasks = second_api.get("/api/qc/tasks/").json()

    assert tasks["count"] == 1
    [task] = tasks["results"]
    assert task["task"] == world["source"].pk and task["text"] == TEXT
    assert not {"kind", "label", "decided_by"} & set(task)
    assert "1.4(d)" not in str(tasks) and "wanda" not in str(tasks)
    assert wanda_api.get("/api/qc/tasks/").json()["count"] == 0  # not one's own

    answer = second_api.post(
        f"/api/qc/tasks/{task['task']}/", {"kind": "withhold", "label": "(b)(6)"}, format="json"
    )

    assert answer.status_code == 201 and answer.json() == {"recorded": True}
    assert second_api.get("/api/qc/tasks/").json()["count"] == 0
    stats = token_client(world["sue"]).get("/api/qc/agreement/").json()
    assert stats["per_reviewer"]["wanda"] == {"n": 1, "agreed": 0, "rate": 0.0}
    assert token_client(second).get("/api/qc/agreement/").status_code == 404


def test_triage_answers_without_a_model(world):
    body = token_client(world["carol"]).get(f"/api/cables/{world['target'].pk}/triage/").json()
    assert body == {
        "cable": world["target"].pk,
        "sensitivity": None,
        "all_release_confident": False,
        "undecided": 1,
        "hidden": 0,
        "model_version": None,
    }
