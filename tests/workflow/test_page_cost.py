"""What the review page reads per request: the latest decision per paragraph in one
statement, and the current suggestion model's row read once per process while every
call still sees a version trained or removed elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import CableFactory, ParagraphFactory, UserFactory
from workflow.learning import service
from workflow.models import Decision, SuggestionModel
from workflow.review import current_decisions

pytestmark = pytest.mark.django_db


def _decide(cable, paragraph, user, kind, supersedes=None):
    return Decision.objects.create(
        cable=cable,
        paragraph=paragraph,
        kind=kind,
        label="(b)(6)" if kind == "withhold" else "",
        decided_by=user,
        decided_at=timezone.now(),
        supersedes=supersedes,
    )


def test_current_decisions_are_the_latest_per_paragraph_in_one_query():
    user = UserFactory()
    cable, other = CableFactory(), CableFactory()
    a = ParagraphFactory(cable=cable, ordinal=1)
    b = ParagraphFactory(cable=cable, ordinal=2)
    ParagraphFactory(cable=cable, ordinal=3)  # undecided
    elsewhere = ParagraphFactory(cable=other, ordinal=1)
    first = _decide(cable, a, user, "release")
    second = _decide(cable, a, user, "withhold", supersedes=first)
    only = _decide(cable, b, user, "release")
    _decide(other, elsewhere, user, "withhold")

    with CaptureQueriesContext(connection) as queries:
        current = current_decisions(cable)
        assert current[a.pk].decided_by == user  # loaded with the decision

    assert len(queries) == 1
    assert current == {a.pk: second, b.pk: only}
    assert current[a.pk].kind == "withhold" and current[a.pk].label == "(b)(6)"


def _version(n):
    return SuggestionModel.objects.create(
        created_at=timezone.now(),
        training_size=n,
        decisions_digest=f"{n:064d}",
        fitted=b"",
        fitted_hmac="",
    )


def test_latest_version_reads_the_row_once_and_sees_every_change():
    service._latest.clear()
    assert service.latest_version() is None

    v1 = _version(10)
    first = service.latest_version()
    assert first == v1 and first.training_size == 10
    with CaptureQueriesContext(connection) as queries:
        assert service.latest_version() is first  # the same row: only the id probe
    assert len(queries) == 1

    v2 = _version(20)  # trained by another process: seen on the next call
    assert service.latest_version() == v2
    assert service.latest_version().training_size == 20

    v2.delete()
    assert service.latest_version() == v1
    v1.delete()
    assert service.latest_version() is None
