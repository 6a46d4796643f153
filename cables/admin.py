"""The cable upload the admin offers: the form, and the view that imports the files.

The cable admin itself (list, change page with paragraphs) shows cable text, so it
is registered by the workflow (``workflow.cable_admin``), which knows who may read
what; it takes the upload from here (``CableUploadMixin``).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from cables.ingest import cables_import
from cables.uploads import upload_refusal, upload_source

MAX_UPLOAD_FILES = 500


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


class CableUploadMixin:
    """For the cable ModelAdmin: an upload page (``admin:cables_cable_upload``)."""

    def get_urls(self) -> list[URLPattern]:
        upload = path(
            "upload/",
            self.admin_site.admin_view(self.upload_view),  # type: ignore[attr-defined]
            name="cables_cable_upload",
        )
        return [upload, *super().get_urls()]  # type: ignore[misc]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload cable files; they go through the same import service as the command."""
        if not self.has_change_permission(request):  # type: ignore[attr-defined]
            return redirect("admin:index")
        form = CableUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            files = form.cleaned_data["files"][:MAX_UPLOAD_FILES]
            sources = [upload_source(f) for f in files]
            report = cables_import(sources, workers=1)
            _report_messages(request, report.as_dict())
            return redirect("admin:cables_cable_changelist")
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "form": form,
            "opts": self.model._meta,  # type: ignore[attr-defined]
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
