"""Import cables by upload, through the same import service as the command and the admin.

All or nothing: the upload is imported in one transaction, and if any file
cannot be imported (it does not parse, or its reference id is stored with other
text) nothing is kept and the answer names every file, line and problem.  A file
over ``DECLASS_MAX_CABLE_BYTES`` refuses the upload before any file is parsed.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import ImportPermission
from cables.ingest import cables_import
from cables.models import Cable
from cables.uploads import upload_refusal, upload_source

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


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Already stored with the same text.")
    paragraphs = serializers.IntegerField()
    cables = ImportedCableSerializer(many=True)


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
                description="A reference id is already stored with other text; none was.",
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
            problems = report.failed or report.conflicts
            if problems:
                transaction.set_rollback(True)
        if problems:
            return self._refused(
                [{"file": p["source"], "error": p["error"]} for p in problems],
                status.HTTP_400_BAD_REQUEST if report.failed else status.HTTP_409_CONFLICT,
            )
        cables = Cable.objects.filter(pk__in=report.imported_ids).order_by("pk")
        return Response(
            {
                "imported": report.imported,
                "unchanged": report.unchanged,
                "paragraphs": report.paragraphs,
                "cables": list(cables.values("id", "reference_id")),
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
