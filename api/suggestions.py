"""Decide once over the API: suggestions, propagation, triage, and quality control.

Thin views over ``workflow.reuse``, ``workflow.learning``, ``workflow.triage`` and
``workflow.qc``, which check the permissions again and audit what they record:

- ``GET cables/{id}/suggestions/``: for each undecided paragraph you may read, the
  decision of its best near-duplicate elsewhere (the source cable named only when you
  may read it) and the model's suggestion with its version (or why the model is off);
  every suggestion answered is recorded as shown to you.
- ``POST paragraphs/{id}/suggested-decision/``: decide, accepting a suggestion
  (``accept``: reuse or learned) or deciding yourself; recorded with where it came
  from and the model version that was on screen.
- ``POST decisions/{id}/propagation/preview/`` and ``.../apply/``: a supervisor's
  propagation of one decision to its near-duplicates in the cables they may review.
- ``GET cables/{id}/triage/``, ``POST cables/{id}/batch-release/``: predicted
  sensitivity, and the one-action release of a cable predicted all-release.
- ``GET qc/tasks/``, ``POST qc/tasks/{id}/``: the blind re-decisions waiting for you
  (the paragraph only; never the first decision), and yours.
- ``GET qc/agreement/``: agreement rates, for supervisors.

A cable or paragraph you may not act on is a 404, as everywhere in the API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import Conflict, Refused
from api.serializers import DecisionSerializer, ErrorSerializer, SpanSerializer
from cables.models import Cable, Paragraph
from workflow import access, permissions, qc, reuse, triage
from workflow.learning import service as learning
from workflow.models import Decision
from workflow.review import ConcurrentDecision, ReviewError

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object, or not yours.")
REFUSED = OpenApiResponse(ErrorSerializer, description="Refused; the message says why.")
CONFLICT = OpenApiResponse(ErrorSerializer, description="Someone decided meanwhile.")


def _fake(view: Any) -> bool:
    return getattr(view, "swagger_fake_view", False)


def _cable(user: Any, pk: int, *codenames: str) -> Cable:
    return get_object_or_404(permissions.cables_for_user(user, *codenames), pk=pk)


def _paragraph(user: Any, pk: int) -> Paragraph:
    paragraphs = (
        Paragraph.objects.select_related("cable")
        .filter(
            cable__in=permissions.cables_for_user(user, permissions.REVIEW),
        )
        .filter(access.cleared(user))
    )
    return get_object_or_404(paragraphs, pk=pk)


def _refusals(call: Any) -> Any:
    try:
        return call()
    except ConcurrentDecision as exc:
        raise Conflict(str(exc)) from None
    except ReviewError as exc:
        raise Refused(str(exc)) from None


# -- serializers (answers are documented loosely: objects of the services' fields) -------


class CableSuggestionsSerializer(serializers.Serializer):
    cable = serializers.IntegerField()
    model = serializers.DictField(help_text="Whether learned suggestions are on, and why not.")
    paragraphs = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per undecided paragraph you may read: its reuse and learned suggestions.",
    )


class SuggestedDecisionSerializer(serializers.Serializer):
    based_on = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=2**62, help_text="The latest decision you saw."
    )
    accept = serializers.ChoiceField(
        choices=["reuse", "learned"], required=False, allow_null=True, default=None
    )
    kind = serializers.ChoiceField(
        choices=Decision.Kind.choices, required=False, allow_null=True, default=None
    )
    spans = SpanSerializer(many=True, required=False, max_length=500)
    label = serializers.CharField(required=False, allow_blank=True, max_length=120)
    agency = serializers.CharField(required=False, allow_blank=True, max_length=120)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PropagationPreviewSerializer(serializers.Serializer):
    source = serializers.DictField()
    targets = serializers.ListField(child=serializers.DictField())


class PropagationTargetSerializer(serializers.Serializer):
    paragraph = serializers.IntegerField(min_value=1, max_value=2**62)
    based_on = serializers.IntegerField(allow_null=True, min_value=1, max_value=2**62)


class PropagationApplySerializer(serializers.Serializer):
    targets = PropagationTargetSerializer(many=True, min_length=1, max_length=1000)


class DecisionsRecordedSerializer(serializers.Serializer):
    recorded = serializers.ListField(child=serializers.IntegerField())


class CableTriageSerializer(serializers.Serializer):
    cable = serializers.IntegerField()
    sensitivity = serializers.FloatField(
        allow_null=True,
        help_text="The highest predicted probability that one of the undecided paragraphs "
        "you may read is not released in full (null: no model, or none left to decide).",
    )
    all_release_confident = serializers.BooleanField(
        help_text="Every undecided paragraph is predicted release with confidence, and none "
        "of the cable's paragraphs is above your clearance: it may be confirmed as a batch.",
    )
    undecided = serializers.IntegerField(help_text="Undecided paragraphs you may read.")
    hidden = serializers.IntegerField(
        help_text="Paragraphs above your clearance, decided or not: left out of the figures."
    )
    model_version = serializers.IntegerField(allow_null=True)


class CableBatchReleaseSerializer(serializers.Serializer):
    shown = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        max_length=5000,
        help_text="Ids of the paragraphs the page showed: every undecided one.",
    )


class QCTaskSerializer(serializers.Serializer):
    task = serializers.IntegerField(source="pk")
    cable = serializers.IntegerField(source="paragraph.cable_id")
    cable_reference = serializers.CharField(source="paragraph.cable.reference_id")
    paragraph = serializers.IntegerField(source="paragraph.pk")
    number = serializers.CharField(source="paragraph.number")
    level = serializers.IntegerField(source="paragraph.level")
    text = serializers.CharField(source="paragraph.text")


class QCDecisionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    spans = SpanSerializer(many=True, required=False, max_length=500)
    label = serializers.CharField(required=False, allow_blank=True, max_length=120)
    agency = serializers.CharField(required=False, allow_blank=True, max_length=120)


class QCRecordedSerializer(serializers.Serializer):
    recorded = serializers.BooleanField()


class QCAgreementSerializer(serializers.Serializer):
    sample_pct = serializers.IntegerField()
    overall = serializers.DictField()
    per_reviewer = serializers.DictField()
    per_exemption = serializers.DictField()
    model_vs_reviewers = serializers.DictField()


# -- views ---------------------------------------------------------------------------------


class CableSuggestions(APIView):
    """The suggestions for a cable's undecided paragraphs you may read."""

    @extend_schema(responses={200: CableSuggestionsSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        cable = _cable(request.user, pk, permissions.REVIEW)
        reused = reuse.reuse_suggestions(request.user, cable)
        state, learned = learning.suggestions_for(request.user, cable)
        undecided = set(reused) | set(learned)
        ordinals = dict(Paragraph.objects.filter(pk__in=undecided).values_list("pk", "ordinal"))
        rows = [
            {
                "paragraph": p,
                "ordinal": ordinals.get(p),
                "reuse": reused[p].as_dict() if p in reused else None,
                "learned": learned[p].as_dict() if p in learned else None,
            }
            for p in sorted(undecided, key=lambda p: (ordinals.get(p, 0), p))
        ]
        body = {"cable": cable.pk, "model": state.as_dict(), "paragraphs": rows}
        return Response(body)


class SuggestedDecision(APIView):
    """Decide a paragraph with its suggestions on screen (or accept one)."""

    @extend_schema(
        request=SuggestedDecisionSerializer,
        responses={201: DecisionSerializer, 400: REFUSED, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        paragraph = _paragraph(request.user, pk)
        data = SuggestedDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        decision = _refusals(
            lambda: reuse.suggested_decision_record(
                user=request.user,
                paragraph=paragraph,
                based_on=v["based_on"],
                accept=v.get("accept"),
                kind=v.get("kind"),
                spans=v.get("spans", ()),
                label=v.get("label", ""),
                agency=v.get("agency", ""),
                note=v.get("note", ""),
            )
        )
        answer = DecisionSerializer(decision, context={"request": request})
        return Response(answer.data, status=status.HTTP_201_CREATED)


def _source_dict(decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision.pk,
        "cable": decision.cable_id,
        "cable_reference": decision.cable.reference_id,
        "paragraph": decision.paragraph_id,
        "kind": decision.kind,
        "label": decision.label,
        "agency": decision.referral_agency,
        "decided_by": decision.decided_by.get_username(),
    }


class PropagationPreview(APIView):
    """Every near-duplicate a supervisor's propagation of this decision would decide."""

    @extend_schema(
        request=None,
        responses={200: PropagationPreviewSerializer, 400: REFUSED, 404: NOT_FOUND},
    )
    def post(self, request: Request, pk: int) -> Response:
        preview = _refusals(lambda: reuse.propagation_preview(request.user, pk))
        return Response(
            {
                "source": _source_dict(preview.source),
                "targets": [t.as_dict() for t in preview.targets],
            }
        )


class PropagationApply(APIView):
    """Record the previewed propagation: all the chosen paragraphs, or none."""

    @extend_schema(
        request=PropagationApplySerializer,
        responses={201: DecisionsRecordedSerializer, 400: REFUSED, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = PropagationApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expected = {t["paragraph"]: t["based_on"] for t in data.validated_data["targets"]}
        recorded = _refusals(lambda: reuse.propagation_apply(request.user, pk, expected))
        return Response({"recorded": [d.pk for d in recorded]}, status=status.HTTP_201_CREATED)


class CableTriage(APIView):
    """A cable's predicted sensitivity, and whether it can be confirmed as one batch, as
    the caller may see them: over the undecided paragraphs they may read, with how many
    paragraphs are above their clearance (``workflow.triage``)."""

    @extend_schema(responses={200: CableTriageSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        cable = _cable(request.user, pk, permissions.REVIEW, permissions.RELEASE)
        return Response(triage.cable_triage(request.user, [cable.pk])[cable.pk].as_dict())


class CableBatchRelease(APIView):
    """Release every undecided paragraph of a cable predicted all-release, once the page
    showed every one of them; refused alike, before any decision is read, to a reviewer
    not cleared for every paragraph of the cable."""

    @extend_schema(
        request=CableBatchReleaseSerializer,
        responses={201: DecisionsRecordedSerializer, 400: REFUSED, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        cable = _cable(request.user, pk, permissions.REVIEW)
        data = CableBatchReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shown = data.validated_data["shown"]
        recorded = _refusals(lambda: triage.batch_release_confirm(request.user, cable, shown))
        return Response({"recorded": [d.pk for d in recorded]}, status=status.HTTP_201_CREATED)


class QCTaskList(generics.ListAPIView):
    """The blind re-decisions waiting for you: the paragraph, never the first decision."""

    serializer_class = QCTaskSerializer

    def get_queryset(self) -> QuerySet[Decision]:
        if _fake(self):
            return Decision.objects.none()
        return qc.tasks_queryset(self.request.user)


class QCTaskDecide(APIView):
    """Your blind re-decision of a sampled decision (once per sample)."""

    @extend_schema(
        request=QCDecisionSerializer,
        responses={201: QCRecordedSerializer, 400: REFUSED, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        data = QCDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        _refusals(
            lambda: qc.redecide(
                user=request.user,
                decision_id=pk,
                kind=v["kind"],
                spans=v.get("spans", ()),
                label=v.get("label", ""),
                agency=v.get("agency", ""),
            )
        )
        return Response({"recorded": True}, status=status.HTTP_201_CREATED)


class QCAgreement(APIView):
    """Agreement rates (supervisors): per reviewer, per exemption, model vs reviewers."""

    @extend_schema(responses={200: QCAgreementSerializer, 404: NOT_FOUND})
    def get(self, request: Request) -> Response:
        return Response(qc.agreement(request.user))
