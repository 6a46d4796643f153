"""The admin pages that show cable text, registered here because here is where the
workflow says who may read what (``workflow.access``).

- Cables: the list and the change pages hold only the cables the user may view;
  a change page lists the paragraphs up to the user's clearance, the subject (and
  the TAGS and REF lines, which go with it) only to whoever is cleared for it (and the list searches
  it only for them), and the raw text only to whoever is cleared for every paragraph
  and the subject.
- Redaction rules: the dry run scans and counts only the paragraphs the user may
  read, and the form suggests posts only of the cables the user may view, and TAGS
  only of those whose subject they may read.
- Proposed redactions: only those on paragraphs the user may read; a proposal's page
  names its cable only where the user may view it.

A cable's change page also opens, view only, to whoever may view that one cable
(``may_view_cable``) without the admin's model permission: a rule editor following a
proposed redaction to its cable.  The list and every other cable stay closed to them,
and the page's breadcrumbs link the list only where it opens.

The cable upload (``cables.admin.CableUploadMixin``) tells a file *unchanged* or a
*conflict* only where the uploader may read the stored cable's raw text, and *already
stored* either way elsewhere (``raw_text_readable``).

The cable list's action "Assign selected cables..." (supervisors and admins) asks who
gets which permission on a confirmation page, then makes one assignment batch of the
selected cables (``workflow.assignment``).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import display_for_field
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse

from cables.admin import CableUploadMixin
from cables.models import Cable, Paragraph
from config.admin_lookups import DeclaredLookupsOnly
from redaction.admin import ProposedRedactionAdmin, RedactionRuleAdmin
from redaction.admin_forms import TAGS_READABLE
from redaction.models import ProposedRedaction, RedactionRule
from workflow import access, assignment
from workflow.forms import AssigneeForm
from workflow.permissions import SelfChangeRefused, clearance_level


def may_view_cable(request: HttpRequest, cable: Cable) -> bool:
    """Whether the requesting user may view this cable (``workflow.access``), asked once
    a request per cable however often the admin's permission checks ask."""
    seen: dict[int, bool] = request.__dict__.setdefault("_may_view_cable", {})
    if cable.pk not in seen:
        one = Cable.objects.filter(pk=cable.pk)
        seen[cable.pk] = access.readable_cables(request.user, queryset=one).exists()
    return seen[cable.pk]


class ParagraphInline(admin.TabularInline):
    model = Paragraph
    fields = ("number", "marking_display", "explicit", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Paragraph]:
        # Paragraphs above the user's clearance are never loaded, let alone shown.  The
        # inline is there only where has_view_permission(request, cable) let it be; the
        # inline's own check, made without the cable, would hide every paragraph from
        # whoever may view this cable without the model permission: not asked again.
        paragraphs = admin.options.BaseModelAdmin.get_queryset(self, request)
        return access.readable_paragraphs(request.user, paragraphs)

    @admin.display(description="marking")
    def marking_display(self, obj: Paragraph) -> str:
        return str(obj.marking)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # read only: paragraphs change only by importing the cable again

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Whoever may see cables in the admin sees their paragraphs: the ones they may
        # read (get_queryset), with no model permission of their own to hand out; so
        # does whoever may view this one cable (obj: the cable whose page it is).
        user = request.user
        if user.has_perm("cables.view_cable") or user.has_perm("cables.change_cable"):
            return True
        return isinstance(obj, Cable) and may_view_cable(request, obj)


# The raw text, what tells it apart, and what is read from its end (the signer's name,
# glued at times to the last paragraph): for whoever may read every paragraph only.
RAW_FIELDS = frozenset({"raw_text", "sha256", "signature"})
SOURCE_FIELDS = (
    "source_name",
    "source_format",
    "parse_warnings_display",
    "from_metadata",
    "sha256",
    "imported_at",
)


@admin.register(Cable)
class CableAdmin(DeclaredLookupsOnly, CableUploadMixin, admin.ModelAdmin):
    list_display = (
        "reference_id",
        "sent_at",
        "origin",
        "classification_display",
        "subject_display",
        "paragraph_count",
        "declass_date",
        "review_state",
    )
    list_select_related = ("status",)
    list_filter = ("level", "status__review_state", "source_format")
    # The subject is searched only where the user may read it (get_search_results).
    search_fields = ("reference_id", "origin")
    date_hierarchy = "sent_at"
    inlines = [ParagraphInline]
    actions = ["assign_selected"]
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = [
        *(f.name for f in Cable._meta.concrete_fields if f.name != "id"),
        "declass_date",
        "review_state",
        "not_shown",
        "subject_display",
        "tags_display",
        "references_display",
        "parse_warnings_display",
    ]
    fieldsets = (
        (None, {"fields": ("reference_id", "subject_display", "review_state", "not_shown")}),
        (
            "Header",
            {
                "fields": (
                    "dtg",
                    "sent_at",
                    "origin",
                    "originator",
                    "precedence",
                    "to_addressees",
                    "info_addressees",
                    "level",
                    "controls",
                    "subject_level",
                    "subject_controls",
                    "banner",
                    "captions",
                    "executive_order",
                    "decl",
                    "classified_by",
                    "reasons",
                    "tags_display",
                    "references_display",
                    "section_count",
                    "signature",
                )
            },
        ),
        (
            "Declassification",
            {
                "fields": (
                    "declass_date",
                    "declass_kind",
                    "declass_rule",
                    "declass_review_required",
                    "declass_explanation",
                    "declass_warnings",
                    "declass_flags",
                    "declass_computed_at",
                )
            },
        ),
        ("Source", {"classes": ("collapse",), "fields": (*SOURCE_FIELDS, "raw_text")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cable]:
        # Only the cables the user may view: the list, the change page (another
        # cable's is "not found"), and every action start from here.
        # Correlated subqueries, counted only for the rows shown: a JOIN with GROUP BY
        # would aggregate every paragraph of every cable before paging.
        paragraphs = Paragraph.objects.filter(cable=OuterRef("pk")).order_by().values("cable")
        count = paragraphs.annotate(n=Count("pk")).values("n")
        above = (
            paragraphs.filter(level__gt=clearance_level(request.user))
            .annotate(n=Count("pk"))
            .values("n")
        )
        cables = access.readable_cables(request.user, queryset=super().get_queryset(request))
        return cables.annotate(
            _paragraphs=Coalesce(Subquery(count), Value(0)),
            _above_clearance=Coalesce(Subquery(above), Value(0)),
            _subject=access.readable_subject(request.user),
            _tags_readable=ExpressionWrapper(access.tags_readable(request.user), BooleanField()),
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Cable], search_term: str
    ) -> tuple[QuerySet[Cable], bool]:
        """Reference id and post as usual; the subject only where the user may read it,
        so that a search cannot tell whether a subject above their clearance matches."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        terms = search_term.split()
        if not terms:
            return found, duplicates
        by_subject = queryset.filter(_subject__isnull=False)
        for term in terms:
            by_subject = by_subject.filter(_subject__icontains=term)
        return found | by_subject, duplicates

    def get_fieldsets(self, request: HttpRequest, obj: Cable | None = None):  # type: ignore[no-untyped-def]
        """The raw text holds every paragraph: shown only to whoever may read them all, and
        so are its sha256, which would confirm a guess at a hidden paragraph offline, and
        the signature read from its end."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and access.may_read_raw_text(request.user, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in RAW_FIELDS]})
            for name, options in fieldsets
        ]

    @admin.display(description="not shown to you")
    def not_shown(self, obj: Cable) -> str:
        hidden = getattr(obj, "_above_clearance", 0)
        subject = getattr(obj, "_subject", None) is None
        if not hidden and not subject:
            return "—"
        what = f"{hidden} paragraph{pluralize(hidden)}" if hidden else "the subject"
        text = f"{what} above your clearance, and the raw text"
        return f"{text}; the subject is above your clearance too" if hidden and subject else text

    @admin.display(description="subject")
    def subject_display(self, obj: Cable) -> str:
        # Annotated by get_queryset (workflow.access.readable_subject); None: not readable.
        shown = getattr(obj, "_subject", None)
        return "(above your clearance)" if shown is None else shown

    @admin.display(description="tags")
    def tags_display(self, obj: Cable) -> str:
        # Annotated by get_queryset (workflow.access.tags_readable): they go with the subject.
        if not getattr(obj, "_tags_readable", False):
            return "(above your clearance, with the subject)"
        return display_for_field(obj.tags, Cable._meta.get_field("tags"), "-")

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Cable | None:
        """The cable of a change page, which carries who reads it: the parser's warnings go
        by the reader (``workflow.access.parse_warnings_for``), and the display methods
        get no request."""
        cable = super().get_object(request, object_id, from_field)
        if cable is not None:
            cable._reader = request.user  # type: ignore[attr-defined]
        return cable

    @admin.display(description="references")
    def references_display(self, obj: Cable) -> str:
        # The REF lines go with the subject as the TAGS do (workflow.access.references_for,
        # here by the same annotation as tags_display): they name the referenced cable by
        # its subject, often this one's.
        if not getattr(obj, "_tags_readable", False):
            return "(above your clearance, with the subject)"
        return display_for_field(obj.references, Cable._meta.get_field("references"), "-")

    @admin.display(description="parse warnings")
    def parse_warnings_display(self, obj: Cable) -> str:
        # Whole to whoever may read the raw text, else cut to their codes and paragraphs
        # (workflow.access.parse_warnings_for); the paragraphs above the reader's clearance
        # are counted by get_queryset already.
        shown = access.parse_warnings_for(
            getattr(obj, "_reader", None), obj, hidden=getattr(obj, "_above_clearance", None)
        )
        return display_for_field(shown, Cable._meta.get_field("parse_warnings"), "-")

    @admin.display(description="declassification date", ordering="status__declass_date")
    def declass_date(self, obj: Cable) -> object:
        return obj.status.declass_date if hasattr(obj, "status") else None

    @admin.display(description="state", ordering="status__review_state")
    def review_state(self, obj: Cable) -> str:
        return obj.status.get_review_state_display() if hasattr(obj, "status") else "—"

    @admin.display(description="classification", ordering="level")
    def classification_display(self, obj: Cable) -> str:
        return str(obj.classification)

    @admin.display(description="¶", ordering="_paragraphs")
    def paragraph_count(self, obj: Cable) -> int:
        return obj._paragraphs  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Cable | None = None) -> bool:
        """The model permission (the admin role), or, for one cable, whatever lets the
        user view it: its page, view only, for a rule editor following a proposal to it.
        Without ``obj`` (the list, the admin's index) the model permission alone."""
        if super().has_view_permission(request, obj):
            return True
        return obj is not None and may_view_cable(request, obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, object] | None = None,
    ) -> HttpResponse:
        # The breadcrumbs link the cable list only for whoever may open it.
        extra = {"cable_list_opens": self.has_view_or_change_permission(request)}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        # As on the change page: the breadcrumbs link the list only where it opens.
        extra = {"cable_list_opens": self.has_view_or_change_permission(request)}
        return super().history_view(request, object_id, {**(extra_context or {}), **extra})

    def raw_text_readable(self, request: HttpRequest, cables: QuerySet[Cable]) -> set[int]:
        """An upload tells *unchanged* from *conflict* only for these stored cables."""
        return access.raw_text_readable(request.user, cables)

    def has_assign_permission(self, request: HttpRequest) -> bool:
        return assignment.may_assign(request.user)

    @admin.action(description="Assign selected cables...", permissions=["assign"])
    def assign_selected(
        self, request: HttpRequest, queryset: QuerySet[Cable]
    ) -> HttpResponse | None:
        """Ask who gets which permission (a confirmation page), then assign the selected
        cables as one batch.  "Select all" carries over as the list's own query."""
        ids = list(queryset.order_by().values_list("pk", flat=True))
        across = request.POST.get("select_across") == "1"
        form = AssigneeForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                batch = assignment.assign(
                    actor=request.user,
                    assignee=form.cleaned_data["assignee"],
                    permission=form.cleaned_data["permission"],
                    cable_ids=ids,
                )
            except (assignment.AssignmentError, SelfChangeRefused) as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request,
                    f"Batch {batch.pk}: {batch.get_permission_display().lower()} on "
                    f"{batch.cable_count} cable{pluralize(batch.cable_count)} assigned to "
                    f"{batch.assignee_name}.",
                    messages.SUCCESS,
                )
                return None
        return TemplateResponse(
            request,
            "workflow/assign/confirm_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": "Assign selected cables",
                "opts": self.model._meta,
                "form": form,
                "count": len(ids),
                "references": list(
                    queryset.order_by("reference_id").values_list("reference_id", flat=True)[:10]
                ),
                "ids": [] if across else ids,
                "select_across": across,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "people": assignment.assignable_people(),
            },
        )


def _readable(request: HttpRequest) -> QuerySet[Paragraph]:
    return access.readable_paragraphs(request.user)


@admin.register(RedactionRule)
class ReadableRedactionRuleAdmin(RedactionRuleAdmin):
    """The rule admin: its dry run scans only the paragraphs the user may read, and its
    form suggests the posts and TAGS only of the cables the user may view."""

    def readable_paragraphs(self, request: HttpRequest) -> QuerySet[Paragraph]:
        return _readable(request)

    def tags_readable_cables(self, request: HttpRequest) -> QuerySet[Cable]:
        return Cable.objects.filter(access.tags_readable(request.user))

    def hidden_paragraphs(self, request: HttpRequest) -> QuerySet[Paragraph]:
        # The cables are authorised here, so the clearance half is access.cleared's.
        viewable = access.readable_cables(request.user).order_by().values("pk")
        return Paragraph.objects.filter(cable__in=viewable).exclude(access.cleared(request.user))

    def viewable_cables(self, request: HttpRequest) -> QuerySet[Cable]:
        # Their posts are suggested; their TAGS only where the editor reads them (they go
        # with the subject), marked in the same query.
        readable = ExpressionWrapper(access.tags_readable(request.user), BooleanField())
        return access.readable_cables(request.user).annotate(**{TAGS_READABLE: readable})


@admin.register(ProposedRedaction)
class ReadableProposedRedactionAdmin(ProposedRedactionAdmin):
    """Proposed redactions on the paragraphs the user may read, and no others; a
    proposal's page names its cable where the user may view it."""

    def readable_paragraphs(self, request: HttpRequest) -> QuerySet[Paragraph]:
        return _readable(request)

    def viewable_cables(self, request: HttpRequest) -> QuerySet[Cable]:
        return access.readable_cables(request.user)

    def rules_readable(self, request: HttpRequest) -> Q:
        return access.proposal_rules_readable(request.user, "cable__")
