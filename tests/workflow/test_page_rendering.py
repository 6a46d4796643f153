"""The queue and review pages as a reviewer sees them, for the parts that are read or
rendered without the ORM or Django's template engine (workflow.selectors,
templates/jinja2/workflow/): proposals in order and only where readable, the open
round, the paragraph count, the queue's filters and pager."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cables.markings import Level
from redaction.models import ProposedRedaction
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, ReviewRound, ReviewState

pytestmark = pytest.mark.django_db


@pytest.fixture
def rita():
    user = UserFactory(username="rita")
    Clearance.objects.create(user=user, level=int(Level.C))
    return user


@pytest.fixture
def cable(rita):
    cable = CableFactory(level=int(Level.S), review_state=ReviewState.DUE)
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text="Talks went well today.")
    ParagraphFactory(cable=cable, ordinal=2, level=int(Level.S), text="The source said more.")
    ParagraphFactory(cable=cable, ordinal=3, level=int(Level.U), text="Weather was fine.")
    permissions.grant(permissions.REVIEW, rita, cable)
    return cable


def _propose(paragraph, start, label, action="withhold"):
    return ProposedRedaction.objects.create(
        cable=paragraph.cable, paragraph=paragraph, start=start, end=start + 4,
        action=action, labels=[label], rules=[[7, 1]], created_at=timezone.now(),
    )  # fmt: skip


def test_the_review_page_lists_each_paragraphs_proposals_in_order_of_start(client, rita, cable):
    first, secret, third = cable.paragraphs.order_by("ordinal")
    # Given proposals stored out of order, and one on a paragraph above rita's clearance
    _propose(first, 10, "(b)(6) LATER")
    _propose(first, 0, "(b)(6) EARLIER")
    _propose(third, 0, "(b)(3) THIRD")
    _propose(secret, 0, "(b)(1) ABOVE-CLEARANCE")
    _propose(first, 6, "(b)(5)", action="redact")
    client.force_login(rita)

    # When rita opens the review page
    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    # Then each paragraph's proposals show in order of start, under their paragraph
    tags = re.findall(r"proposed: withhold ([^<]+)</span>", body)
    assert tags == ["(b)(6) EARLIER", "(b)(6) LATER", "(b)(3) THIRD"]
    articles = body.split("<article")[1:]
    assert len(articles) == 2
    assert "LATER" in articles[0] and "THIRD" not in articles[0]
    assert "THIRD" in articles[1] and "Weather was fine." in articles[1]
    assert 'title="proposed: redact the span (b)(5) (rule 7 v1)">went</mark>' in body
    # and nothing of the paragraph above her clearance, not even its proposal
    assert "ABOVE-CLEARANCE" not in body and "The source said more." not in body
    assert "1 paragraph above your clearance" in body
    assert "0 of 2 decided" in body


def test_the_review_page_shows_the_open_round_and_nothing_once_it_is_closed(client, rita, cable):
    client.force_login(rita)
    url = reverse("workflow:review", args=[cable.pk])
    other = CableFactory()
    ReviewRound.objects.create(
        cable=other, number=5, declass_date="2030-01-01", opened_at=timezone.now()
    )
    assert "re-review, round" not in client.get(url).content.decode()

    ReviewRound.objects.create(
        cable=cable, number=2, declass_date="2020-01-01", opened_at=timezone.now(),
        closed_at=timezone.now(),
    )  # fmt: skip
    ReviewRound.objects.create(
        cable=cable, number=3, declass_date="2030-01-01", opened_at=timezone.now()
    )

    body = client.get(url).content.decode()

    assert (
        '<strong class="rereview">re-review, round 3: its declassification date 2030-01-01 '
        "came due; its release came before any date was known</strong>"
    ) in body


def test_the_queue_keeps_its_filters_in_the_form_and_the_pager(client, rita):
    # Given 120 cables waiting for rita from one post, one page of 50 at a time
    from workflow.review_views import PAGE_SIZE

    cables = [
        CableFactory(origin="Embassy Rome", level=int(Level.C), review_state=ReviewState.DUE)
        for _ in range(2 * PAGE_SIZE + 20)
    ]
    CableFactory(origin="Embassy Oslo", review_state=ReviewState.DUE)  # not rita's
    permissions.grant(permissions.REVIEW, rita, cables)
    client.force_login(rita)

    # When she filters by post and level, with a hostile extra parameter, on page 2
    body = client.get(
        reverse("workflow:queue"),
        {"post": "Embassy Rome", "level": "1", "x": '"><b>&', "page": "2"},
    ).content.decode()

    # Then the form shows her filters, the rows her cables, and the pager keeps the filters
    post = '<input type="text" name="post" value="Embassy Rome" maxlength="128" id="id_post">'
    assert post in body
    assert '<option value="1" selected>CONFIDENTIAL</option>' in body
    assert f"{len(cables)} cables, due soonest first" in body
    assert body.count('name="cables"') == PAGE_SIZE
    assert "Page 2 of 3" in body
    query = "post=Embassy%20Rome&amp;level=1&amp;x=%22%3E%3Cb%3E%26&amp;"
    assert f'<a href="?{query}page=1">Previous</a>' in body
    assert f'<a href="?{query}page=3">Next</a>' in body
    assert "<b>" not in body
    assert '<option value="reviewed">Mark review finished</option>' in body
    assert "csrfmiddlewaretoken" in body


def test_an_empty_queue_says_so(client, rita):
    client.force_login(rita)

    body = client.get(reverse("workflow:queue")).content.decode()

    assert "0 cables, due soonest first" in body
    assert '<tr><td colspan="7">Nothing waiting for you.</td></tr>' in body
    assert "Page 1 of 1" in body and "Previous" not in body and "Next" not in body
    assert "Mark review finished" not in body  # no grant: no bulk move offered


QUOTED = (
    "The political counselor met Rosa Quint of the opposition council on Tuesday; she said "
    "the council would boycott the vote unless the commission published the voter rolls."
)
WITHHELD = (
    "The station chief reported that the source BLUEHERON had travelled to the border "
    "twice this month and would meet the handler again after the elections."
)
ALSO_WITHHELD = (
    "The defence attache learned that the brigade would move north before the harvest "
    "and that the minister had not been told of the order."
)


def _decide(paragraph, kind, by, **fields):
    from workflow.models import Decision

    return Decision.objects.create(
        cable=paragraph.cable, paragraph=paragraph, kind=kind, decided_by=by,
        decided_at=timezone.now(), **fields,
    )  # fmt: skip


def test_the_review_page_finds_suggestions_and_conflicts_beside_decided_paragraphs(client, rita):
    from cables.similarity import store

    # Given cable A, where wanda redacted a name and withheld two paragraphs
    wanda = UserFactory(username="wanda")
    a = CableFactory(level=int(Level.C), subject_level=int(Level.U))
    for n, text in enumerate((QUOTED, WITHHELD, ALSO_WITHHELD), 1):
        ParagraphFactory(cable=a, ordinal=n, level=int(Level.C), text=text)
    quoted, withheld, also = a.paragraphs.order_by("ordinal")
    start = QUOTED.index("Rosa Quint")
    _decide(quoted, "redact", wanda, spans=[{"start": start, "end": start + 10, "label": "(b)(6)"}])
    _decide(withheld, "withhold", wanda, label="(b)(1) 1.4(c)")
    _decide(also, "withhold", wanda, label="(b)(1) 1.4(a)")
    # and cable B, for rita, repeating them: one undecided, one withheld, one released
    b = CableFactory(level=int(Level.C), subject_level=int(Level.U), review_state=ReviewState.DUE)
    texts = (QUOTED.replace("Tuesday", "Wednesday"), WITHHELD, ALSO_WITHHELD)
    for n, text in enumerate(texts, 1):
        ParagraphFactory(cable=b, ordinal=n, level=int(Level.C), text=text)
    store.index_cables([a.pk, b.pk])
    _, b_withheld, b_released = b.paragraphs.order_by("ordinal")
    _decide(b_withheld, "withhold", wanda, label="(b)(1) 1.4(c)")
    _decide(b_released, "release", wanda)
    permissions.grant(permissions.REVIEW, rita, b)
    client.force_login(rita)

    # When rita opens B's review page
    body = client.get(reverse("workflow:review", args=[b.pk])).content.decode()

    # Then the undecided paragraph carries A's decision as a suggestion
    assert body.count('class="suggestion"') == 1
    assert "Suggested: Release with redactions" in body and "«Rosa Quint»</span> (b)(6)" in body
    # and the released and undecided paragraphs' text kept back in A is listed, not the
    # paragraph B withholds too
    panel = body[body.index('id="consistency"') :]
    assert "2 conflicts: text this release would publish" in panel
    assert "the brigade would move north" in panel and "Rosa Quint" in panel
    assert "BLUEHERON" not in panel


def test_the_queue_filter_widgets_escape_what_was_typed(client, rita):
    client.force_login(rita)

    body = client.get(reverse("workflow:queue"), {"post": '"><b>x', "tag": "<i>"}).content.decode()

    assert "<b>x" not in body and "<i>" not in body
    assert 'name="post" value="&#34;&gt;&lt;b&gt;x"' in body
    assert 'name="tag" value="&lt;i&gt;"' in body
    assert '<option value="" selected>Any</option>' in body  # no level chosen


def _subject_reads(queries):
    return [q["sql"] for q in queries if 'FROM "workflow_subjectdecision"' in q["sql"]]


def test_the_review_page_reads_a_subject_decision_only_once_one_exists(client, rita):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.subject import subject_decision_record

    # Given a cable whose CONFIDENTIAL subject rita reviews and is cleared for
    cable = CableFactory(
        level=int(Level.C), subject="Talks with the minister", subject_level=int(Level.C),
        review_state=ReviewState.DUE,
    )  # fmt: skip
    ParagraphFactory(cable=cable, ordinal=1, level=int(Level.U), text="Weather was fine.")
    permissions.grant(permissions.REVIEW, rita, cable)
    client.force_login(rita)
    url = reverse("workflow:review", args=[cable.pk])
    client.get(url)  # per-process caches warm

    # When the subject is not decided yet, the page says so without reading decisions
    with CaptureQueriesContext(connection) as undecided:
        body = client.get(url).content.decode()
    assert 'id="subject-portion"' in body and "Not decided" in body
    assert 'name="based_on" value=""' in body
    assert _subject_reads(undecided) == []

    # and once sam withheld it, the page reads that decision and shows it
    sam = UserFactory(username="sam")
    Clearance.objects.create(user=sam, level=int(Level.C))
    permissions.grant(permissions.REVIEW, sam, cable)
    decision = subject_decision_record(
        user=sam, cable=cable, kind="withhold", label="(b)(1) 1.4(d)", based_on=None
    )
    with CaptureQueriesContext(connection) as decided:
        body = client.get(url).content.decode()
    portion = body[body.index('id="subject-portion"') :]
    assert "Withhold in full (b)(1) 1.4(d) · sam" in portion
    assert f'name="based_on" value="{decision.pk}"' in portion
    assert len(_subject_reads(decided)) == 1
    assert len(decided) == len(undecided) + 1
