"""Cables, their paragraphs, proposals and decisions, and moves between states.

Thin views over the workflow's services: every cable is fetched through
``workflow.permissions`` (a missing cable and a forbidden one both answer 404),
paragraphs above the user's clearance are filtered out in SQL and so never
serialised, and decisions and moves go through ``workflow.review``, which
checks the permissions again and records the audit trail.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import Conflict, Refused
from api.serializers import (
    CableDetailSerializer,
    CableFilterSerializer,
    CableSerializer,
    CableStateSerializer,
    DecisionInputSerializer,
    DecisionSerializer,
    ErrorSerializer,
    ParagraphSerializer,
    ProposalSerializer,
    TransitionSerializer,
    note_as_read,
    note_field,
)
from cables.models import Cable, Paragraph
from redaction.models import ProposedRedaction
from workflow import access, permissions
from workflow.models import Decision, SubjectDecision
from workflow.review import (
    ConcurrentDecision,
    ReviewError,
    cable_transition,
    current_decisions,
    decision_record,
)
from workflow.selectors import CableFilters
from workflow.states import TransitionError
from workflow.subject import (
    ConcurrentSubjectDecision,
    SubjectDecisionError,
    subject_decision_record,
)

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object, or not yours.")
LIST_FIELDS = (
    "reference_id", "sent_at", "origin", "level", "controls", "subject", "tags",
    "status__review_state", "status__declass_date",
)  # fmt: skip


def _fake(view: Any) -> bool:
    """True while the schema is generated (no user, no request to authorise)."""
    return getattr(view, "swagger_fake_view", False)


def _reviewable_cable(user: Any, pk: int) -> Cable:
    """The cable if the user may review or release it (the review and approval pages),
    with ``notes_whole``: whether they may read its notes (``workflow.access``)."""
    cables = permissions.cables_for_user(user, permissions.REVIEW, permissions.RELEASE)
    cables = cables.annotate(notes_whole=access.notes_readable_when_authorised(user))
    return get_object_or_404(cables, pk=pk)


class _NotesAsRead:
    """A view answering with decisions: their notes only where the user may read the
    cable's notes, as the query that authorised the cable found (``notes_whole``)."""

    notes_readable: set[int] | None = None

    def _notes_of(self, cable_id: int, whole: bool) -> None:
        self.notes_readable = {cable_id} if whole else set()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()  # type: ignore[misc]
        if self.notes_readable is not None:
            context["notes_readable"] = self.notes_readable
        return context


def _cleared(paragraphs: QuerySet[Paragraph], user: Any) -> QuerySet[Paragraph]:
    return paragraphs.filter(access.cleared(user))


class CableList(generics.ListAPIView):
    """Cables you may see, due soonest first, filtered like the web queue."""

    serializer_class = CableSerializer

    @extend_schema(parameters=[CableFilterSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Cable]:
        if _fake(self):
            return Cable.objects.none()
        query = CableFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        filters = CableFilters(
            post=data.get("post", "").strip(),
            tag=data.get("tag", "").strip(),
            level=data.get("level"),
        )
        user = self.request.user
        cables = filters.apply(permissions.cables_for_user(user), reader=user)
        if data.get("state"):
            cables = cables.filter(status__review_state=data["state"])
        return (
            cables.select_related("status")
            .only(*LIST_FIELDS)
            .order_by(F("status__declass_date").asc(nulls_last=True), "pk")
        )


class CableDetail(generics.RetrieveAPIView):
    """A cable's header, declassification status and how many paragraphs you may read."""

    serializer_class = CableDetailSerializer
    queryset = Cable.objects.none()

    @extend_schema(responses={200: CableDetailSerializer, 404: NOT_FOUND})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> Cable:
        cable = permissions.get_cable_for_user(self.request.user, self.kwargs["pk"])
        within = access.cleared(self.request.user)
        counts = cable.paragraphs.aggregate(
            visible=Count("pk", filter=within), hidden=Count("pk", filter=~within)
        )
        cable.paragraphs_visible = counts["visible"]
        cable.paragraphs_hidden = counts["hidden"]
        return cable


class CableParagraphList(generics.ListAPIView):
    """The cable's paragraphs within your clearance, in order (the cable page)."""

    serializer_class = ParagraphSerializer

    def get_queryset(self) -> QuerySet[Paragraph]:
        if _fake(self):
            return Paragraph.objects.none()
        cable = permissions.get_cable_for_user(self.request.user, self.kwargs["pk"])
        return _cleared(cable.paragraphs.all(), self.request.user).order_by("ordinal")


class CableProposalList(generics.ListAPIView):
    """What the active redaction rules propose for the paragraphs you may read
    (reviewers and release authorities of the cable)."""

    serializer_class = ProposalSerializer

    def get_queryset(self) -> QuerySet[ProposedRedaction]:
        if _fake(self):
            return ProposedRedaction.objects.none()
        cable = _reviewable_cable(self.request.user, self.kwargs["pk"])
        self.cable = cable  # the serializer shows the rules as the user may read them
        within = access.cleared(self.request.user, "paragraph__")
        return cable.proposals.filter(within).order_by("paragraph_id", "start")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "cable": getattr(self, "cable", None)}


class CableDecisionList(_NotesAsRead, generics.ListAPIView):
    """The current decision on each paragraph you may read (reviewers and release
    authorities of the cable); undecided paragraphs are absent."""

    serializer_class = DecisionSerializer

    def get_queryset(self) -> list[Decision]:  # type: ignore[override]
        if _fake(self):
            return Decision.objects.none()  # type: ignore[return-value]
        cable = _reviewable_cable(self.request.user, self.kwargs["pk"])
        self._notes_of(cable.pk, cable.notes_whole)
        visible = set(
            _cleared(cable.paragraphs.all(), self.request.user).values_list("pk", flat=True)
        )
        decided = current_decisions(cable)
        return [decided[pk] for pk in sorted(decided) if pk in visible]


class CableTransition(generics.GenericAPIView):
    """Move the cable to another state through the one transition function (the state
    table, the permissions, the guards such as the two-person rule)."""

    serializer_class = TransitionSerializer

    @extend_schema(
        request=TransitionSerializer,
        responses={
            200: CableStateSerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="The move is not allowed now."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        cable = _reviewable_cable(request.user, pk)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            moved = cable_transition(
                user=request.user,
                cable=cable,
                target=data.validated_data["target"],
                note=data.validated_data.get("note", ""),
            )
        except TransitionError as exc:
            raise Conflict(str(exc)) from None
        return Response(CableStateSerializer(moved).data)


class ParagraphDetail(generics.RetrieveAPIView):
    """One paragraph of a cable you may see, if it is within your clearance."""

    serializer_class = ParagraphSerializer
    queryset = Paragraph.objects.none()

    @extend_schema(responses={200: ParagraphSerializer, 404: NOT_FOUND})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> Paragraph:
        user = self.request.user
        visible = Paragraph.objects.filter(cable__in=permissions.cables_for_user(user))
        return get_object_or_404(_cleared(visible, user), pk=self.kwargs["pk"])


class _AppendOnlyDecisions(_NotesAsRead, generics.ListCreateAPIView):
    """GET: every decision on one portion (a paragraph, a subject), oldest first; POST:
    record a new one, ``based_on`` naming the latest one the client saw.

    Why one base: the portions differ only in how the portion is found for the user
    (grants and clearance) and which service records the decision; the answers to a
    stale ``based_on`` (409) and to a refused decision (400) must stay the same for both.
    """

    input_serializer: type[serializers.Serializer]
    stale: type[Exception]  # another decision was recorded since ``based_on``: 409
    refused: type[Exception]  # the service refuses the decision: 400

    def _portion(self, *codenames: str) -> Any:
        """The portion named in the URL, if the user holds one of ``codenames`` on its
        cable and may read it; 404 otherwise."""
        raise NotImplementedError

    def _history(self, portion: Any) -> QuerySet:
        raise NotImplementedError

    def _record(self, portion: Any, values: dict[str, Any]) -> Any:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet:
        if _fake(self):
            return self.serializer_class.Meta.model.objects.none()
        portion = self._portion(permissions.REVIEW, permissions.RELEASE)
        return self._history(portion).select_related("decided_by").order_by("id")

    def _create(self, request: Request) -> Response:
        portion = self._portion(permissions.REVIEW)
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            decision = self._record(portion, data.validated_data)
        except self.stale as exc:
            raise Conflict(str(exc)) from None
        except self.refused as exc:
            raise Refused(str(exc)) from None
        return Response(self.get_serializer(decision).data, status=status.HTTP_201_CREATED)


class ParagraphDecisions(_AppendOnlyDecisions):
    """GET: every decision on the paragraph, oldest first (decisions are append-only).
    POST: record a new decision; ``based_on`` must name the latest one you saw."""

    serializer_class = DecisionSerializer
    input_serializer = DecisionInputSerializer
    stale = ConcurrentDecision
    refused = ReviewError

    def _portion(self, *codenames: str) -> Paragraph:
        user = self.request.user
        paragraphs = Paragraph.objects.select_related("cable").filter(
            cable__in=permissions.cables_for_user(user, *codenames)
        )
        whole = access.notes_readable_when_authorised(user, "cable__")
        paragraph = get_object_or_404(
            _cleared(paragraphs, user).annotate(notes_whole=whole), pk=self.kwargs["pk"]
        )
        self._notes_of(paragraph.cable_id, paragraph.notes_whole)
        return paragraph

    def _history(self, portion: Paragraph) -> QuerySet[Decision]:
        return portion.decisions.all()

    def _record(self, portion: Paragraph, values: dict[str, Any]) -> Decision:
        return decision_record(
            user=self.request.user,
            paragraph=portion,
            kind=values["kind"],
            based_on=values["based_on"],
            spans=values.get("spans", ()),
            label=values.get("label", ""),
            agency=values.get("agency", ""),
            note=values.get("note", ""),
        )

    @extend_schema(
        request=DecisionInputSerializer,
        responses={
            201: DecisionSerializer,
            400: OpenApiResponse(description="The decision is incomplete or malformed."),
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="Someone else decided the paragraph meanwhile."
            ),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._create(request)


# -- the subject line as a portion (workflow.subject) ----------------------------------------


class SubjectDecisionSerializer(serializers.ModelSerializer):
    decided_by = serializers.CharField(source="decided_by.get_username", read_only=True)
    note = note_field()

    def get_note(self, decision: SubjectDecision) -> str | None:
        return note_as_read(self, decision)

    class Meta:
        model = SubjectDecision
        fields = [
            "id", "cable", "kind", "label", "subject_level", "note", "supersedes",
            "decided_by", "decided_at", "review_round",
        ]  # fmt: skip
        read_only_fields = fields


class SubjectDecisionInputSerializer(serializers.Serializer):
    """A reviewer's decision on a cable's subject, as ``workflow.subject.
    subject_decision_record`` takes it: release it, or withhold it whole."""

    kind = serializers.ChoiceField(choices=SubjectDecision.Kind.choices)
    based_on = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="Id of the subject's latest decision you saw (null: none yet). If "
        "another decision was recorded since, the answer is 409.",
    )
    label = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="For withhold."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class SubjectDecisions(_AppendOnlyDecisions):
    """GET: every decision on the cable's subject, oldest first (append-only), for its
    reviewers and release authorities cleared for the subject.  POST: record a new one
    (reviewers cleared for it); ``based_on`` must name the latest one you saw.  A
    subject above your clearance answers 404, as if absent; an unclassified subject
    needs no decision (400)."""

    serializer_class = SubjectDecisionSerializer
    input_serializer = SubjectDecisionInputSerializer
    stale = ConcurrentSubjectDecision
    refused = SubjectDecisionError

    def _portion(self, *codenames: str) -> Cable:
        user = self.request.user
        cables = permissions.cables_for_user(user, *codenames).annotate(
            notes_whole=access.notes_readable_when_authorised(user)
        )
        cable = get_object_or_404(cables, pk=self.kwargs["pk"])
        if not access.may_read_subject(user, cable):
            raise Http404("No subject matches the given query.")
        self._notes_of(cable.pk, cable.notes_whole)
        return cable

    def _history(self, portion: Cable) -> QuerySet[SubjectDecision]:
        return portion.subject_decisions.all()

    def _record(self, portion: Cable, values: dict[str, Any]) -> SubjectDecision:
        return subject_decision_record(
            user=self.request.user,
            cable=portion,
            kind=values["kind"],
            based_on=values["based_on"],
            label=values.get("label", ""),
            note=values.get("note", ""),
        )

    @extend_schema(
        request=SubjectDecisionInputSerializer,
        responses={
            201: SubjectDecisionSerializer,
            400: OpenApiResponse(description="The decision is incomplete, or not needed."),
            404: NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer, description="Someone else decided the subject meanwhile."
            ),
        },
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._create(request)
