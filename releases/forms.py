"""Forms of the release pages."""

from __future__ import annotations

from django import forms


class ReleaseRequestForm(forms.Form):
    """The release authority's approval: an optional case number, and the confirmation
    that conflicts with other cables were reviewed (required when there are any)."""

    case_number = forms.CharField(max_length=40, required=False)
    acknowledge_conflicts = forms.BooleanField(required=False)
    conflicts_digest = forms.CharField(max_length=64, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label="Search released text")
