"""Assignment batches: give view, review or release on cables to a user or a group, by
ids or by query, preview first if you like, list the batches you may see with their
progress, and revoke them (``workflow.assignment`` does the work and the checks:
supervisors and admins only, nobody assigns to themselves, the assignee's role).

A batch is shown as far as the caller may see it (``workflow.access``): its progress
counts the cables they may view and the paragraphs they may read, the others are
counted (``progress.hidden``), never named, and its query, which describes its cables,
is null unless they may view every one.  Revoking a batch that holds a cable the caller
may not view is answered 404, as for a batch that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Refused
from api.serializers import ErrorSerializer
from cables.models import ClassificationLevel
from workflow import assignment
from workflow.assignment import AssignmentError, CableQuery, NoSuchBatch
from workflow.models import AssignmentBatch, ReviewState

MAX_ID = 2**63 - 1


class CableQuerySerializer(serializers.Serializer):
    """Which cables: every field optional, all of them must hold."""

    post = serializers.CharField(required=False, allow_blank=True, max_length=128)
    tag = serializers.CharField(
        required=False, allow_blank=True, max_length=64, help_text="One TAGS entry."
    )
    level = serializers.ChoiceField(
        required=False, allow_null=True, choices=ClassificationLevel.choices
    )
    state = serializers.ChoiceField(
        required=False, allow_blank=True, choices=ReviewState.choices, help_text="Review state."
    )
    sent_from = serializers.DateField(required=False, allow_null=True)
    sent_until = serializers.DateField(required=False, allow_null=True)
    due_within_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=100_000,
        help_text="Declassification date at most this many days from today (overdue included).",
    )
    assigned = serializers.ChoiceField(
        required=False,
        allow_blank=True,
        choices=[("yes", "already assigned"), ("no", "not yet assigned")],
        help_text="Whether someone (user or group) already holds this permission on the cable.",
    )


class AssignmentInputSerializer(serializers.Serializer):
    """An assignment: to whom (``user`` or ``group``), which permission, which cables
    (``cable_ids`` or ``query``), how many (``limit``: the first N due), and whether
    only to preview it."""

    user = serializers.CharField(required=False, max_length=150, help_text="A user name.")
    group = serializers.CharField(required=False, max_length=150, help_text="A group name.")
    permission = serializers.ChoiceField(choices=AssignmentBatch.Permission.choices)
    cable_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        min_length=1,
        max_length=assignment.MAX_BATCH,
    )
    query = CableQuerySerializer(required=False)
    limit = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=assignment.MAX_BATCH
    )
    preview = serializers.BooleanField(
        required=False, default=False, help_text="Count the cables; assign nothing."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("user" in attrs) == ("group" in attrs):
            raise serializers.ValidationError("Give either a user or a group.")
        if ("cable_ids" in attrs) == ("query" in attrs):
            raise serializers.ValidationError("Give either cable_ids or a query.")
        return attrs


class PreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Cables the batch would hold.")
    matching = serializers.IntegerField(help_text="Cables the ids or the query match.")
    already_held = serializers.IntegerField(help_text="Of those, held by the assignee already.")
    references = serializers.ListField(
        child=serializers.CharField(), help_text="The first few, due soonest first."
    )
    above_clearance = serializers.IntegerField(
        help_text="Of the batch, cables classified above the assignee's clearance."
    )


class ProgressSerializer(serializers.Serializer):
    cables = serializers.IntegerField(help_text="Cables of the batch you may view.")
    reviewed = serializers.IntegerField(help_text="Of those, reviewed, approved or released.")
    paragraphs = serializers.IntegerField(help_text="Their paragraphs you may read.")
    decided = serializers.IntegerField(help_text="Of those, paragraphs with a decision.")
    hidden = serializers.IntegerField(
        help_text="Cables of the batch you may not view: counted, never named."
    )


class BatchSerializer(serializers.ModelSerializer):
    assigned_by = serializers.CharField(source="assigned_by.get_username", read_only=True)
    to = serializers.CharField(
        source="assignee_name", read_only=True, help_text='A user name, or "group:NAME".'
    )
    query = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()

    class Meta:
        model = AssignmentBatch
        fields = [
            "id", "to", "permission", "query", "by_selection", "limit", "cable_count",
            "assigned_by", "created_at", "revoked_at", "progress",
        ]  # fmt: skip
        read_only_fields = fields

    def _progress(self, batch: AssignmentBatch) -> assignment.BatchProgress:
        """The batch's progress as the caller may see it (the list reads a page's in one
        query and hands it in the context)."""
        progress = self.context.get("progress", {}).get(batch.pk)
        if progress is None:
            progress = assignment.batch_progress([batch.pk], self.context["viewer"])[batch.pk]
        return progress

    @extend_schema_field(
        serializers.JSONField(
            allow_null=True,
            help_text="The query's filters ({} for a selection); null when the batch holds "
            "cables you may not view, which it describes.",
        )
    )
    def get_query(self, batch: AssignmentBatch) -> dict[str, Any] | None:
        if batch.by_selection or self._progress(batch).query_shown:
            return batch.query
        return None

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, batch: AssignmentBatch) -> dict[str, int]:
        progress = self._progress(batch)
        return {
            "cables": progress.cables,
            "reviewed": progress.reviewed,
            "paragraphs": progress.paragraphs,
            "decided": progress.decided,
            "hidden": progress.hidden,
        }


class RevocationSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Cables whose permission was taken back.")
    references = serializers.ListField(child=serializers.CharField())


def _assignee(data: dict[str, Any]) -> object:
    name = data["user"] if "user" in data else f"group:{data['group']}"
    try:
        return assignment.find_assignee(name)
    except AssignmentError as exc:
        raise Refused(str(exc)) from None


def _query(data: dict[str, Any]) -> CableQuery | None:
    if "query" not in data:
        return None
    values = {k: v for k, v in data["query"].items() if v not in (None, "")}
    try:
        return CableQuery(**values)
    except AssignmentError as exc:
        raise Refused(str(exc)) from None


def _refused(exc: Exception) -> Exception:
    if isinstance(exc, DjangoPermissionDenied):
        return PermissionDenied(str(exc))
    return Refused(str(exc))


# What ``get_object_or_404`` answers for a batch that does not exist, word for word.
NO_SUCH_BATCH = f"No {AssignmentBatch._meta.object_name} matches the given query."

FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="Not a supervisor or an admin, or an assignment to yourself or your group.",
)
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="Refused as asked: the assignee lacks the role, no cable matches, "
    "selected cables you may not view...",
)


class AssignmentList(generics.ListCreateAPIView):
    """Batches you may see (given to you or your groups, or assigned by you; supervisors
    and admins: all), newest first.  POST assigns (supervisors and admins)."""

    serializer_class = BatchSerializer

    def get_queryset(self) -> QuerySet[AssignmentBatch]:
        if getattr(self, "swagger_fake_view", False):
            return AssignmentBatch.objects.none()
        return assignment.batches_for(self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        progress = assignment.batch_progress([b.pk for b in page], request.user)
        data = BatchSerializer(
            page, many=True, context={"progress": progress, "viewer": request.user}
        ).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=AssignmentInputSerializer,
        responses={
            201: BatchSerializer,
            200: OpenApiResponse(PreviewSerializer, description="preview: what it would do."),
            400: REFUSED,
            403: FORBIDDEN,
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Assign by ``cable_ids`` or by ``query`` (``limit``: the next N due); with
        ``preview: true``, only say how many cables it would touch."""
        if not assignment.may_assign(request.user):
            raise PermissionDenied("Only a supervisor or an admin assigns work.")
        given = AssignmentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        who = _assignee(data)
        arguments = {
            "actor": request.user,
            "assignee": who,
            "permission": data["permission"],
            "query": _query(data),
            "cable_ids": data.get("cable_ids"),
            "limit": data.get("limit"),
        }
        try:
            if data["preview"]:
                shown = assignment.preview(**arguments)
                return Response(PreviewSerializer(shown).data)
            batch = assignment.assign(**arguments)
        except (AssignmentError, DjangoPermissionDenied) as exc:
            raise _refused(exc) from None
        data = BatchSerializer(batch, context={"viewer": request.user}).data
        return Response(data, status=status.HTTP_201_CREATED)


class AssignmentRevoke(generics.GenericAPIView):
    """Take back what a batch gave (supervisors and admins)."""

    serializer_class = RevocationSerializer
    queryset = AssignmentBatch.objects.none()

    @extend_schema(
        operation_id="assignments_revoke_batch",
        request=None,
        responses={
            200: RevocationSerializer,
            400: REFUSED,
            403: FORBIDDEN,
            404: OpenApiResponse(
                ErrorSerializer,
                description="No such batch, not yours, or holding cables you may not view.",
            ),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        """Revoke the batch; one holding a cable you may not view is answered as one
        that does not exist (you could not have given it)."""
        batch = get_object_or_404(assignment.batches_for(request.user), pk=pk)
        try:
            done = assignment.revoke_batch(actor=request.user, batch=batch)
        except NoSuchBatch:
            raise Http404(NO_SUCH_BATCH) from None
        except (AssignmentError, DjangoPermissionDenied) as exc:
            raise _refused(exc) from None
        return Response(RevocationSerializer(done).data)


class AssignmentRevokeByQuery(generics.GenericAPIView):
    """Take back a permission from a user or group on the cables given by ``cable_ids``
    or a ``query`` (whichever batches gave it); ``preview: true`` only counts them."""

    serializer_class = RevocationSerializer
    queryset = AssignmentBatch.objects.none()

    @extend_schema(
        operation_id="assignments_revoke_by_query",
        request=AssignmentInputSerializer,
        responses={200: RevocationSerializer, 400: REFUSED, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        if not assignment.may_assign(request.user):
            raise PermissionDenied("Only a supervisor or an admin revokes work.")
        given = AssignmentInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        arguments = {
            "actor": request.user,
            "assignee": _assignee(data),
            "permission": data["permission"],
            "query": _query(data),
            "cable_ids": data.get("cable_ids"),
            "limit": data.get("limit"),
        }
        try:
            if data["preview"]:
                shown = assignment.preview(**arguments, revoke=True)
                return Response({"count": shown.count, "references": shown.references})
            done = assignment.revoke(**arguments)
        except (AssignmentError, DjangoPermissionDenied) as exc:
            raise _refused(exc) from None
        return Response(RevocationSerializer(done).data)
