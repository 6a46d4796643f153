"""The rows the review pages repeat are Jinja2 templates (templates/jinja2/), autoescaped:
whatever a cable brings reaches the browser as text, never as markup."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from jinja2 import UndefinedError
from markupsafe import Markup

from cables.markings import Level
from config.jinja2 import environment, pk_url, truncatechars
from redaction.models import ProposedRedaction
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow import permissions
from workflow.models import CableStatus, Clearance, Decision, ReviewState

HOSTILE = "Talks <script>alert('x')</script> & \"more\" went well."


@pytest.fixture
def reviewer():
    user = UserFactory(username="rita")
    Clearance.objects.create(user=user, level=int(Level.S))
    return user


@pytest.fixture
def cable(reviewer):
    cable = CableFactory(
        level=int(Level.C),
        review_state=ReviewState.REVIEWED,
        origin="Embassy <b>Bold</b> & Co",
        subject=HOSTILE,
    )
    permissions.grant(permissions.REVIEW, reviewer, cable)
    return cable


def _assert_no_markup_from_the_cable(body: str) -> None:
    assert "<script>" not in body
    assert "<b>" not in body
    assert "&lt;script&gt;" in body


@pytest.mark.django_db
def test_queue_rows_escape_what_the_cable_says(client, reviewer, cable):
    client.force_login(reviewer)

    body = client.get(reverse("workflow:queue")).content.decode()

    _assert_no_markup_from_the_cable(body)
    assert "Embassy &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in body
    assert "&amp; &#34;more&#34; went well." in body
    assert f'<a href="{reverse("workflow:review", args=[cable.pk])}">' in body
    assert f'<a href="{reverse("releases:approval", args=[cable.pk])}">approval</a>' in body
    assert f'value="{cable.pk}" aria-label="Select {cable.reference_id}"' in body
    assert "Nothing waiting for you." not in body


@pytest.mark.django_db
def test_review_rows_escape_text_labels_and_proposals(client, reviewer, cable):
    first = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=HOSTILE)
    second = ParagraphFactory(cable=cable, ordinal=2, number="2<i>", text="Plain & simple.")
    other = UserFactory(username="o<b>ther")
    permissions.grant(permissions.REVIEW, other, cable)
    Decision.objects.create(
        cable=cable, paragraph=first, kind="redact", decided_by=other,
        decided_at=timezone.now(), spans=[{"start": 0, "end": 5, "label": "<em>&(b)(6)"}],
    )  # fmt: skip
    ProposedRedaction.objects.create(
        cable=cable, paragraph=second, start=0, end=5, action="withhold",
        labels=["<u>(b)(1)</u> & more"], rules=[[1, 2]], created_at=timezone.now(),
    )  # fmt: skip
    client.force_login(reviewer)

    body = client.get(reverse("workflow:review", args=[cable.pk])).content.decode()

    _assert_no_markup_from_the_cable(body)
    for raw in ("<em>", "<u>", "<i>", "o<b>ther"):
        assert raw not in body
    assert "&lt;em&gt;&amp;(b)(6)" in body
    assert "proposed: withhold &lt;u&gt;(b)(1)&lt;/u&gt; &amp; more" in body
    assert 'title="rule 1 v2"' in body
    assert "¶2&lt;i&gt;" in body
    assert "o&lt;b&gt;ther" in body
    # The text goes out as stored, character for character (selections count offsets).
    texts = re.findall(r"<p class=\"text\" data-text>(.*?)</p>", body, re.S)
    plain = [unescape(re.sub(r"</?mark[^>]*>", "", t)) for t in texts]
    assert plain == [HOSTILE, "Plain & simple."]
    # The redacted span is marked, the rest of the text is not.
    assert texts[0].startswith(
        '<mark class="redacted" title="redacted &lt;em&gt;&amp;(b)(6)">Talks</mark>'
    )
    # Every form carries the CSRF token.
    assert body.count('name="csrfmiddlewaretoken"') >= 4  # 2 decide, 1 remove, 1 finish


@pytest.mark.django_db
def test_the_htmx_answer_escapes_the_error_and_the_label(client, reviewer, cable):
    CableStatus.objects.filter(cable=cable).update(review_state=ReviewState.IN_REVIEW)
    paragraph = ParagraphFactory(cable=cable, ordinal=1, level=int(Level.C), text=HOSTILE)
    client.force_login(reviewer)

    response = client.post(
        reverse("workflow:decide", args=[paragraph.pk]),
        {"kind": "withhold", "label": "(b)(6)", "based_on": ""},
        HTTP_HX_REQUEST="true",
    )
    stale = client.post(
        reverse("workflow:decide", args=[paragraph.pk]),
        {"kind": "refer", "agency": "<script>CIA</script>", "based_on": ""},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    _assert_no_markup_from_the_cable(body)
    assert body.count('class="paragraph') == 1
    assert "Withhold in full (b)(6) · rita" in body
    assert 'id="progress" hx-swap-oob="true">1 of 1 decided</span>' in body
    assert stale.status_code in (409, 422)
    assert "<script>" not in stale.content.decode()
    assert 'role="alert"' in stale.content.decode()


def test_the_environment_escapes_and_refuses_to_guess():
    env = engines["jinja2"].env

    assert env.autoescape is True
    assert env.from_string("{{ t }}").render(t="<a & b>") == "&lt;a &amp; b&gt;"
    assert env.from_string("{{ t }}").render(t=Markup("<br>")) == "<br>"
    with pytest.raises(UndefinedError):
        env.from_string("{{ missing }}").render()
    with pytest.raises(ImproperlyConfigured):
        environment(autoescape=False)


def test_helpers_match_djangos():
    assert pk_url("workflow:review")(42) == reverse("workflow:review", args=[42])
    assert engines["jinja2"].from_string('{{ url("workflow:review", 7) }}').render() == reverse(
        "workflow:review", args=[7]
    )
    assert truncatechars("abcdef", 6) == "abcdef"
    assert truncatechars("abcdefg", 6) == "abcde…"
