"""The cable upload the admin offers: the form, and the view that imports the files.

The cable admin itself (list, change page with paragraphs) shows cable text, so it
is registered by the workflow (``workflow.cable_admin``), which knows who may read
what; it takes the upload from here (``CableUploadMixin``) and says whose stored
raw text the uploader may read (``raw_text_readable``): only for those cables is a
file told *unchanged* or a *conflict*, for the others *already stored* either way
(``cables.import_answer``).
"""

from __future__ import annotations

from collections.abc import Collection
from functools import partial

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from cables.import_answer import ImportAnswer, import_answer
from cables.ingest import cables_import
from cables.models import Cable
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

    def raw_text_readable(self, request: HttpRequest, cables: QuerySet[Cable]) -> Collection[int]:
        """The ids of ``cables`` whose raw text the uploader may read, as far as this app
        knows: none (the workflow's cable admin says)."""
        return ()

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Upload cable files; they go through the same import service as the command."""
        if not self.has_change_permission(request):  # type: ignore[attr-defined]
            return redirect("admin:index")
        form = CableUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            files = form.cleaned_data["files"][:MAX_UPLOAD_FILES]
            sources = [upload_source(f) for f in files]
            report = cables_import(sources, workers=1)
            readable = partial(self.raw_text_readable, request)
            _report_messages(request, import_answer(report, readable))
            return redirect("admin:cables_cable_changelist")
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "form": form,
            "opts": self.model._meta,  # type: ignore[attr-defined]
            "title": "Upload cables",
        }
        return TemplateResponse(request, "admin/cables/cable/upload.html", context)


def _report_messages(request: HttpRequest, answer: ImportAnswer) -> None:
    """The summary, then each conflict and failure; files already stored on cables whose
    raw text the uploader may not read are one warning each, unchanged or not."""
    summary = (
        f"Imported {answer.imported}, unchanged {answer.unchanged}, "
        f"conflicts {len(answer.conflicts)}, failed {len(answer.failed)}."
    )
    if answer.already_stored:
        summary += f" Already stored, kept as stored: {len(answer.already_stored)}."
    messages.success(request, summary)
    for item in [*answer.conflicts, *answer.failed]:
        messages.error(request, item["error"])
    for item in answer.already_stored:
        messages.warning(request, item["error"])
