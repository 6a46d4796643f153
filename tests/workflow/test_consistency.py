"""Consistency across cables: text withheld in one cable is flagged before another releases it."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from cables.markings import Level
from cables.similarity import store
from tests.cables.test_near_duplicates import HARVEST, TALKS, edited
from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow.consistency import Conflict, release_conflicts
from workflow.models import Decision, ReviewState

pytestmark = pytest.mark.django_db

NAME = "Colonel Amadou Diallo"
LEAK = (
    f"The defence attache met {NAME} at the barracks on Friday. He said the army would "
    "stay neutral in the election and asked for more training places in the United States "
    "for his officers, adding that the president had not consulted him on the decree."
)


def decide(paragraph, kind, *, spans=(), label="", by=None, supersedes=None):
    return Decision.objects.create(
        cable=paragraph.cable,
        paragraph=paragraph,
        kind=kind,
        spans=list(spans),
        label=label,
        referral_agency="CIA" if kind == "refer" else "",
        supersedes=supersedes,
        decided_by=by or UserFactory(username="wanda"),
        decided_at=timezone.now(),
    )


def cable_with(*texts, state=ReviewState.REVIEWED, level=Level.C):
    cable = CableFactory(review_state=state)
    paragraphs = [
        ParagraphFactory(cable=cable, ordinal=n, text=body, level=int(level))
        for n, body in enumerate(texts, start=1)
    ]
    return cable, paragraphs


def indexed(*cables):
    store.index_cables([c.pk for c in cables])


def test_a_paragraph_withheld_in_a_is_flagged_before_b_releases_it():
    a, (talks_a, harvest_a) = cable_with(TALKS, HARVEST)
    withheld = decide(talks_a, "withhold", label="(b)(1) 1.4(d)")
    decide(harvest_a, "release")
    b, (intro_b, talks_b) = cable_with(
        "The embassy reports on the week's meetings with officials of the government.", TALKS
    )
    decide(intro_b, "release")
    decide(talks_b, "release")
    indexed(a, b)

    (conflict,) = release_conflicts(b)

    assert conflict.paragraph == talks_b
    assert conflict.other_cable == a
    assert conflict.other_paragraph == talks_a
    assert conflict.other_decision == withheld
    assert conflict.similarity == 1.0
    assert conflict.withheld_in_full and conflict.labels == ("(b)(1) 1.4(d)",)
    assert conflict.passages == [TALKS.rstrip(".")]  # from its first word to its last
    # and the release side of it: A has nothing to fear from B
    assert release_conflicts(a) == []


def test_an_edited_copy_is_flagged_and_an_unrelated_paragraph_is_not():
    a, (talks_a, harvest_a) = cable_with(TALKS, HARVEST)
    decide(talks_a, "withhold", label="(b)(1) 1.4(d)")
    decide(harvest_a, "withhold", label="(b)(5)")
    b, (talks_b, other_b) = cable_with(
        edited(TALKS, 3),
        "The ambassador called on the minister of health about the vaccination campaign "
        "in the northern provinces and the delivery of cold chain equipment.",
    )
    decide(talks_b, "release")
    decide(other_b, "release")
    indexed(a, b)

    (conflict,) = release_conflicts(b)

    assert conflict.paragraph == talks_b and conflict.other_paragraph == talks_a
    assert store.threshold() <= conflict.similarity < 1
    assert conflict.passages  # the unchanged runs of words


def test_nothing_is_flagged_when_a_releases_it_too_or_only_refers_it():
    a, (released, referred) = cable_with(TALKS, LEAK)
    decide(released, "release")
    decide(referred, "refer")
    b, paragraphs = cable_with(TALKS, LEAK)
    for p in paragraphs:
        decide(p, "release")
    indexed(a, b)

    assert release_conflicts(b) == []


def test_only_the_current_decision_counts():
    a, (talks_a,) = cable_with(TALKS)
    first = decide(talks_a, "withhold", label="(b)(1) 1.4(d)")
    b, (talks_b,) = cable_with(TALKS)
    decide(talks_b, "release")
    indexed(a, b)
    assert len(release_conflicts(b)) == 1

    decide(talks_a, "release", supersedes=first)  # A's reviewer changed their mind

    assert release_conflicts(b) == []


def test_a_name_redacted_in_a_is_flagged_where_b_releases_it_and_not_where_b_redacts_it():
    a, (leak_a,) = cable_with(LEAK)
    start = LEAK.index(NAME)
    decide(leak_a, "redact", spans=[{"start": start, "end": start + len(NAME), "label": "(b)(6)"}])
    b, (leak_b,) = cable_with(LEAK.replace("Friday", "Saturday"))
    decide(leak_b, "release")
    c, (leak_c,) = cable_with(LEAK)
    at = leak_c.text.index("met " + NAME)  # C redacts a little more than the name
    decide(leak_c, "redact", spans=[{"start": at, "end": at + 4 + len(NAME), "label": "(b)(6)"}])
    indexed(a, b, c)

    from_a, from_c = sorted(release_conflicts(b), key=lambda c: c.other_cable.pk)
    assert from_a.other_cable == a and not from_a.withheld_in_full
    assert from_a.passages == [NAME] and from_a.labels == ("(b)(6)",)
    assert from_c.other_cable == c and from_c.passages == ["met " + NAME]
    assert release_conflicts(c) == []


def test_a_withheld_paragraph_released_with_a_small_redaction_elsewhere_is_flagged():
    a, (leak_a,) = cable_with(LEAK)
    decide(leak_a, "withhold", label="(b)(1) 1.4(b)")
    b, (leak_b,) = cable_with(LEAK)
    start = LEAK.index(NAME)
    decide(leak_b, "redact", spans=[{"start": start, "end": start + len(NAME), "label": "(b)(6)"}])
    indexed(a, b)

    (conflict,) = release_conflicts(b)

    assert all(NAME not in passage for passage in conflict.passages)
    assert "training places in the United States" in " ".join(conflict.passages)


def test_paragraphs_b_withholds_or_has_not_decided_are_not_flagged_unless_asked():
    a, (talks_a, leak_a) = cable_with(TALKS, LEAK)
    decide(talks_a, "withhold", label="(b)(1) 1.4(d)")
    decide(leak_a, "withhold", label="(b)(1) 1.4(d)")
    b, (talks_b, leak_b) = cable_with(TALKS, LEAK, state=ReviewState.IN_REVIEW)
    decide(talks_b, "withhold", label="(b)(1) 1.4(d)")  # leak_b undecided
    indexed(a, b)

    assert release_conflicts(b) == []
    assert [c.paragraph for c in release_conflicts(b, include_undecided=True)] == [leak_b]
    assert release_conflicts(b, include_undecided=True, max_level=int(Level.U)) == []


def test_conflicts_take_four_queries_however_many_paragraphs_and_duplicates(
    django_assert_num_queries,
):
    texts = [edited(TALKS, 1, seed=n) + f" Item {n}." for n in range(12)] + [LEAK, HARVEST]
    b, mine = cable_with(*texts)
    for p in mine:
        decide(p, "release")
    others = []
    for _ in range(6):
        other, theirs = cable_with(*texts)
        for i, p in enumerate(theirs):
            decide(p, "withhold" if i % 2 else "redact", label="(b)(5)", spans=[
                {"start": 0, "end": 20, "label": "(b)(5)"}
            ])  # fmt: skip
        others.append(other)
    indexed(b, *others)

    # paragraphs, current decisions, candidates near, their withholdings
    with django_assert_num_queries(4):
        conflicts = release_conflicts(b)
        shown = [  # everything the partial shows is loaded already
            (c.other_cable.reference_id, c.other_paragraph.number, c.other_decision.kind,
             c.other_decision.decided_by.get_username(), c.paragraph.ordinal, c.passages)
            for c in conflicts
        ]  # fmt: skip

    assert len(shown) == len(conflicts)
    assert {c.other_cable for c in conflicts} == set(others)
    assert len(conflicts) > len(others) * len(texts)  # each edited copy matches several


def test_the_partial_shows_the_decision_taken_in_the_other_cable():
    a, (talks_a,) = cable_with(TALKS)
    decide(talks_a, "withhold", label="(b)(1) 1.4(d)", by=UserFactory(username="vera"))
    b, (talks_b,) = cable_with(TALKS)
    decide(talks_b, "release")
    indexed(a, b)

    conflicts = release_conflicts(b)
    html = render_to_string(
        "workflow/_consistency.html", {"conflicts": conflicts, "conflict_cables_shown": {a.pk}}
    )

    assert a.reference_id in html
    assert "Withheld in full (b)(1) 1.4(d)" in html
    assert "vera" in html and "100%" in html
    assert "1 conflict:" in html
    # A viewer who may not see cable A learns the decision, not which cable or who.
    hidden = render_to_string(
        "workflow/_consistency.html", {"conflicts": conflicts, "conflict_cables_shown": set()}
    )
    assert "Withheld in full (b)(1) 1.4(d)" in hidden
    assert a.reference_id not in hidden and "vera" not in hidden
    assert "another cable (not yours to view)" in hidden
    assert render_to_string("workflow/_consistency.html", {}).strip() == ""
    empty = render_to_string("workflow/_consistency.html", {"conflicts": []})
    assert "Nothing this release would publish" in empty


def test_a_conflict_is_a_frozen_value():
    import dataclasses

    assert dataclasses.is_dataclass(Conflict)
    assert Conflict.__dataclass_params__.frozen


def test_the_review_page_shows_reviewers_what_another_cable_withholds(client):
    from django.urls import reverse

    from workflow import permissions
    from workflow.models import Clearance

    a, (talks_a,) = cable_with(TALKS)
    decide(talks_a, "withhold", label="(b)(1) 1.4(d)", by=UserFactory(username="vera"))
    b, _ = cable_with(TALKS)  # not decided yet: the reviewer sees it before deciding
    indexed(a, b)
    reviewer = UserFactory()
    Clearance.objects.create(user=reviewer, level=int(Level.S))
    permissions.grant(permissions.REVIEW, reviewer, b)
    client.force_login(reviewer)

    html = client.get(reverse("workflow:review", args=[b.pk])).content.decode()

    assert "Consistency with other cables" in html
    assert "Withheld in full (b)(1) 1.4(d)" in html
    assert a.reference_id not in html  # the reviewer holds nothing on cable A
    permissions.grant(permissions.VIEW, reviewer, a)
    html = client.get(reverse("workflow:review", args=[b.pk])).content.decode()
    assert a.reference_id in html and "vera" in html
