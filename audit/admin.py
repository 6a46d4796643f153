"""Admin for the audit trail: read only, like every record the service writes.

People named on admin pages (who acted, who changed a rule, whose clearance) link to
their user page only where the viewer may open it (``people_pages_open``); elsewhere
they are plain text, or, on the audit trail, a link to the events of that person: a
link that answers "403 Forbidden" tells the viewer nothing and reads as a fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from audit.models import AuditEvent
from audit.trail import note_withheld
from config.admin_lookups import DeclaredLookupsOnly


class ReadOnlyAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """History is written by the service, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


def people_pages_open(site: admin.AdminSite, request: HttpRequest) -> bool:
    """Whether the viewer may open user pages in this admin (the user admin says: the
    security officer and superusers may; an auditor, a rule editor or an admin may not)."""
    user_admin = site._registry.get(get_user_model())
    return user_admin is not None and user_admin.has_view_or_change_permission(request)


def person_name(user: Any) -> str:
    """A person as plain text, where the viewer may not open user pages."""
    return user.get_username() if user is not None else "-"


def person_fields(
    site: admin.AdminSite, request: HttpRequest, fields: Any, shown: dict[str, str]
) -> list[Any]:
    """``fields`` of an admin page with each foreign key to a person (a key of ``shown``)
    kept where the viewer may open user pages (Django links it to the user's page), else
    swapped for ``shown[key]``, a display of the person as plain text.  Tuples (fields
    shown on one line) are swapped inside."""
    if people_pages_open(site, request):
        return list(fields)
    swapped = []
    for field in fields:
        if isinstance(field, (list, tuple)):
            swapped.append(type(field)(shown.get(f, f) for f in field))
        else:
            swapped.append(shown.get(field, field))
    return swapped


class ActorFilter(admin.SimpleListFilter):
    """The events of one person, as recorded (``actor_name``): the target of an event's
    "who" link.  No list of every actor is offered (that would read the whole trail to
    build it); the chosen person shows, to be cleared with "All"."""

    title = "who"
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[AuditEvent]) -> Any:
        value = self.value()
        return queryset.filter(actor_name=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "at", "actor_name", "action", "cable_ref", "paragraph_id")
    list_filter = ("action", ActorFilter)
    search_fields = ("cable_ref", "actor_name")
    show_full_result_count = False
    # The event's person: the user's page for whoever may open it, else the person's
    # events on this trail (get_fields).
    readonly_fields = ("actor_events",)

    def entries_as_read(
        self, request: HttpRequest, events: Iterable[AuditEvent]
    ) -> Iterable[AuditEvent]:
        """The entries as the viewer reads them: a note recorded with a move may quote the
        cable, so here every note is withheld; the workflow's admin shows those of the
        cables the viewer may read whole (``workflow.access``)."""
        return (note_withheld(event) for event in events)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> AuditEvent | None:
        event = super().get_object(request, object_id, from_field)
        return None if event is None else next(iter(self.entries_as_read(request, [event])))

    def get_fields(self, request: HttpRequest, obj: AuditEvent | None = None) -> Any:
        fields = [f for f in super().get_fields(request, obj) if f != "actor_events"]
        if people_pages_open(self.admin_site, request):
            return fields
        return ["actor_events" if f == "actor" else f for f in fields]

    @admin.display(description="actor")
    def actor_events(self, obj: AuditEvent) -> SafeString | str:
        """Who acted, linked to every event of theirs on this trail (the auditor's own
        pages); ``-`` for the system."""
        if not obj.actor_name:
            return "-"
        url = reverse(f"{self.admin_site.name}:audit_auditevent_changelist")
        query = urlencode({ActorFilter.parameter_name: obj.actor_name})
        return format_html('<a href="{}?{}">{}</a>', url, query, obj.actor_name)
