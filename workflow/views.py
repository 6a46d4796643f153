"""Workflow pages. Views stay thin: authorise, call a selector or service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from workflow import permissions
from workflow.forms import CableFilterForm
from workflow.models import Notification
from workflow.selectors import declass_forecast, posts_for

CHART_HEIGHT = 160  # px of the tallest bar


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    """Cables coming due in each of the next 24 months, as a chart and a table."""
    form = CableFilterForm(request.GET or None)
    visible = permissions.cables_for_user(request.user)
    data = declass_forecast(
        cables=form.filters().apply(visible, reader=request.user),
        today=timezone.now().date(),
        months=24,
    )
    peak = data.peak or 1
    bars = [
        {"month": m.month, "count": m.count, "height": round(CHART_HEIGHT * m.count / peak)}
        for m in data.months
    ]
    return render(
        request,
        "workflow/forecast.html",
        {
            "form": form,
            "forecast": data,
            "bars": bars,
            "chart_height": CHART_HEIGHT,
            "posts": posts_for(visible),
        },
    )


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's own notifications, newest first."""
    items = Notification.objects.filter(user=request.user)[:100]
    return render(request, "workflow/notifications.html", {"notifications": items})


@require_POST
@login_required
def notifications_mark_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("workflow:notifications")
