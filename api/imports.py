"""Import cables by upload, through the same import service as the command and the admin.

All or nothing: the upload is imported in one transaction, and if any file
cannot be imported (it does not parse, or its reference id is stored with other
text) nothing is kept and the answer names every file, line and problem.  A file
over ``DECLASS_MAX_CABLE_BYTES`` refuses the upload before any file is parsed.

Same text or other text is an equality test on the stored raw text, so it is told
only to an importer who may read that raw text (``access.may_read_raw_text``).  A
file whose reference id is stored on a cable they may not read in full is *already
stored* whether its text is the same or not: listed in ``already_stored`` of a 201,
the stored cable kept as it was and the rest of the upload imported, never a 409
(``cables.import_answer``).
"""

from __future__ import annotations

from functools import partial

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import ImportPermission
from cables.import_answer import import_answer
from cables.ingest import cables_import
from cables.models import Cable
from cables.uploads import upload_refusal, upload_source
from workflow.access import raw_text_readable

MAX_FILES = 500


class ImportSerializer(serializers.Serializer):
    files = serializers.ListField(
        child=serializers.FileField(max_length=255),
        min_length=1,
        max_length=MAX_FILES,
        help_text="Raw telegram text, archive HTML pages or Markdown scrapes (UTF-8).",
    )


class ImportedCableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference_id = serializers.CharField()


class StoredFileSerializer(serializers.Serializer):
    file = serializers.CharField()
    reference_id = serializers.CharField()


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    unchanged = serializers.IntegerField(
        help_text="Already stored with the same text, on cables whose raw text you may read."
    )
    paragraphs = serializers.IntegerField()
    cables = ImportedCableSerializer(many=True)
    already_stored = StoredFileSerializer(
        many=True,
        help_text="Files whose reference id is stored on a cable whose raw text you may "
        "not read in full: the stored cable is kept, whether the text is the same or not.",
    )


class ImportProblemSerializer(serializers.Serializer):
    file = serializers.CharField()
    error = serializers.CharField(help_text="File, line where known, and the problem.")


class ImportRefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ImportProblemSerializer(many=True)


class CableImport(generics.GenericAPIView):
    """Upload cable files; they are parsed and stored like ``manage.py import_cables``."""

    serializer_class = ImportSerializer
    parser_classes = [MultiPartParser]
    permission_classes = [IsAuthenticated, ImportPermission]

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={
            201: ImportResultSerializer,
            400: OpenApiResponse(
                ImportRefusalSerializer,
                description="A file cannot be imported (or is over the size limit); none was.",
            ),
            409: OpenApiResponse(
                ImportRefusalSerializer,
                description="A reference id is already stored with other text, on a cable "
                "whose raw text you may read; none was imported.",
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        files = data.validated_data["files"]
        oversized = [
            {"file": refusal.source, "error": str(refusal)}
            for f in files
            if (refusal := upload_refusal(f))
        ]
        if oversized:  # refused unread, before any file is parsed
            return self._refused(oversized, status.HTTP_400_BAD_REQUEST)
        sources = [upload_source(f) for f in files]
        with transaction.atomic():
            report = cables_import(sources, workers=1)
            answer = import_answer(report, partial(raw_text_readable, request.user))
            problems = answer.failed or answer.conflicts
            if problems:
                transaction.set_rollback(True)
        if problems:
            return self._refused(
                [{"file": p["source"], "error": p["error"]} for p in problems],
                status.HTTP_400_BAD_REQUEST if answer.failed else status.HTTP_409_CONFLICT,
            )
        cables = Cable.objects.filter(pk__in=answer.imported_ids).order_by("pk")
        return Response(
            {
                "imported": answer.imported,
                "unchanged": answer.unchanged,
                "paragraphs": answer.paragraphs,
                "cables": list(cables.values("id", "reference_id")),
                "already_stored": [
                    {"file": item["source"], "reference_id": item["reference_id"]}
                    for item in answer.already_stored
                ],
            },
            status=status.HTTP_201_CREATED,
        )

    @staticmethod
    def _refused(errors: list[dict[str, str]], status_code: int) -> Response:
        return Response(
            {
                "detail": f"{len(errors)} file(s) cannot be imported; nothing was imported.",
                "errors": errors,
            },
            status=status_code,
        )
