"""Serializers for cables, paragraphs, proposals and decisions.

They expose what the web pages show and nothing more: never a cable's raw
text (it holds every paragraph, whatever its level), paragraphs only as the
views hand them over, already cut to the user's clearance, and a cable's
subject, and its TAGS and REF lines with it, only to whoever is cleared for it
(``workflow.access.subject_for``, ``tags_for``, ``references_for``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cables.models import Cable, ClassificationLevel, Paragraph
from redaction.models import ProposedRedaction
from workflow import access
from workflow.models import Decision, ReviewState


def _strings(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), read_only=True, **kwargs)


class CableFilterSerializer(serializers.Serializer):
    """The cable list's filters: the web queue's (post, TAGS, classification) and the state."""

    post = serializers.CharField(required=False, max_length=128, help_text="Post (origin).")
    tag = serializers.CharField(required=False, max_length=64, help_text="One TAGS entry.")
    level = serializers.ChoiceField(
        required=False, choices=ClassificationLevel.choices, help_text="Classification level."
    )
    state = serializers.ChoiceField(required=False, choices=ReviewState.choices)


class _CableListSerializer(serializers.ListSerializer):
    """A page of cables: the subject levels a view did not load come in one query,
    not one per cable."""

    def to_representation(self, data: Any) -> list[Any]:
        cables = list(data.all() if hasattr(data, "all") else data)
        missing = [c.pk for c in cables if "subject_level" in c.get_deferred_fields()]
        if missing:
            levels = dict(Cable.objects.filter(pk__in=missing).values_list("pk", "subject_level"))
            for cable in cables:
                if cable.pk in levels:
                    cable.subject_level = levels[cable.pk]
        return super().to_representation(cables)


class CableSerializer(serializers.ModelSerializer):
    """One row of the cable list."""

    classification = serializers.CharField(read_only=True)
    subject = serializers.SerializerMethodField(
        help_text="The subject line; null when it is above your clearance (subject_hidden)."
    )
    subject_hidden = serializers.SerializerMethodField(
        help_text="True when the subject is above your clearance and so not sent."
    )
    tags = serializers.SerializerMethodField(
        help_text="The TAGS; null with the subject (subject_hidden): they repeat its words."
    )
    state = serializers.CharField(source="status.review_state", read_only=True)
    declass_date = serializers.DateField(source="status.declass_date", read_only=True)

    class Meta:
        model = Cable
        fields = [
            "id", "reference_id", "sent_at", "origin", "level", "classification", "subject",
            "subject_hidden", "tags", "state", "declass_date",
        ]  # fmt: skip
        read_only_fields = fields
        list_serializer_class = _CableListSerializer

    def _user(self) -> object:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def get_subject(self, cable: Cable) -> str | None:
        return access.subject_for(self._user(), cable)

    def get_subject_hidden(self, cable: Cable) -> bool:
        return not access.may_read_subject(self._user(), cable)

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_tags(self, cable: Cable) -> list[str] | None:
        return access.tags_for(self._user(), cable)


class CableDetailSerializer(CableSerializer):
    """A cable's header, declassification status and paragraph counts (the cable page)."""

    controls = _strings()
    to_addressees = _strings()
    info_addressees = _strings()
    captions = _strings()
    reasons = _strings()
    references = serializers.SerializerMethodField(
        help_text="The REF lines; null with the subject (subject_hidden): a REF line names "
        "the referenced cable by its subject, often this cable's."
    )
    parse_warnings = serializers.SerializerMethodField(
        help_text="The parser's warnings (CODE: particulars); unless you may read the raw "
        "text (see signature), each is cut to its code and the paragraph it names: the "
        "particulars quote the text."
    )
    declass_explanation = _strings()
    declass_warnings = _strings()
    declass_flags = _strings()
    paragraphs_visible = serializers.IntegerField(
        read_only=True, help_text="Paragraphs within your clearance."
    )
    paragraphs_hidden = serializers.IntegerField(
        read_only=True,
        help_text="Paragraphs above your clearance: never sent, counted as withheld.",
    )
    signature = serializers.SerializerMethodField(
        help_text="The signer's name as read from the end of the text; null unless you may "
        "read the raw text: the cable's level, its subject and every paragraph within your "
        "clearance (it may be read from that text)."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_references(self, cable: Cable) -> list[str] | None:
        return access.references_for(self._user(), cable)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_parse_warnings(self, cable: Cable) -> list[str]:
        hidden = getattr(cable, "paragraphs_hidden", None)
        return access.parse_warnings_for(self._user(), cable, hidden=hidden)

    def get_signature(self, cable: Cable) -> str | None:
        hidden = getattr(cable, "paragraphs_hidden", 1)
        readable = access.raw_text_readable_when_authorised(self._user(), cable, hidden=hidden)
        return cable.signature if readable else None

    class Meta(CableSerializer.Meta):
        fields = [
            *CableSerializer.Meta.fields,
            "dtg", "originator", "precedence", "to_addressees", "info_addressees", "controls",
            "banner", "captions", "executive_order", "decl", "classified_by", "reasons",
            "references", "section_count", "signature", "source_format", "parse_warnings",
            "imported_at", "declass_kind", "declass_rule", "declass_review_required",
            "declass_explanation", "declass_warnings", "declass_flags", "declass_computed_at",
            "paragraphs_visible", "paragraphs_hidden",
        ]  # fmt: skip
        read_only_fields = fields


class ParagraphSerializer(serializers.ModelSerializer):
    classification = serializers.CharField(source="marking", read_only=True)
    controls = _strings()

    class Meta:
        model = Paragraph
        fields = [
            "id", "cable", "ordinal", "number", "level", "controls", "classification",
            "explicit", "text",
        ]  # fmt: skip
        read_only_fields = fields


class ProposalSerializer(serializers.ModelSerializer):
    labels = _strings()
    rules = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        read_only=True,
        help_text="[rule id, rule version] of each rule that proposed it.",
    )

    class Meta:
        model = ProposedRedaction
        fields = ["id", "paragraph", "start", "end", "action", "labels", "rules"]
        read_only_fields = fields

    def to_representation(self, instance: ProposedRedaction) -> dict[str, Any]:
        """The rules as the reader may be told them (``workflow.access.proposal_rules_for``,
        for the cable the view put in the context; none without one)."""
        data = super().to_representation(instance)
        cable, request = self.context.get("cable"), self.context.get("request")
        if cable is None or request is None:
            data["rules"] = []
        else:
            data["rules"] = access.proposal_rules_for(request.user, cable, data["rules"])
        return data


class SpanSerializer(serializers.Serializer):
    start = serializers.IntegerField(min_value=0, max_value=2_000_000_000)
    end = serializers.IntegerField(min_value=0, max_value=2_000_000_000)
    label = serializers.CharField(max_length=120, help_text="FOIA exemption, e.g. (b)(6).")


def note_field() -> serializers.SerializerMethodField:
    """A decision's note: a person's own words, which may quote any portion of the cable."""
    return serializers.SerializerMethodField(
        help_text="The reviewer's note; null unless you may read the whole cable (every "
        "paragraph and the subject): a note may quote any portion of it."
    )


def note_as_read(serializer: serializers.Serializer, decision: Any) -> str | None:
    """The decision's note where the requesting user may read its cable's notes
    (``workflow.access.notes_readable``), else None; asked once per cable per answer
    (the context is shared by the rows of a list), unless the view says already: its
    ``notes_readable``, the ids of the cables whose notes the user may read."""
    context = serializer.context
    if "notes_readable" in context:
        return decision.note if decision.cable_id in context["notes_readable"] else None
    known: dict[int, bool] = context.setdefault("_notes_readable", {})
    cable_id = decision.cable_id
    if cable_id not in known:
        user = getattr(context.get("request"), "user", None)
        known[cable_id] = cable_id in access.notes_readable(user, [cable_id])
    return decision.note if known[cable_id] else None


class DecisionSerializer(serializers.ModelSerializer):
    spans = SpanSerializer(many=True, read_only=True)
    agency = serializers.CharField(source="referral_agency", read_only=True)
    decided_by = serializers.CharField(source="decided_by.get_username", read_only=True)
    note = note_field()

    def get_note(self, decision: Decision) -> str | None:
        return note_as_read(self, decision)

    class Meta:
        model = Decision
        fields = [
            "id", "cable", "paragraph", "kind", "spans", "label", "agency", "note",
            "supersedes", "decided_by", "decided_at",
        ]  # fmt: skip
        read_only_fields = fields


class DecisionInputSerializer(serializers.Serializer):
    """A reviewer's decision on a paragraph, as ``workflow.review.decision_record`` takes it."""

    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    based_on = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=2**62,
        help_text="Id of the paragraph's latest decision you saw (null: none yet). If "
        "another decision was recorded since, the answer is 409.",
    )
    spans = SpanSerializer(many=True, required=False, max_length=500, help_text="For redact.")
    label = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="For withhold."
    )
    agency = serializers.CharField(
        required=False, allow_blank=True, max_length=120, help_text="For refer."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class TransitionSerializer(serializers.Serializer):
    target = serializers.ChoiceField(choices=ReviewState.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CableStateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="cable_id", read_only=True)
    state = serializers.CharField(source="review_state", read_only=True)


class ErrorSerializer(serializers.Serializer):
    """A refusal with the reason a person can act on."""

    detail = serializers.CharField()
