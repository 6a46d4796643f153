"""Admin for redaction rules: versioned, dry-run before activation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from audit.admin import ReadOnlyAdmin
from redaction.dry_run import rule_dry_run
from redaction.models import ProposedRedaction, RedactionRule, RuleJob, RuleVersion
from redaction.rule_services import job_progress, rule_activate, rule_deactivate, rule_save
from redaction.rule_specs import rule_problems


class RuleForm(forms.ModelForm):
    """Refuses, at save time, a rule the engine could not run, saying exactly why."""

    class Meta:
        model = RedactionRule
        fields = [
            "name", "kind", "label", "action", "priority", "terms", "pattern",
            "personal_kinds", "min_level", "controls", "scope_posts", "scope_tags",
            "scope_levels", "scope_from", "scope_to",
        ]  # fmt: skip

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
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-version"]

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RedactionRule)
class RedactionRuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = (
        "name",
        "kind",
        "label",
        "action",
        "priority",
        "version",
        "active",
        "active_version",
    )
    list_filter = ("kind", "action", "active")
    search_fields = ("name", "label")
    readonly_fields = ("version", "active", "active_version", "updated_at", "updated_by")
    inlines = [RuleVersionInline]
    change_form_template = "admin/redaction/redactionrule/change_form.html"

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
        extra = {"jobs": [(job, *job_progress(job)) for job in jobs]}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def _rule(self, request: HttpRequest, pk: int) -> RedactionRule:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(RedactionRule, pk=pk)

    def dry_run_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """What the latest version would hit, and what it adds or removes against the live one."""
        rule = self._rule(request, pk)
        result = rule_dry_run(rule)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "rule": rule,
            "result": result,
            "title": f"Dry run: {rule}",
        }
        return TemplateResponse(request, "admin/redaction/redactionrule/dry_run.html", context)

    def activate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        rule = self._rule(request, pk)
        if request.method == "POST":
            job = rule_activate(rule=rule, user=request.user)
            messages.success(
                request,
                f"Version {rule.version} is live; re-applying rules to "
                f"{job.total_cables} cable(s) in {job.total_chunks} task(s).",
            )
        return redirect("admin:redaction_redactionrule_change", pk)

    def deactivate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        rule = self._rule(request, pk)
        if request.method == "POST":
            job = rule_deactivate(rule=rule, user=request.user)
            messages.success(
                request, f"Deactivated; re-applying rules to {job.total_cables} cable(s)."
            )
        return redirect("admin:redaction_redactionrule_change", pk)


@admin.register(ProposedRedaction)
class ProposedRedactionAdmin(ReadOnlyAdmin):
    list_display = ("cable", "paragraph", "action", "start", "end", "labels", "rules")
    list_select_related = ("cable",)
    raw_id_fields = ("cable", "paragraph")
