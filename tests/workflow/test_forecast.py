"""The forecast page: counts per month, filters, and only cables the user may see."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from cables.markings import Level
from cables.models import Cable
from tests.factories import CableFactory, UserFactory, person
from workflow import permissions
from workflow.models import ReviewState
from workflow.selectors import CableFilters, declass_forecast

pytestmark = pytest.mark.django_db
TODAY = date(2025, 7, 15)


def test_forecast_counts_each_of_the_next_24_months_and_the_overdue():
    CableFactory(declass_date=date(2025, 7, 1))
    CableFactory(declass_date=date(2025, 7, 31))
    CableFactory(declass_date=date(2026, 1, 5))
    CableFactory(declass_date=date(2027, 6, 30))  # the 24th month
    CableFactory(declass_date=date(2027, 7, 1))  # beyond
    CableFactory(declass_date=date(2020, 1, 1))  # overdue
    CableFactory(declass_date=date(2019, 1, 1), review_state=ReviewState.RELEASED)

    result = declass_forecast(cables=Cable.objects.all(), today=TODAY, months=24)

    assert len(result.months) == 24
    assert result.months[0].month == date(2025, 7, 1)
    assert result.months[0].count == 2
    assert result.months[6].count == 1
    assert result.months[23].month == date(2027, 6, 1)
    assert result.months[23].count == 1
    assert result.total == 4
    assert result.overdue == 1


def test_forecast_filters_by_post_tag_and_classification():
    CableFactory(
        declass_date=date(2025, 8, 1), origin="Embassy Rome", tags=["PREL"], level=int(Level.S)
    )
    rome = Cable.objects.get()
    rome.tag_rows.create(tag="PREL")
    CableFactory(declass_date=date(2025, 8, 1), origin="Embassy Paris", level=int(Level.C))

    reader = person("fay", Level.TS, "reviewer")  # cleared for every subject: every tag

    def total(**kwargs):
        qs = CableFilters(**kwargs).apply(Cable.objects.all(), reader=reader)
        return declass_forecast(cables=qs, today=TODAY).total

    assert total() == 2
    assert total(post="embassy rome") == 1
    assert total(tag="prel") == 1
    assert total(level=int(Level.C)) == 1
    assert total(post="Embassy Rome", level=int(Level.C)) == 0


def test_forecast_page_renders_only_what_the_user_may_see(client):
    today = timezone.now().date()
    user = UserFactory()
    mine = CableFactory(declass_date=today)
    CableFactory(declass_date=today)
    permissions.grant(permissions.VIEW, user, mine)
    client.force_login(user)

    response = client.get(reverse("workflow:forecast"))

    assert response.status_code == 200
    assert response.context["forecast"].total == 1
    assert "1 cable come due" in response.content.decode()


def test_forecast_needs_login(client):
    response = client.get(reverse("workflow:forecast"))
    assert response.status_code == 302
