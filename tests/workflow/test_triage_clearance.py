"""Triage figures are the reader's own: the predicted sensitivity, the undecided count and
the read-and-confirm offer are computed over the paragraphs she may read, the pages and
the API say how many paragraphs are above her clearance, and a batch release refuses a
cable she is not cleared for whole with one answer, whatever became of the paragraphs
she may not read.

Each test is written as the reviewer, through the pages and the API she uses: one
cleared TOP SECRET, who gets the model's figures over every undecided paragraph as
before, and one cleared UNCLASSIFIED, who gets them over what she reads.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cables.markings import Level
from cables.similarity import store
from tests.api.helpers import token_client
from tests.factories import CableFactory, ParagraphFactory
from tests.workflow.test_decide_once_pages import (  # a model trained on 60 decisions
    person,
    released_text,
    trained,  # noqa: F401  (the fixture)
    withheld_text,
)
from workflow import permissions
from workflow.learning import service as learning
from workflow.models import Decision, ReviewState
from workflow.review import decision_record
from workflow.triage import ABOVE_CLEARANCE

pytestmark = pytest.mark.django_db

VISIBLE = released_text(2)


def cable_over(hidden_text: str) -> Any:
    """A CONFIDENTIAL cable: an unclassified wheat report, and ``hidden_text`` marked
    CONFIDENTIAL (an unclassified subject: only the paragraphs are to decide)."""
    cable = CableFactory(
        level=int(Level.C), review_state=ReviewState.IN_REVIEW, subject_level=int(Level.U)
    )
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U), text=VISIBLE)
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.C), text=hidden_text)
    store.index_cables([cable.pk])
    return cable


@pytest.fixture
def desk(trained) -> dict[str, Any]:  # noqa: F811  (the imported fixture)
    """Two cables alike but for their CONFIDENTIAL paragraph (a wheat report in ``calm``,
    a confidence the model withholds in ``hot``), reviewed by ``tess`` (cleared TOP
    SECRET) and ``uma`` (cleared UNCLASSIFIED)."""
    tess = person("tess", Level.TS)
    uma = person("uma", Level.U)
    calm, hot = cable_over(released_text(4)), cable_over(withheld_text(5))
    for user in (tess, uma):
        permissions.grant(permissions.REVIEW, user, [calm, hot])
    return {"tess": tess, "uma": uma, "calm": calm, "hot": hot}


def model_sensitivity(paragraphs: list[Any]) -> float:
    """The model's figure over ``paragraphs``, as triage computes it: the highest
    predicted probability that one of them is not released in full."""
    _, predictions = learning.predict_paragraphs(paragraphs)
    return max(1 - p.probabilities.get("release", 0.0) for p in predictions)


def triage_of(user: Any, cable: Any) -> dict[str, Any]:
    answer = token_client(user).get(f"/api/cables/{cable.pk}/triage/")
    assert answer.status_code == 200
    return answer.json()


def shown_sensitivity(body: str, cable: Any) -> tuple[int | None, int]:
    """The queue row's sensitivity figure (percent) and the count it says is above the
    reader's clearance (0 when it says none)."""
    row = next((r for r in body.split("<tr>") if f">{cable.reference_id}</a>" in r), "")
    figure = re.search(r"sensitivity (\d+)%", row)
    hidden = re.search(r"\((\d+) paragraphs? above your clearance not counted\)", row)
    return (
        int(figure.group(1)) if figure else None,
        int(hidden.group(1)) if hidden else 0,
    )


# -- the API --------------------------------------------------------------------------------


def test_a_fully_cleared_reviewer_gets_the_models_figures_over_every_undecided_paragraph(desk):
    for name in ("calm", "hot"):
        cable = desk[name]
        every = list(cable.paragraphs.order_by("ordinal"))

        body = triage_of(desk["tess"], cable)

        assert body["sensitivity"] == round(model_sensitivity(every), 4)
        assert (body["undecided"], body["hidden"]) == (2, 0)
        assert body["model_version"] == learning.status().version.pk
    assert triage_of(desk["tess"], desk["calm"])["all_release_confident"] is True
    assert triage_of(desk["tess"], desk["hot"])["all_release_confident"] is False


def test_an_uncleared_reviewer_gets_figures_over_what_she_reads_and_the_hidden_count(desk):
    visible = [desk["calm"].paragraphs.get(ordinal=1)]

    answers = [triage_of(desk["uma"], desk[name]) for name in ("calm", "hot")]

    for body in answers:
        assert body["sensitivity"] == round(model_sensitivity(visible), 4)
        assert (body["undecided"], body["hidden"]) == (1, 1)
        # Never offered as a batch: she cannot read the cable whole.
        assert body["all_release_confident"] is False
    assert answers[0] | {"cable": 0} == answers[1] | {"cable": 0}


def test_the_undecided_count_does_not_tell_whether_a_hidden_paragraph_is_decided(desk):
    decision_record(
        user=desk["tess"],
        paragraph=desk["hot"].paragraphs.get(ordinal=2),
        kind="withhold",
        based_on=None,
        label="(b)(1) 1.4(d)",
    )

    calm, hot = (triage_of(desk["uma"], desk[name]) for name in ("calm", "hot"))

    assert (hot["undecided"], hot["hidden"]) == (calm["undecided"], calm["hidden"]) == (1, 1)
    # tess, cleared for it, sees the decision in her count.
    assert triage_of(desk["tess"], desk["hot"])["undecided"] == 1


# -- the queue sorted by predicted sensitivity -------------------------------------------


def test_the_queue_ranks_by_what_the_reader_may_read_and_says_how_much_is_hidden(client, desk):
    url = reverse("workflow:queue")

    client.force_login(desk["tess"])
    tess_body = client.get(url, {"sort": "sensitivity"}).content.decode()
    client.force_login(desk["uma"])
    uma = client.get(url, {"sort": "sensitivity"})
    uma_body = uma.content.decode()

    calm, hot = (shown_sensitivity(tess_body, desk[n]) for n in ("calm", "hot"))
    assert calm[0] is not None and hot[0] is not None and hot[0] > calm[0]
    assert calm[1] == hot[1] == 0  # nothing hidden from her: no count
    calm, hot = (shown_sensitivity(uma_body, desk[n]) for n in ("calm", "hot"))
    assert calm == hot and calm[0] is not None and calm[1] == 1
    # The order is the date order among equals: nothing hidden moves it.
    assert {c.pk for c in uma.context["page"]} == {desk["calm"].pk, desk["hot"].pk}
    for name in ("calm", "hot"):
        confirm = reverse("workflow:read_and_confirm", args=[desk[name].pk])
        assert confirm not in uma_body
    assert reverse("workflow:read_and_confirm", args=[desk["calm"].pk]) in tess_body


def test_the_queue_by_sensitivity_reads_no_more_queries_for_more_cables(client, desk):
    """The triage of the ranked cables is set-based: as many queries for two cables as
    for ten, for a reviewer with paragraphs above her clearance on each."""
    client.force_login(desk["uma"])
    url = reverse("workflow:queue")
    client.get(url, {"sort": "sensitivity"})  # session and per-process caches warm

    with CaptureQueriesContext(connection) as two:
        client.get(url, {"sort": "sensitivity"})
    more = [cable_over(withheld_text(n) if n % 2 else released_text(n)) for n in range(10, 18)]
    permissions.grant(permissions.REVIEW, desk["uma"], more)
    with CaptureQueriesContext(connection) as ten:
        body = client.get(url, {"sort": "sensitivity"}).content.decode()

    assert body.count("1 paragraph above your clearance not counted") == 10
    assert len(ten.captured_queries) == len(two.captured_queries)


# -- read and confirm -------------------------------------------------------------------


def test_the_batch_offers_the_cleared_reviewer_what_the_model_releases_and_her_colleague_none(
    client, desk
):
    client.force_login(desk["tess"])
    tess_body = client.get(reverse("workflow:triage")).content.decode()
    client.force_login(desk["uma"])
    uma_body = client.get(reverse("workflow:triage")).content.decode()

    assert desk["calm"].reference_id in tess_body
    assert desk["hot"].reference_id not in tess_body
    assert 'id="not-cleared"' not in tess_body
    assert desk["calm"].reference_id not in uma_body
    assert desk["hot"].reference_id not in uma_body
    assert "2 of them have paragraphs above your clearance" in uma_body


def test_the_read_and_confirm_page_is_not_offered_to_a_reviewer_not_cleared_for_it(client, desk):
    client.force_login(desk["uma"])
    url = reverse("workflow:read_and_confirm", args=[desk["calm"].pk])

    page = client.get(url)
    body = page.content.decode()

    assert 'id="not-offered"' in body and 'id="confirm-form"' not in body
    assert "some of its paragraphs are above your clearance" in body
    assert "1 paragraph above your clearance" in body
    assert VISIBLE in body and released_text(4) not in body
    # A token from her page cannot release the cable either.
    refused = client.post(url, {"shown": page.context["token"]}, follow=True)
    assert ABOVE_CLEARANCE in refused.content.decode()
    assert not Decision.objects.filter(cable=desk["calm"]).exists()


# -- the batch release over the API -----------------------------------------------------


def test_the_batch_release_refuses_her_alike_whatever_the_hidden_paragraphs_state(desk):
    """One refusal, said before any decision is read: the hidden paragraph of ``hot`` is
    decided, ``calm``'s is not, and her own paragraph is undecided on both, shown."""
    decision_record(
        user=desk["tess"],
        paragraph=desk["hot"].paragraphs.get(ordinal=2),
        kind="withhold",
        based_on=None,
        label="(b)(1) 1.4(d)",
    )
    api = token_client(desk["uma"])

    answers = [
        api.post(
            f"/api/cables/{desk[n].pk}/batch-release/",
            {"shown": [desk[n].paragraphs.get(ordinal=1).pk]},
            format="json",
        )
        for n in ("calm", "hot")
    ]

    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert ABOVE_CLEARANCE in str(answers[0].json())
    assert Decision.objects.filter(decided_by=desk["uma"]).count() == 0


def test_the_fully_cleared_reviewer_still_releases_the_batch(desk):
    cable = desk["calm"]
    shown = list(cable.paragraphs.values_list("pk", flat=True))

    answer = token_client(desk["tess"]).post(
        f"/api/cables/{cable.pk}/batch-release/", {"shown": shown}, format="json"
    )

    assert answer.status_code == 201, answer.json()
    decisions = Decision.objects.filter(cable=cable)
    assert {d.paragraph_id for d in decisions} == set(shown)
    assert all(d.kind == "release" and d.origin.via == "batch" for d in decisions)
