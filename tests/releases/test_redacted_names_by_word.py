"""A redacted name does not leave through its variants ("Rosa Quint" redacted, "QUINT, Rosa"
and "Rosa M. Quint" released): the release authority's approval is refused, naming where.

The reviewers decide through the review service; the authority acts on the approval
page, as a person does (the test client posts the form the page serves).
"""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cables.markings import Level
from releases.models import Release
from releases.services import corpus_common_words
from tests.factories import CableFactory, ParagraphFactory
from tests.releases.conftest import decide, files_of
from workflow import permissions

pytestmark = pytest.mark.django_db

NAME = "Rosa Quint"
P1 = f"The defector {NAME} met the Ambassador at the Embassy on Tuesday evening."
P2 = "QUINT, Rosa told the Political Counselor that she would return to Lagos."
P3 = "The Embassy will report further as the talks on the harbor continue."
P4 = "Rosa M. Quint is expected to ask the Embassy for a visa in June."
B6 = "(b)(6)"


@pytest.fixture(autouse=True)
def fresh_common_words(monkeypatch):
    """Each test counts the corpus it made (the per-process cache would keep the last)."""
    monkeypatch.setattr("cables.words._common_cache", {})


def span(text: str, part: str, label: str = B6) -> dict:
    start = text.index(part)
    return {"start": start, "end": start + len(part), "label": label}


@pytest.fixture
def quint_cable():
    cable = CableFactory(level=int(Level.C), subject="(C) DEFECTOR QUINT, ROSA: NEXT STEPS")
    for ordinal, text in enumerate((P1, P2, P3, P4), start=1):
        ParagraphFactory(
            cable=cable, ordinal=ordinal, number=str(ordinal), level=int(Level.C), text=text
        )
    return cable


def approval_form(client, cable) -> dict[str, str]:
    """The approval form's fields as the page serves them."""
    page = client.get(reverse("releases:approval", args=[cable.pk]))
    assert page.status_code == 200
    fields = re.findall(
        r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page.content.decode()
    )
    return {name: html.unescape(value) for name, value in fields}


def post_approval(client, cable, **extra):
    return client.post(reverse("releases:approve", args=[cable.pk]),
                       {**approval_form(client, cable), **extra})  # fmt: skip


def problems_on(response) -> list[str]:
    body = response.content.decode()
    return [html.unescape(re.sub(r"<[^>]+>", "", li)) for li in re.findall(
        r"<li>(.*?)</li>", body.split('id="repeated-withheld"', 1)[-1].split("</div>", 1)[0]
    )]  # fmt: skip


@pytest.fixture
def as_authority(client, authority):
    def login(cable):
        permissions.grant(permissions.RELEASE, authority, cable)
        client.force_login(authority)
        return client

    return login


def test_a_redacted_name_released_in_other_forms_is_refused_naming_where(
    quint_cable, reviewer, as_authority, django_capture_on_commit_callbacks
):
    # Given reviewers who redacted "Rosa Quint" in paragraph 1 and released the rest
    decide(quint_cable, reviewer, {1: ("redact", [span(P1, NAME)])})
    client = as_authority(quint_cable)

    # When the release authority approves on the approval page
    with django_capture_on_commit_callbacks(execute=True):
        response = post_approval(client, quint_cable)

    # Then it is refused, naming "QUINT, Rosa" in paragraph 2 and "Rosa M. Quint" in 4
    assert response.status_code == 409
    problems = problems_on(response)
    assert problems == [
        "¶2: “QUINT, Rosa” repeats text redacted from paragraph 1 ((b)(6))",
        "¶4: “Rosa M. Quint” repeats text redacted from paragraph 1 ((b)(6))",
    ]
    # and nothing is approved or published
    assert not Release.objects.exists()
    quint_cable.status.refresh_from_db()
    assert quint_cable.status.review_state == "reviewed"
    assert not AuditEvent.objects.filter(action="release.approved").exists()


def test_once_the_reviewers_redact_every_form_the_release_carries_the_name_nowhere(
    quint_cable, reviewer, as_authority, django_capture_on_commit_callbacks
):
    decide(quint_cable, reviewer, {
        1: ("redact", [span(P1, NAME)]),
        2: ("redact", [span(P2, "QUINT, Rosa")]),
        4: ("redact", [span(P4, "Rosa M. Quint")]),
    })  # fmt: skip
    client = as_authority(quint_cable)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_approval(client, quint_cable)

    assert response.status_code == 302
    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason
    files = files_of(release)
    for name in ("release.txt", "release.html"):
        text = files[name].decode("utf-8").casefold()
        assert "quint" not in text and "rosa" not in text, name
    # the subject's "QUINT, ROSA" is boxed; the reading room does not find the name
    assert "quint" not in release.title.casefold()

    def found(query: str) -> list[int]:
        page = client.get(reverse("releases:reading_room"), {"q": query}).context["page"]
        return [r.pk for r in page]

    assert found("Quint") == [] and found("Rosa") == []
    assert found("Lagos") == [release.pk]


def test_case_and_order_do_not_matter_but_whole_words_do(reviewer, authority, publish):
    cable = CableFactory()
    texts = [
        "CODENAME BLUEHERON REPORTED FROM THE PORT.",
        "The source Blueheron's reports stay reliable.",
        "The blueheronry of the lake is not a word of the codename.",
    ]
    for ordinal, text in enumerate(texts, start=1):
        ParagraphFactory(cable=cable, ordinal=ordinal, number=str(ordinal), text=text)
    decide(cable, reviewer, {1: ("redact", [span(texts[0], "BLUEHERON", "(b)(1) 1.4(c)")])})

    from releases.services import ReleaseError

    with pytest.raises(ReleaseError) as refused:
        publish(cable, authority)
    message = str(refused.value)
    assert "paragraph 2, characters 11-20, repeats text redacted from paragraph 1" in message
    assert "paragraph 3" not in message
    assert "Blueheron" not in message  # the problem names where, never the text


def test_a_redacted_common_word_does_not_block_its_other_occurrences(
    reviewer, as_authority, django_capture_on_commit_callbacks
):
    # Given a corpus in which "Embassy" is in more than 5% of the paragraphs
    corpus = CableFactory()
    ParagraphFactory.create_batch(
        200, cable=corpus, text="The Minister spoke about the harvest and the roads."
    )
    ParagraphFactory.create_batch(40, cable=corpus, text="The Embassy hosted a reception.")
    assert "embassy" in corpus_common_words(refresh=True)
    assert "quint" not in corpus_common_words()
    cable = CableFactory()
    for ordinal, text in enumerate((P1, P3), start=1):
        ParagraphFactory(cable=cable, ordinal=ordinal, number=str(ordinal), text=text)
    # and reviewers who redacted "the Embassy" in paragraph 1 only
    decide(cable, reviewer, {1: ("redact", [span(P1, "the Embassy")])})
    client = as_authority(cable)

    # When the authority approves, paragraph 3 releasing "The Embassy" does not block it
    with django_capture_on_commit_callbacks(execute=True):
        response = post_approval(client, cable)

    assert response.status_code == 302, problems_on(response)
    release = Release.objects.get()
    assert release.status == Release.Status.PUBLISHED, release.blocked_reason


def test_a_redacted_lower_case_word_is_not_a_name_in_mixed_case_text(reviewer, publish, authority):
    # "the station" released does not repeat the redacted "CIA STATION BLUEHERON"
    cable = CableFactory()
    text = "The station CIA STATION BLUEHERON reported troop movements."
    ParagraphFactory(cable=cable, ordinal=1, number="1", text=text)
    ParagraphFactory(cable=cable, ordinal=2, number="2", text="A Station Chief arrived.")
    decide(cable, reviewer, {1: ("redact", [span(text, "CIA STATION BLUEHERON")])})

    from releases.services import ReleaseError

    # but "Station Chief", capitalised, might be the station's: refused there only
    with pytest.raises(ReleaseError, match=r"\(paragraph 2, characters 2-9, repeats text redacted"):
        publish(cable, authority)


def test_an_all_capitals_cable_blocks_a_surname_released_elsewhere(reviewer, authority, publish):
    cable = CableFactory()
    texts = [
        "POLOFF MET ROSA QUINT ON MAY 6 AT THE MINISTRY.",
        "THE MINISTRY CONFIRMED THAT QUINT WILL TRAVEL ON MAY 6.",
    ]
    for ordinal, text in enumerate(texts, start=1):
        ParagraphFactory(cable=cable, ordinal=ordinal, number=str(ordinal), text=text)
    decide(cable, reviewer, {1: ("redact", [span(texts[0], "ROSA QUINT ON MAY 6")])})

    from releases.services import ReleaseError

    # "QUINT" blocks; "MAY" and "6" (a date, a number) do not
    with pytest.raises(ReleaseError, match=r"paragraph 2, characters 28-33, repeats text redacted"):
        publish(cable, authority)


def test_proper_names_of_a_withheld_paragraph_may_not_be_released(
    reviewer, as_authority, django_capture_on_commit_callbacks
):
    cable = CableFactory()
    texts = [
        "Colonel Diallo told the source that BLUEHERON would move the convoy to Kidal.",
        "The government says the north is calm; Kidal stays under curfew.",
        "Diallo said nothing in public.",
    ]
    for ordinal, text in enumerate(texts, start=1):
        ParagraphFactory(cable=cable, ordinal=ordinal, number=str(ordinal), text=text)
    decide(cable, reviewer, {1: ("withhold", "(b)(1) 1.4(c)")})
    client = as_authority(cable)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_approval(client, cable)

    assert response.status_code == 409
    withheld = "text of paragraph 1, withheld in full ((b)(1) 1.4(c))"
    # "Diallo" opens a sentence in paragraph 3 and is still a name; "The" of paragraph 2 is not
    assert problems_on(response) == [f"¶2: “Kidal” repeats {withheld}",
                                     f"¶3: “Diallo” repeats {withheld}"]  # fmt: skip
    assert not Release.objects.exists()
