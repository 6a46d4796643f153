"""The review page shows every other occurrence of a redacted span's words in the cable
and offers "redact these too"; redactions are listed by the words they remove.

The reviewer acts through the pages as a person does: the test client posts the
forms the review page serves.
"""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import Clearance, Decision, ReviewState

pytestmark = pytest.mark.django_db

P1 = "The defector Rosa Quint met the Ambassador at the Embassy on Tuesday evening."
P2 = "QUINT, Rosa told the Political Counselor that she would return to Lagos."
P3 = "The Embassy will report further as the talks on the harbor continue."
P4 = "Rosa M. Quint is expected to ask the Embassy for a visa in June."
SECRET = "The station confirmed that Quint reported on the harbor for two years."


@pytest.fixture(autouse=True)
def fresh_common_words(monkeypatch):
    """Each test counts the corpus it made (the per-process cache would keep the last)."""
    monkeypatch.setattr("cables.words._common_cache", {})


@pytest.fixture
def cable():
    cable = CableFactory(level=int(Level.S), review_state=ReviewState.DUE)
    for ordinal, text in enumerate((P1, P2, P3, P4), start=1):
        ParagraphFactory(
            cable=cable, ordinal=ordinal, number=str(ordinal), level=int(Level.C), text=text
        )
    ParagraphFactory(cable=cable, ordinal=5, number="5", level=int(Level.S), text=SECRET)
    return cable


@pytest.fixture
def rita(cable):
    user = UserFactory(username="rita")
    Clearance.objects.create(user=user, level=int(Level.C))
    permissions.grant(permissions.REVIEW, user, cable)
    return user


def para(cable, ordinal: int):
    return cable.paragraphs.get(ordinal=ordinal)


def redact(client, paragraph, part: str, label: str = "(b)(6)", based_on: str = ""):
    start = paragraph.text.index(part)
    return client.post(
        reverse("workflow:decide", args=[paragraph.pk]),
        {
            "kind": "redact",
            "start": start,
            "end": start + len(part),
            "label": label,
            "based_on": based_on,
        },
    )


def panel(body: str) -> str:
    match = re.search(r'<section id="occurrences".*?</section>', body, re.S)
    assert match, "the review page has no occurrences panel"
    return match.group(0)


def panel_text(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", panel(body)))


def redact_too_form(body: str) -> dict[str, list[str]]:
    """The fields of the first "Redact these too" form, as the browser would post them."""
    form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', panel(body), re.S)
    assert form, "no 'Redact these too' form"
    fields: dict[str, list[str]] = {"_action": [html.unescape(form.group(1))]}
    for name, value in re.findall(r'name="([a-z_]+)" value="([^"]*)"', form.group(2)):
        fields.setdefault(name, []).append(html.unescape(value))
    return fields


def post_form(client, fields):
    action = fields.pop("_action")[0]
    return client.post(action, fields)


def test_after_a_redaction_the_page_lists_its_words_elsewhere_and_redacts_them_too(
    client, rita, cable
):
    client.force_login(rita)
    redact(client, para(cable, 1), "Rosa Quint")

    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    listed = panel_text(body)
    assert "«Rosa Quint» (b)(6)" in listed
    assert "¶2: …QUINT, Rosa told" in listed
    assert "¶4: …Rosa M. Quint is expected" in listed
    assert "¶3" not in listed  # says nothing of Rosa Quint
    assert "harbor for two years" not in body  # ¶5 is above rita's clearance: never searched
    assert "Redact these too ((b)(6))" in listed

    response = post_form(client, redact_too_form(body))

    assert response.status_code == 302
    d2 = Decision.objects.filter(paragraph=para(cable, 2)).latest("id")
    d4 = Decision.objects.filter(paragraph=para(cable, 4)).latest("id")
    assert [(P2[s["start"] : s["end"]], s["label"]) for s in d2.spans] == [
        ("QUINT, Rosa", "(b)(6)")
    ]
    assert [(P4[s["start"] : s["end"]], s["label"]) for s in d4.spans] == [
        ("Rosa M. Quint", "(b)(6)")
    ]
    assert d2.decided_by == rita and d2.kind == "redact"
    audited = AuditEvent.objects.filter(
        action="decision.recorded", paragraph_id__in=[d2.paragraph_id, d4.paragraph_id]
    )
    assert audited.count() == 2
    after = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()
    assert "Redacted in 2 more paragraphs." in after
    assert "Redact these too" not in after  # nothing left to redact


def test_redacting_too_keeps_the_paragraphs_own_redactions_and_skips_withheld_ones(
    client, rita, cable
):
    client.force_login(rita)
    first = redact(client, para(cable, 2), "Lagos", "(b)(1) 1.4(d)")
    assert first.status_code == 302
    client.post(
        reverse("workflow:decide", args=[para(cable, 4).pk]),
        {"kind": "withhold", "label": "(b)(1) 1.4(d)", "based_on": ""},
    )
    redact(client, para(cable, 1), "Rosa Quint")
    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    assert "¶4" not in panel_text(body)  # withheld: releases nothing
    post_form(client, redact_too_form(body))

    d2 = Decision.objects.filter(paragraph=para(cable, 2)).latest("id")
    assert sorted(P2[s["start"] : s["end"]] for s in d2.spans) == ["Lagos", "QUINT, Rosa"]
    assert Decision.objects.filter(paragraph=para(cable, 4)).latest("id").kind == "withhold"


def test_a_stale_page_redacts_nothing_and_says_why(client, rita, cable):
    client.force_login(rita)
    redact(client, para(cable, 1), "Rosa Quint")
    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()
    fields = redact_too_form(body)
    # meanwhile another reviewer decides paragraph 4
    other = UserFactory()
    Clearance.objects.create(user=other, level=int(Level.C))
    permissions.grant(permissions.REVIEW, other, cable)
    client.force_login(other)
    client.post(
        reverse("workflow:decide", args=[para(cable, 4).pk]), {"kind": "release", "based_on": ""}
    )
    client.force_login(rita)
    before = Decision.objects.count()

    response = post_form(client, fields)

    assert Decision.objects.count() == before  # not even paragraph 2: all or nothing
    page = client.get(response["Location"]).content.decode()
    assert "the cable changed since you loaded it" in page


def test_only_distinctive_words_count(client, rita, cable):
    # "the Embassy" is in half the corpus: redacting it names nobody, so nothing is listed
    corpus = CableFactory()
    ParagraphFactory.create_batch(200, cable=corpus, text="The Minister spoke about the roads.")
    ParagraphFactory.create_batch(40, cable=corpus, text="The Embassy hosted a reception.")
    client.force_login(rita)
    redact(client, para(cable, 3), "The Embassy")

    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    assert "Redacted words found elsewhere" not in body
    assert "Redact these too" not in body


def test_a_release_authority_cannot_redact_these_too(client, rita, cable):
    client.force_login(rita)
    redact(client, para(cable, 1), "Rosa Quint")
    amos = UserFactory(username="amos")
    Clearance.objects.create(user=amos, level=int(Level.TS))
    permissions.grant(permissions.RELEASE, amos, cable)
    client.force_login(amos)
    before = Decision.objects.count()

    refused = client.post(
        reverse("workflow:redact_occurrences", args=[cable.pk]),
        {"source": para(cable, 1).pk, "start": 13, "end": 23, "place": "x"},
    )

    assert refused.status_code == 404
    assert Decision.objects.count() == before


def test_redactions_are_listed_by_the_words_they_remove(client, rita, cable):
    client.force_login(rita)
    redact(client, para(cable, 1), "Rosa Quint")

    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()
    spans = re.search(r'<ul class="spans".*?</ul>', body, re.S).group(0)

    assert "«Rosa Quint»</span> (b)(6)" in html.unescape(spans)
    assert "13–23" not in spans
    assert 'aria-label="Remove redaction «Rosa Quint»"' in html.unescape(spans)


def test_the_htmx_answer_to_a_redaction_brings_the_panel_out_of_band(client, rita, cable):
    client.force_login(rita)
    p1 = para(cable, 1)
    start = P1.index("Rosa Quint")

    response = client.post(
        reverse("workflow:decide", args=[p1.pk]),
        {"kind": "redact", "start": start, "end": start + 10, "label": "(b)(6)", "based_on": ""},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert '<section id="occurrences"' in body and 'hx-swap-oob="true"' in panel(body)
    assert "QUINT, Rosa" in panel_text(body)


def _review_queries(client, cable) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("workflow:review", args=[cable.pk])).status_code == 200
    return len(queries)


def test_the_review_page_with_redactions_runs_as_many_queries_for_10_as_for_40_paragraphs(
    client,
):
    user = UserFactory()
    Clearance.objects.create(user=user, level=int(Level.TS))
    counts = []
    for size in (10, 40):
        cable = CableFactory()
        for n in range(1, size + 1):
            ParagraphFactory(
                cable=cable,
                ordinal=n,
                number=str(n),
                text=f"Rosa Quint met the minister about item {n}. Quint left.",
            )
        permissions.grant(permissions.REVIEW, user, cable)
        for p in cable.paragraphs.all():
            Decision.objects.create(
                cable=cable,
                paragraph=p,
                kind="redact",
                decided_by=user,
                decided_at=cable.imported_at,
                spans=[{"start": 0, "end": 10, "label": "(b)(6)"}],
            )
        client.force_login(user)
        _review_queries(client, cable)  # per-process caches warm
        counts.append(_review_queries(client, cable))
        body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()
        assert body.count('<li><a href="#para-') == size  # the second "Quint" of each

    assert counts[0] == counts[1]
    assert counts[1] <= 9  # the page's 8, and the corpus's common words (cached)


def test_the_page_finds_the_redacted_words_as_the_release_check_reads_them(client):
    """An address in small letters, a word hyphenated across a line and one spelt with a
    Cyrillic look-alike letter: each is listed, as approval would refuse each."""
    cable = CableFactory(level=int(Level.C), review_state=ReviewState.DUE)
    texts = (
        "Mixed case text: write to oriol.varga@mod.example about it.",
        "The desk copied oriol.varga@mod.example on the note.",
        "Questions about BLUE-\nHERON go to the desk.",
        "The BLU\u0415HERON file was closed.",
        "The BLUEHERON file was opened.",
    )
    for ordinal, text in enumerate(texts, start=1):
        ParagraphFactory(
            cable=cable, ordinal=ordinal, number=str(ordinal), level=int(Level.C), text=text
        )
    rita = UserFactory(username="rita")
    Clearance.objects.create(user=rita, level=int(Level.C))
    permissions.grant(permissions.REVIEW, rita, cable)
    client.force_login(rita)
    redact(client, para(cable, 1), "oriol.varga@mod.example")
    redact(client, para(cable, 5), "BLUEHERON")

    listed = panel_text(client.get(reverse("workflow:review", args=[cable.pk])).content.decode())

    assert "¶2" in listed and "oriol.varga@mod.example" in listed.split("¶2", 1)[1]
    assert "¶3" in listed and "BLUE-" in listed.split("¶3", 1)[1]
    assert "¶4" in listed and "BLU\u0415HERON" in listed.split("¶4", 1)[1]
