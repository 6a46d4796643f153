"""Admin for redaction rules: versioned, dry-run before activation.

The dry run and the proposed redactions show cable text, and the rule form
suggests posts and TAGS from cable headers; only the workflow knows who may read
which paragraph and view which cable: it registers these admins
(``workflow.cable_admin``), filling in ``readable_paragraphs``,
``hidden_paragraphs`` and ``viewable_cables``.  Here they answer nothing (default
deny), so a page registered without them shows no text and suggests nothing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from audit.admin import ReadOnlyAdmin, person_fields, person_name
from cables.models import Cable, Paragraph
from config.admin_lookups import DeclaredLookupsOnly
from redaction.admin_forms import RULE_FIELD_OVERRIDES, ScopeSuggestions
from redaction.dry_run import rule_dry_run
from redaction.models import ProposedRedaction, RedactionRule, RuleJob, RuleVersion
from redaction.rule_services import job_percent, rule_activate, rule_deactivate, rule_save
from redaction.rule_specs import rule_problems


class RuleForm(forms.ModelForm):
    """Refuses, at save time, a rule the engine could not run, saying exactly why.

    Scopes, controls and personal data kinds are edited with tag inputs, checkboxes
    and date pickers (``redaction.admin_forms``), and clean to the JSON lists and
    dates stored before, so the matcher and the API read them unchanged.
    """

    # The cables whose posts and TAGS the scope suggests: set per request by the admin
    # (``RedactionRuleAdmin.get_form``); none by default.
    suggestions_from: QuerySet[Cable] | None = None

    class Meta:
        model = RedactionRule
        fields = [
            "name", "kind", "label", "action", "priority", "terms", "pattern",
            "personal_kinds", "min_level", "controls", "scope_posts", "scope_tags",
            "scope_levels", "scope_from", "scope_to",
        ]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, make in RULE_FIELD_OVERRIDES.items():
            if name in self.fields:
                self.fields[name] = make()
        suggestions = ScopeSuggestions(self.suggestions_from)
        for name, source in (("scope_posts", suggestions.posts), ("scope_tags", suggestions.tags)):
            if name in self.fields:
                self.fields[name].widget.suggestions = source

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            candidate = self.instance
            for name, value in data.items():
                setattr(candidate, name, value)
            problems = rule_problems(candidate)
            if problems:
                raise forms.ValidationError(problems)
        return data


class RuleVersionInline(admin.TabularInline):
    model = RuleVersion
    fields = ("version", "changed_at", "changed_by", "changes")
    readonly_fields = (*fields, "changed_by_name")
    extra = 0
    can_delete = False
    ordering = ["-version"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """Who changed it: linked to their user page only where the viewer may open it."""
        return person_fields(
            self.admin_site, request, self.fields, {"changed_by": "changed_by_name"}
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleVersion]:
        return super().get_queryset(request).select_related("changed_by")

    @admin.display(description="changed by")
    def changed_by_name(self, obj: RuleVersion) -> str:
        return person_name(obj.changed_by)


def no_paragraphs(request: HttpRequest) -> QuerySet[Paragraph]:
    """The paragraphs the requesting user may read, as far as this app knows: none."""
    return Paragraph.objects.none()


def no_cables(request: HttpRequest) -> QuerySet[Cable]:
    """The cables the requesting user may view, as far as this app knows: none."""
    return Cable.objects.none()


class RedactionRuleAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    form = RuleForm
    list_display = (
        "name",
        "kind",
        "label",
        "action",
        "priority",
        "version",
        "active",
        "live_version",
    )
    list_filter = ("kind", "action", "active")
    search_fields = ("name", "label")
    readonly_fields = (
        "version",
        "active",
        "live_version",
        "updated_at",
        "updated_by",
        "updated_by_name",
    )
    fieldsets = (
        (None, {"fields": ("name", "kind", "label", "action", "priority")}),
        (
            "What it finds",
            {
                "fields": ("terms", "pattern", "personal_kinds", "min_level", "controls"),
                "description": "Fill in what the rule's kind uses: terms for a term list, "
                "a pattern for a regular expression, kinds for personal data, a level or "
                "controls for a marking rule.",
            },
        ),
        (
            "Scope (empty: every cable)",
            {"fields": ("scope_posts", "scope_tags", "scope_levels", ("scope_from", "scope_to"))},
        ),
        (
            "Version",
            {"fields": ("version", "active", "live_version", "updated_at", "updated_by")},
        ),
    )
    inlines = [RuleVersionInline]
    change_form_template = "admin/redaction/redactionrule/change_form.html"

    def get_fieldsets(self, request: HttpRequest, obj: RedactionRule | None = None) -> Any:
        """Who last changed the rule: linked to their user page only where the viewer
        may open it (a rule editor may not: plain text)."""
        return [
            (
                name,
                {
                    **options,
                    "fields": person_fields(
                        self.admin_site,
                        request,
                        options["fields"],
                        {"updated_by": "updated_by_name"},
                    ),
                },
            )
            for name, options in super().get_fieldsets(request, obj)
        ]

    @admin.display(description="updated by")
    def updated_by_name(self, obj: RedactionRule) -> str:
        return person_name(obj.updated_by)

    @admin.display(description="active version", ordering="active_version")
    def live_version(self, obj: RedactionRule) -> int | str:
        """The version that proposes, or "not live".  ``active_version`` keeps the last
        version made live after a deactivation (``rule_services.rule_deactivate`` turns
        off ``active`` only, so that the re-application knows what to remove): shown
        alone it read as a version still live."""
        return obj.active_version if obj.active and obj.active_version else "not live"

    def readable_paragraphs(self, request: HttpRequest) -> QuerySet[Paragraph]:
        """What the dry run may scan and show (the workflow's admin says)."""
        return no_paragraphs(request)

    def hidden_paragraphs(self, request: HttpRequest) -> QuerySet[Paragraph]:
        """The paragraphs of cables the user may view that are above their clearance: the
        dry run says how many are in the rule's scope (the workflow's admin says)."""
        return no_paragraphs(request)

    def tags_readable_cables(self, request: HttpRequest) -> QuerySet[Cable]:
        """The cables whose TAGS the user reads: a dry run's scope by TAGS reaches only
        those (the workflow's admin says)."""
        return no_cables(request)

    def viewable_cables(self, request: HttpRequest) -> QuerySet[Cable]:
        """The cables whose header the user may see: the form suggests their posts and
        TAGS (the workflow's admin says)."""
        return no_cables(request)

    def get_form(
        self,
        request: HttpRequest,
        obj: RedactionRule | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm]:
        """The rule form, suggesting posts and TAGS only of the cables the user may view."""
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"suggestions_from": self.viewable_cables(request)})

    def save_model(self, request: HttpRequest, obj: RedactionRule, form: Any, change: bool) -> None:
        rule_save(rule=obj, user=request.user)

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/dry-run/", wrap(self.dry_run_view), name="redaction_rule_dry_run"),
            path("<int:pk>/activate/", wrap(self.activate_view), name="redaction_rule_activate"),
            path(
                "<int:pk>/deactivate/", wrap(self.deactivate_view), name="redaction_rule_deactivate"
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        jobs = RuleJob.objects.filter(rule_id=object_id)[:5]
        extra = {"jobs": [(job, job_percent(job, request.user)) for job in jobs]}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def delete_model(self, request: HttpRequest, obj: RedactionRule) -> None:
        """A live rule is deactivated first (its proposals go as the others are re-applied,
        audited as a deactivation), then deleted: deleting it alone left its proposals
        before reviewers, naming a rule that no longer exists."""
        if obj.active:
            rule_deactivate(rule=obj, user=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RedactionRule]) -> None:
        for rule in queryset.filter(active=True):
            rule_deactivate(rule=rule, user=request.user)
        super().delete_queryset(request, queryset)

    def _rule(self, request: HttpRequest, pk: int) -> RedactionRule:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(RedactionRule, pk=pk)

    def dry_run_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """What the latest version would hit, and what it adds or removes against the live one."""
        rule = self._rule(request, pk)
        result = rule_dry_run(
            rule,
            readable=self.readable_paragraphs(request),
            hidden=self.hidden_paragraphs(request),
            tags_readable=self.tags_readable_cables(request),
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "rule": rule,
            "result": result,
            "title": f"Dry run: {rule}",
        }
        return TemplateResponse(request, "admin/redaction/redactionrule/dry_run.html", context)

    def activate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST (the "Activate vN" button, a form of its own outside the change form):
        make the latest version live.  A GET changes nothing and goes back to the rule."""
        rule = self._rule(request, pk)
        if request.method == "POST":
            try:
                rule_activate(rule=rule, user=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    f"Version {rule.version} is live; re-applying rules where it changes "
                    "anything (progress below, under Re-application jobs).",
                )
        return redirect("admin:redaction_redactionrule_change", pk)

    def deactivate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST (the "Deactivate" button): the rule stops proposing anything."""
        rule = self._rule(request, pk)
        if request.method == "POST":
            if not rule.active:
                messages.info(request, "The rule is not active.")
            else:
                rule_deactivate(rule=rule, user=request.user)
                messages.success(
                    request,
                    "Deactivated; its proposals go as the other rules are re-applied "
                    "(progress below, under Re-application jobs).",
                )
        return redirect("admin:redaction_redactionrule_change", pk)


class ProposedRedactionAdmin(ReadOnlyAdmin):
    """Proposals on the paragraphs the viewer may read.  A proposal's page names its
    cable by reference and links it to the cable's admin page only where the viewer may
    open that page (``cable_shown``): Django's own link would lead a rule editor, who
    works on rules rather than cables, to a refusal."""

    list_display = ("cable", "paragraph", "action", "start", "end", "labels", "rules_shown")
    list_select_related = ("cable", "paragraph")  # each row names both
    raw_id_fields = ("cable", "paragraph")
    fields = (
        "cable_shown", "paragraph", "action", "start", "end", "labels", "rules_shown",
        "created_at",
    )  # fmt: skip
    readonly_fields = ("cable_shown", "rules_shown")

    def readable_paragraphs(self, request: HttpRequest) -> QuerySet[Paragraph]:
        """Proposals are listed only on these paragraphs (the workflow's admin says)."""
        return no_paragraphs(request)

    def rules_readable(self, request: HttpRequest) -> Q:
        """On which proposals (through ``cable__``) the viewer may be told the rules that
        made them (the workflow's admin says): none here."""
        return Q(Value(False))

    def viewable_cables(self, request: HttpRequest) -> QuerySet[Cable]:
        """The cables a proposal's page may name (the workflow's admin says)."""
        return no_cables(request)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> ProposedRedaction | None:
        proposal = super().get_object(request, object_id, from_field)
        if proposal is not None:
            proposal.cable_as_shown = self.cable_for(request, proposal.cable)  # type: ignore[attr-defined]
        return proposal

    def cable_for(self, request: HttpRequest, cable: Cable) -> SafeString | str:
        """The cable as the viewer may see it: its reference linked to its admin page
        where the cable admin opens it to them, the reference alone where they may view
        the cable but not open that page, and nothing of it where they may not view it."""
        if not self.viewable_cables(request).filter(pk=cable.pk).exists():
            return "(a cable you may not view)"
        cable_admin = self.admin_site._registry.get(Cable)
        if cable_admin is None or not cable_admin.has_view_permission(request, cable):
            return cable.reference_id
        url = reverse(f"{self.admin_site.name}:cables_cable_change", args=[cable.pk])
        return format_html('<a href="{}">{}</a>', url, cable.reference_id)

    @admin.display(description="cable")
    def cable_shown(self, obj: ProposedRedaction) -> SafeString | str:
        return getattr(obj, "cable_as_shown", "")

    @admin.display(description="rules")
    def rules_shown(self, obj: ProposedRedaction) -> str:
        """The rules, where the row's ``rules_readable`` allows them (a rule scoped by
        TAGS would tell a reader below the cable's subject a tag it carries)."""
        if not getattr(obj, "rules_readable", False):
            return "-"
        return ", ".join(f"{rule} v{version}" for rule, version in obj.rules)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProposedRedaction]:
        readable = self.readable_paragraphs(request).order_by().values("pk")
        rules = ExpressionWrapper(self.rules_readable(request), output_field=BooleanField())
        return (
            super()
            .get_queryset(request)
            .filter(paragraph__in=readable)
            .annotate(rules_readable=rules)
        )
