"""Forms for the workflow's pages."""

from __future__ import annotations

from django import forms

from cables.models import ClassificationLevel
from workflow.models import Decision, ReviewState
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


class DecisionForm(forms.Form):
    """One paragraph decision as posted by the review page."""

    kind = forms.ChoiceField(choices=Decision.Kind.choices)
    based_on = forms.IntegerField(required=False)
    label = forms.CharField(required=False, max_length=120)
    agency = forms.CharField(required=False, max_length=120)
    start = forms.IntegerField(required=False, min_value=0)
    end = forms.IntegerField(required=False, min_value=0)
    remove = forms.IntegerField(required=False, min_value=0)
    note = forms.CharField(required=False, max_length=2000)


class TransitionForm(forms.Form):
    target = forms.ChoiceField(choices=ReviewState.choices)
    note = forms.CharField(required=False, max_length=2000)


class AuditFilterForm(forms.Form):
    cable = forms.CharField(required=False, label="Cable", max_length=64)
    action = forms.CharField(required=False, label="Action", max_length=64)
    actor = forms.CharField(required=False, label="Who", max_length=150)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
