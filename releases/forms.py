"""Forms of the release pages."""

from __future__ import annotations

from django import forms


class ReleaseRequestForm(forms.Form):
    """The release authority's approval: an optional case number, the confirmation
    that conflicts with other cables were reviewed (required when there are any), and
    what the page showed (its digest, each paragraph's decision and each header
    field's hash), so that an approval posted from a stale page is refused."""

    case_number = forms.CharField(max_length=40, required=False)
    acknowledge_conflicts = forms.BooleanField(required=False)
    conflicts_digest = forms.CharField(max_length=64, required=False)
    # What the page showed (releases.services.approval_shown): a change since is a 409.
    approval_digest = forms.CharField(
        max_length=64,
        error_messages={"required": "the approval form is out of date: load the page again"},
    )
    decisions_shown = forms.CharField(max_length=200_000, required=False)
    header_shown = forms.CharField(max_length=2_000, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(max_length=200, required=False, label="Search released text")
