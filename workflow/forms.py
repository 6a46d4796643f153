"""Forms for the workflow's pages."""

from __future__ import annotations

from django import forms

from cables.models import ClassificationLevel
from workflow.selectors import CableFilters


class CableFilterForm(forms.Form):
    post = forms.CharField(required=False, label="Post", max_length=128)
    tag = forms.CharField(required=False, label="TAGS", max_length=64)
    level = forms.TypedChoiceField(
        required=False,
        label="Classification",
        choices=[("", "Any"), *ClassificationLevel.choices],
        coerce=int,
        empty_value=None,
    )

    def filters(self) -> CableFilters:
        if not self.is_valid():
            return CableFilters()
        data = self.cleaned_data
        return CableFilters(post=data["post"].strip(), tag=data["tag"].strip(), level=data["level"])
