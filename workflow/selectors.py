"""Reads that views need, with their filters and aggregation done in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth

from cables.models import Cable, CableStatus, ReviewState


@dataclass(frozen=True)
class CableFilters:
    """Header filters shared by the queue and the forecast."""

    post: str = ""
    tag: str = ""
    level: int | None = None

    def apply(self, cables: QuerySet[Cable]) -> QuerySet[Cable]:
        if self.post:
            cables = cables.filter(origin__iexact=self.post)
        if self.tag:
            cables = cables.with_tag(self.tag)
        if self.level is not None:
            cables = cables.filter(level=self.level)
        return cables


@dataclass(frozen=True)
class ForecastMonth:
    month: date
    count: int


@dataclass(frozen=True)
class Forecast:
    overdue: int  # dated before this month and not yet released
    months: list[ForecastMonth]

    @property
    def peak(self) -> int:
        return max((m.count for m in self.months), default=0)

    @property
    def total(self) -> int:
        return sum(m.count for m in self.months)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def declass_forecast(*, cables: QuerySet[Cable], today: date, months: int = 24) -> Forecast:
    """How many cables come due in each of the next ``months`` months (two queries)."""
    first = today.replace(day=1)
    end = _add_months(first, months)
    pending = CableStatus.objects.filter(cable__in=cables).exclude(
        review_state=ReviewState.RELEASED
    )
    rows = (
        pending.filter(declass_date__gte=first, declass_date__lt=end)
        .annotate(month=TruncMonth("declass_date"))
        .values("month")
        .annotate(n=Count("cable_id"))
        .order_by()
    )
    counts = {(r["month"].year, r["month"].month): r["n"] for r in rows}
    series = []
    for i in range(months):
        month = _add_months(first, i)
        series.append(ForecastMonth(month, counts.get((month.year, month.month), 0)))
    overdue = pending.filter(declass_date__lt=first).count()
    return Forecast(overdue=overdue, months=series)


def posts_for(cables: QuerySet[Cable]) -> list[str]:
    return list(
        cables.exclude(origin="").order_by("origin").values_list("origin", flat=True).distinct()
    )
