"""Redaction rules for rule editors: list, create, edit (each save a new version),
activate and deactivate, and each rule's version history.

Saving goes through ``redaction.rule_services.rule_save``, which refuses a rule
the engine could not run with every reason; activation queues the same chunked
re-application the admin does.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict
from api.permissions import RuleHistoryPermission, RulePermission
from cables.models import ClassificationLevel
from redaction.models import RedactionRule, RuleJob, RuleVersion
from redaction.rule_services import (
    RuleChanged,
    job_percent,
    rule_activate,
    rule_deactivate,
    rule_save,
)

RULE_PERMISSIONS = [IsAuthenticated, RulePermission]


def _strings(max_length: int) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=max_length), required=False, max_length=1000
    )


class RuleSerializer(serializers.ModelSerializer):
    personal_kinds = _strings(64)
    controls = _strings(32)
    scope_posts = _strings(128)
    scope_tags = _strings(64)
    scope_levels = serializers.ListField(
        child=serializers.ChoiceField(choices=ClassificationLevel.choices),
        required=False,
        max_length=4,
    )
    updated_by = serializers.CharField(
        source="updated_by.get_username", read_only=True, allow_null=True
    )

    class Meta:
        model = RedactionRule
        fields = [
            "id", "name", "kind", "label", "action", "priority", "terms", "pattern",
            "personal_kinds", "min_level", "controls", "scope_posts", "scope_tags",
            "scope_levels", "scope_from", "scope_to", "version", "active", "active_version",
            "updated_at", "updated_by",
        ]  # fmt: skip
        read_only_fields = ["version", "active", "active_version", "updated_at", "updated_by"]
        extra_kwargs = {"priority": {"min_value": -(2**31), "max_value": 2**31 - 1}}

    def save(self, **kwargs: Any) -> RedactionRule:
        """Save as a new version through the rule service; its refusals become 400s."""
        rule = self.instance or RedactionRule()
        for name, value in self.validated_data.items():
            setattr(rule, name, value)
        try:
            rule_save(rule=rule, user=kwargs["user"])
        except RuleChanged as exc:
            raise Conflict(" ".join(exc.messages)) from None
        except DjangoValidationError as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
        self.instance = rule
        return rule


class RuleVersionSerializer(serializers.ModelSerializer):
    changed_by = serializers.CharField(
        source="changed_by.get_username", read_only=True, allow_null=True
    )
    definition = serializers.DictField(read_only=True)
    changes = serializers.DictField(
        read_only=True, help_text="Each changed field: [before, after]."
    )

    class Meta:
        model = RuleVersion
        fields = ["version", "definition", "changed_by", "changed_at", "changes"]
        read_only_fields = fields


class RuleJobSerializer(serializers.ModelSerializer):
    """A re-application job as its editor sees it: how far it is, not how many cables it
    covers (``rule_services.job_percent``: the count would tell of cables they may not view)."""

    progress = serializers.SerializerMethodField(
        help_text="Percent of the job done: 0 until it is done, then 100 "
        "(a superuser sees the steps between)."
    )

    class Meta:
        model = RuleJob
        fields = ["id", "reason", "rule_version", "progress", "created_at"]
        read_only_fields = fields

    def get_progress(self, job: RuleJob) -> int:
        request = self.context.get("request")
        return job_percent(job, getattr(request, "user", None))


class RuleList(generics.ListCreateAPIView):
    """Redaction rules, highest priority first; POST creates a rule (version 1, not live)."""

    serializer_class = RuleSerializer
    permission_classes = RULE_PERMISSIONS
    queryset = RedactionRule.objects.select_related("updated_by").order_by(
        "-priority", "name", "pk"
    )
    creates_rules = True

    def perform_create(self, serializer: RuleSerializer) -> None:
        serializer.save(user=self.request.user)


class RuleDetail(generics.RetrieveUpdateAPIView):
    """One rule; PUT/PATCH saves the edit as a new version (the live version stays)."""

    serializer_class = RuleSerializer
    permission_classes = RULE_PERMISSIONS
    queryset = RedactionRule.objects.select_related("updated_by")

    def perform_update(self, serializer: RuleSerializer) -> None:
        serializer.save(user=self.request.user)


class RuleVersionList(generics.ListAPIView):
    """Every saved version of the rule, newest first: who, when, what changed.  Read with
    the rule versions' own permission, as the admin shows them (the admin role reads rules
    but not their history)."""

    serializer_class = RuleVersionSerializer
    permission_classes = [*RULE_PERMISSIONS, RuleHistoryPermission]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return RuleVersion.objects.none()
        rule = get_object_or_404(RedactionRule, pk=self.kwargs["pk"])
        return rule.versions.select_related("changed_by").order_by("-version")


class _RuleSwitch(generics.GenericAPIView):
    permission_classes = RULE_PERMISSIONS
    serializer_class = RuleJobSerializer
    queryset = RedactionRule.objects.all()

    def switch(self, rule: RedactionRule, user: Any) -> RuleJob:
        raise NotImplementedError

    def post(self, request: Request, pk: int) -> Response:
        rule = get_object_or_404(RedactionRule, pk=pk)
        try:
            job = self.switch(rule, request.user)
        except DjangoValidationError as exc:
            raise ValidationError({"non_field_errors": exc.messages}) from None
        return Response(RuleJobSerializer(job).data)


SWITCH_SCHEMA = extend_schema(
    request=None,
    responses={
        200: RuleJobSerializer,
        400: OpenApiResponse(description="The rule cannot be switched (never saved)."),
    },
)


class RuleActivate(_RuleSwitch):
    """Make the latest version live; the rules are re-applied where either version
    proposes something, in chunked background tasks (the job says how far they are)."""

    @SWITCH_SCHEMA
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def switch(self, rule: RedactionRule, user: Any) -> RuleJob:
        return rule_activate(rule=rule, user=user)


class RuleDeactivate(_RuleSwitch):
    """Take the rule out of service; its proposals go as the other rules are re-applied."""

    @SWITCH_SCHEMA
    def post(self, request: Request, pk: int) -> Response:
        return super().post(request, pk)

    def switch(self, rule: RedactionRule, user: Any) -> RuleJob:
        return rule_deactivate(rule=rule, user=user)
