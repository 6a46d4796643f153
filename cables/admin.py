"""Admin for cables: list, search and read cables with their paragraphs; upload more."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from cables.ingest import cables_import
from cables.models import Cable, Paragraph
from cables.uploads import upload_refusal, upload_source

MAX_UPLOAD_FILES = 500


class ParagraphInline(admin.TabularInline):
    model = Paragraph
    fields = ("number", "marking_display", "explicit", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    @admin.display(description="marking")
    def marking_display(self, obj: Paragraph) -> str:
        return str(obj.marking)

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def clean(self, data: object, initial: object = None) -> list[object]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class CableUploadForm(forms.Form):
    files = MultipleFileField(
        widget=MultipleFileInput(attrs={"multiple": True, "accept": ".txt,.html,.htm,.md"}),
        help_text="Raw telegram text, archive HTML pages or Markdown scrapes.",
    )

    def clean_files(self) -> list[object]:
        """A file over the size limit refuses the upload, named, before any is read."""
        files = self.cleaned_data["files"]
        refusals = [str(refusal) for f in files if (refusal := upload_refusal(f))]
        if refusals:
            raise forms.ValidationError(refusals)
        return files


@admin.register(Cable)
class CableAdmin(admin.ModelAdmin):
    list_display = (
        "reference_id",
        "sent_at",
        "origin",
        "classification_display",
        "subject",
        "paragraph_count",
        "declass_date",
        "review_state",
    )
    list_select_related = ("status",)
    list_filter = ("level", "status__review_state", "source_format")
    search_fields = ("reference_id", "subject", "origin")
    date_hierarchy = "sent_at"
    inlines = [ParagraphInline]
    list_per_page = 50
    show_full_result_count = False
    readonly_fields = [
        *(f.name for f in Cable._meta.concrete_fields if f.name != "id"),
        "declass_date",
        "review_state",
    ]
    fieldsets = (
        (None, {"fields": ("reference_id", "subject", "review_state")}),
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
                    "banner",
                    "captions",
                    "executive_order",
                    "decl",
                    "classified_by",
                    "reasons",
                    "tags",
                    "references",
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
        (
            "Source",
            {
                "classes": ("collapse",),
                "fields": (
                    "source_name",
                    "source_format",
                    "parse_warnings",
                    "from_metadata",
                    "sha256",
                    "imported_at",
                    "raw_text",
                ),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        # A correlated subquery, counted only for the rows shown: a JOIN with GROUP BY
        # would aggregate every paragraph of every cable before paging.
        count = (
            Paragraph.objects.filter(cable=OuterRef("pk"))
            .order_by()
            .values("cable")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super().get_queryset(request).annotate(_paragraphs=Coalesce(Subquery(count), Value(0)))
        )

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

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),
            name="cables_cable_upload",
        )
        return [upload, *super().get_urls()]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload cable files; they go through the same import service as the command."""
        if not self.has_change_permission(request):
            return redirect("admin:index")
        form = CableUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            files = form.cleaned_data["files"][:MAX_UPLOAD_FILES]
            sources = [upload_source(f) for f in files]
            report = cables_import(sources, workers=1)
            _report_messages(request, report.as_dict())
            return redirect("admin:cables_cable_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "opts": self.model._meta,
            "title": "Upload cables",
        }
        return TemplateResponse(request, "admin/cables/cable/upload.html", context)


def _report_messages(request: HttpRequest, summary: dict[str, object]) -> None:
    conflicts = summary["conflicts"]
    failed = summary["failed"]
    messages.success(
        request,
        f"Imported {summary['imported']}, unchanged {summary['unchanged']}, "
        f"conflicts {len(conflicts)}, failed {len(failed)}.",  # type: ignore[arg-type]
    )
    for item in [*conflicts, *failed]:  # type: ignore[misc]
        messages.error(request, item["error"])
