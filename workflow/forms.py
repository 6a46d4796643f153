"""Forms for the workflow's pages."""

from __future__ import annotations

from django import forms

from cables.models import ClassificationLevel
from workflow.assignment import MAX_BATCH, AssignmentError, CableQuery, find_assignee
from workflow.models import AssignmentBatch, Decision, ReviewState
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


# -- assigning work (workflow.assignment) --------------------------------------------------


def _assignee(value: str) -> object:
    try:
        return find_assignee(value)
    except AssignmentError as exc:
        raise forms.ValidationError(str(exc)) from None


class AssigneeForm(forms.Form):
    """Who gets the work and what they may do with it (the admin's "Assign selected
    cables..." confirmation asks only this)."""

    assignee = forms.CharField(
        label="To",
        max_length=160,
        help_text='A user name, or "group:NAME" for a group.',
        widget=forms.TextInput(attrs={"list": "assignee-options", "autocomplete": "off"}),
    )
    permission = forms.ChoiceField(
        label="Permission",
        choices=AssignmentBatch.Permission.choices,
        initial=AssignmentBatch.Permission.REVIEW,
    )

    def clean_assignee(self) -> object:
        return _assignee(self.cleaned_data["assignee"])


class AssignmentForm(AssigneeForm):
    """Assign (or revoke) by query: the filters, and the batch size ("the next N due")."""

    action = forms.ChoiceField(
        required=False,  # none given (a link to the page with a query): assign
        choices=[("assign", "Assign"), ("revoke", "Revoke")],
        initial="assign",
        widget=forms.RadioSelect,
    )
    post = forms.CharField(required=False, label="Post", max_length=128)
    tag = forms.CharField(required=False, label="TAGS", max_length=64)
    level = forms.TypedChoiceField(
        required=False,
        label="Classification",
        choices=[("", "Any"), *ClassificationLevel.choices],
        coerce=int,
        empty_value=None,
    )
    state = forms.ChoiceField(
        required=False, label="State", choices=[("", "Any"), *ReviewState.choices]
    )
    sent_from = forms.DateField(
        required=False, label="Sent from", widget=forms.DateInput(attrs={"type": "date"})
    )
    sent_until = forms.DateField(
        required=False, label="Sent until", widget=forms.DateInput(attrs={"type": "date"})
    )
    due_within_days = forms.IntegerField(
        required=False, label="Due within (days)", min_value=0, max_value=100_000
    )
    assigned = forms.ChoiceField(
        required=False,
        label="Assigned",
        choices=[("", "Either"), ("no", "Not yet assigned"), ("yes", "Already assigned")],
    )
    limit = forms.IntegerField(
        required=False,
        label="Batch size",
        min_value=1,
        max_value=MAX_BATCH,
        help_text="The first N, due soonest first. Empty: every matching cable.",
    )

    def __init__(self, *args: object, require_assignee: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["assignee"].required = require_assignee

    def clean_assignee(self) -> object:
        value = self.cleaned_data["assignee"]
        return _assignee(value) if value else None

    def clean(self) -> dict:
        data = super().clean()
        sent_from, sent_until = data.get("sent_from"), data.get("sent_until")
        if sent_from and sent_until and sent_from > sent_until:
            raise forms.ValidationError("The date range ends before it starts.")
        return data

    def query(self) -> CableQuery:
        """The filters as a ``workflow.assignment.CableQuery`` (call after is_valid)."""
        data = self.cleaned_data
        return CableQuery(
            post=data["post"].strip(),
            tag=data["tag"].strip(),
            level=data["level"],
            state=data["state"],
            sent_from=data["sent_from"],
            sent_until=data["sent_until"],
            due_within_days=data["due_within_days"],
            assigned=data["assigned"],
        )
