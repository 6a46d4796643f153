"""Review pages: queue, review page query count, decisions over htmx, security."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, ReviewState

pytestmark = pytest.mark.django_db


@pytest.fixture
def cable():
    cable = CableFactory(level=int(Level.S), review_state=ReviewState.DUE)
    ParagraphFactory(
        cable=cable,
        ordinal=1,
        level=int(Level.C),
        text="Talks with <script>alert('x')</script> went well.",
    )
    ParagraphFactory(
        cable=cable, ordinal=2, level=int(Level.S), text="TOPSECRETSOURCE said the plan holds."
    )
    return cable


@pytest.fixture
def rita(cable):
    user = UserFactory(username="rita")
    Clearance.objects.create(user=user, level=int(Level.C))
    permissions.grant(permissions.REVIEW, user, cable)
    return user


def test_queue_lists_only_my_cables_due_soonest_first(client, rita, cable):
    later = CableFactory(review_state=ReviewState.DUE, declass_date="2030-01-01")
    CableFactory(review_state=ReviewState.DUE)  # not mine
    permissions.grant(permissions.REVIEW, rita, later)
    client.force_login(rita)

    response = client.get(reverse("workflow:queue"))

    # the dated cable first; one without a date last
    assert [c.pk for c in response.context["page"]] == [later.pk, cable.pk]


def test_review_page_escapes_text_and_never_sends_paragraphs_above_clearance(client, rita, cable):
    client.force_login(rita)

    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in body  # escaped by Jinja2
    assert "<script>alert" not in body
    assert "TOPSECRETSOURCE" not in body
    assert "1 paragraph above your clearance" in body


def test_another_cables_id_gives_404_everywhere(client, rita, cable):
    other = CableFactory()
    hidden = ParagraphFactory(cable=other, ordinal=1)
    client.force_login(rita)

    assert client.get(reverse("workflow:review", args=[other.pk])).status_code == 404
    assert client.get(reverse("workflow:review", args=[999999])).status_code == 404
    assert (
        client.post(reverse("workflow:decide", args=[hidden.pk]), {"kind": "release"}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("workflow:transition", args=[other.pk]), {"target": "reviewed"}
        ).status_code
        == 404
    )
    assert client.get(reverse("releases:approval", args=[cable.pk])).status_code == 404
    assert not Decision.objects.exists()


def test_deciding_over_htmx_returns_the_updated_paragraph(client, rita, cable):
    client.force_login(rita)
    p1 = cable.paragraphs.get(ordinal=1)

    response = client.post(
        reverse("workflow:decide", args=[p1.pk]),
        {"kind": "withhold", "label": "(b)(1) 1.4(d)", "based_on": ""},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="para-{p1.pk}"' in body and "Withhold in full (b)(1) 1.4(d)" in body
    assert 'id="progress" hx-swap-oob="true">1 of 1 decided' in body


def test_a_stale_htmx_decision_gets_409_and_a_message(client, rita, cable):
    client.force_login(rita)
    p1 = cable.paragraphs.get(ordinal=1)
    url = reverse("workflow:decide", args=[p1.pk])
    client.post(url, {"kind": "release", "based_on": ""}, HTTP_HX_REQUEST="true")

    response = client.post(
        url, {"kind": "withhold", "label": "(b)(6)", "based_on": ""}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 409
    assert "rita decided this paragraph" in response.content.decode()
    assert Decision.objects.count() == 1


def test_csrf_is_enforced_on_decisions(rita, cable):
    client = Client(enforce_csrf_checks=True)
    client.force_login(rita)

    response = client.post(
        reverse("workflow:decide", args=[cable.paragraphs.first().pk]), {"kind": "release"}
    )

    assert response.status_code == 403
    assert not Decision.objects.exists()


def test_the_review_page_of_a_60_paragraph_cable_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries
):
    user = UserFactory()
    Clearance.objects.create(user=user, level=int(Level.TS))
    big = CableFactory()
    for n in range(1, 61):
        ParagraphFactory(
            cable=big,
            ordinal=n,
            text=f"Paragraph {n} mentions Jane Doe, who met the minister about the talks {n}.",
        )
    permissions.grant(permissions.REVIEW, user, big)
    other = UserFactory()
    permissions.grant(permissions.REVIEW, other, big)
    for p in big.paragraphs.all()[:30]:
        Decision.objects.create(
            cable=big, paragraph=p, kind="release", decided_by=other, decided_at=p.cable.imported_at
        )
    client.force_login(user)
    client.get(reverse("workflow:review", args=[big.pk]))  # per-process caches warm

    # 7 whatever the number of paragraphs and decisions (the issue allows 15): user
    # with clearance, cable+status (its grant checked in the same query), paragraphs
    # (text only where cleared), decisions, proposals, near-duplicates withheld
    # elsewhere, and the menu's permissions; the session comes from the cache.  Decide
    # once adds two, for the suggestions of the whole page: the undecided paragraphs'
    # near-duplicate candidates (one array query on the band index) and the latest
    # model version.  With decided near-duplicates found, two
    # more (their decisions; which sources the user may read) and one insert of what was
    # shown, never one per paragraph (tests/workflow/test_decide_once_pages.py).  The
    # near-duplicate candidates are looked up once for both panels (the consistency
    # panel's paragraphs include the undecided ones): 8.
    with django_assert_num_queries(8):
        response = client.get(reverse("workflow:review", args=[big.pk]))

    assert response.status_code == 200
    assert response.content.decode().count('class="paragraph') == 60


def test_audit_page_needs_the_auditor_role(client, rita):
    from django.contrib.auth.models import Group

    client.force_login(rita)
    assert client.get(reverse("workflow:audit")).status_code == 403
    rita.groups.add(Group.objects.get(name="auditor"))

    page = client.get(reverse("workflow:audit"))
    export = client.get(reverse("workflow:audit_export"))

    assert page.status_code == 200 and "permission.granted" in page.content.decode()
    assert export["Content-Type"] == "text/csv"
    assert b"permission.granted" in b"".join(export.streaming_content)


def test_a_reviewer_adds_then_removes_a_redaction(client, rita, cable):
    client.force_login(rita)
    p1 = cable.paragraphs.get(ordinal=1)
    url = reverse("workflow:decide", args=[p1.pk])
    client.post(url, {"kind": "redact", "start": 0, "end": 5, "label": "(b)(6)", "based_on": ""})
    first = Decision.objects.get()
    client.post(
        url, {"kind": "redact", "start": 6, "end": 10, "label": "(b)(5)", "based_on": first.pk}
    )
    second = Decision.objects.latest("id")

    client.post(url, {"kind": "redact", "remove": 0, "based_on": second.pk})

    spans = [d.spans for d in Decision.objects.order_by("id")]
    assert spans == [
        [{"start": 0, "end": 5, "label": "(b)(6)"}],
        [{"start": 0, "end": 5, "label": "(b)(6)"}, {"start": 6, "end": 10, "label": "(b)(5)"}],
        [{"start": 6, "end": 10, "label": "(b)(5)"}],
    ]


def test_granting_a_whole_batch_is_one_bulk_insert(django_assert_max_num_queries):
    cables = [CableFactory() for _ in range(200)]
    user = UserFactory()
    from cables.models import Cable

    with django_assert_max_num_queries(12):
        permissions.grant(
            permissions.REVIEW, user, Cable.objects.filter(pk__in=[c.pk for c in cables])
        )

    assert permissions.cables_for_user(user, permissions.REVIEW).count() == 200


def test_a_move_never_redirects_off_site(client, rita, cable):
    client.force_login(rita)

    response = client.post(
        reverse("workflow:transition", args=[cable.pk]),
        {"target": "reviewed", "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("workflow:queue")


def test_queue_pages_count_and_order_across_pages(client, rita):
    from datetime import date, timedelta

    from workflow.review_views import PAGE_SIZE

    cables = [
        CableFactory(
            review_state=ReviewState.DUE, declass_date=date(2020, 1, 1) + timedelta(days=i)
        )
        for i in range(PAGE_SIZE + 3)
    ]
    for c in cables:
        permissions.grant(permissions.REVIEW, rita, c)
    client.force_login(rita)

    first = client.get(reverse("workflow:queue"))
    second = client.get(reverse("workflow:queue") + "?page=2")
    beyond = client.get(reverse("workflow:queue") + "?page=99")

    total = PAGE_SIZE + 3 + 1  # and the fixture's cable, undated, last
    assert first.context["page"].paginator.count == total
    assert [c.pk for c in first.context["page"]] == [c.pk for c in cables[:PAGE_SIZE]]
    assert [c.pk for c in second.context["page"]][:3] == [c.pk for c in cables[PAGE_SIZE:]]
    assert len(second.context["page"]) == 4
    assert beyond.status_code == 404  # past the last page (tests/workflow/test_page_numbers.py)


def test_a_decision_renders_one_paragraph_in_a_few_queries(
    client, rita, cable, django_assert_max_num_queries
):
    # Given a long cable: the htmx answer must not rebuild the whole page
    for n in range(3, 43):
        ParagraphFactory(cable=cable, ordinal=n, level=int(Level.C), text=f"Paragraph {n}.")
    client.force_login(rita)
    p1 = cable.paragraphs.get(ordinal=1)

    with django_assert_max_num_queries(30):
        response = client.post(
            reverse("workflow:decide", args=[p1.pk]),
            {"kind": "release", "based_on": ""},
            HTTP_HX_REQUEST="true",
        )

    body = response.content.decode()
    assert body.count('class="paragraph') == 1
    assert "1 of 41 decided" in body  # the S paragraph is above rita's clearance
