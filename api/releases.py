"""Published releases, read only: what the reading room shows, through its selectors.

Only published releases exist here (pending and blocked ones answer 404), and
only their released fields, copied at publication: nothing is read from the
original cable, so, as in the reading room, every logged-in user may read them
and nothing above anyone's clearance can be reached.  Files are served as stored.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.reverse import reverse

from api.serializers import ErrorSerializer
from releases import selectors
from releases.models import Release, ReleaseFile


def _refuse_withdrawn(pk: int) -> None:
    """404, saying so, for a release withdrawn for re-review (``releases.recheck``):
    not why, which would name another cable and what it withholds."""
    withdrawn = selectors.withdrawn(pk)
    if withdrawn is not None:
        raise Http404(
            f"Withdrawn for re-review: release {withdrawn.pk} (version {withdrawn.version}) "
            "is not served until the review publishes a new version."
        )


class ReleaseFileSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ReleaseFile
        fields = ["name", "content_type", "size", "sha256", "url"]
        read_only_fields = fields

    def get_url(self, file: ReleaseFile) -> str:
        return reverse(
            "api:release-file",
            kwargs={"pk": file.release_id, "name": file.name},
            request=self.context.get("request"),
        )


class ReleaseSerializer(serializers.ModelSerializer):
    """A reading-room row: the released fields the list shows."""

    doc_no = serializers.CharField(read_only=True)

    class Meta:
        model = Release
        fields = [
            "id", "doc_no", "reference_id", "version", "title", "sent_at", "origin", "stamp",
            "published_at",
        ]  # fmt: skip
        read_only_fields = fields


class ReleaseVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Release
        fields = ["id", "version", "stamp", "published_at"]
        read_only_fields = fields


class ReleaseDetailSerializer(ReleaseSerializer):
    """A release page: its fields, its files and every published version of the cable."""

    exemptions = serializers.ListField(child=serializers.CharField(), read_only=True)
    files = ReleaseFileSerializer(many=True, read_only=True, source="file_list")
    versions = ReleaseVersionSerializer(many=True, read_only=True, source="version_list")

    class Meta(ReleaseSerializer.Meta):
        fields = [
            *ReleaseSerializer.Meta.fields,
            "exemptions", "review_authority", "case_number", "manifest_sha256", "files",
            "versions",
        ]  # fmt: skip
        read_only_fields = fields


class ReleaseSearchSerializer(serializers.Serializer):
    q = serializers.CharField(
        required=False, max_length=200, help_text="Search the released text (every word)."
    )


class ReleaseList(generics.ListAPIView):
    """The reading room: the latest published version of every released cable, newest
    first, or by relevance when searching."""

    serializer_class = ReleaseSerializer

    @extend_schema(parameters=[ReleaseSearchSerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Release]:
        if getattr(self, "swagger_fake_view", False):
            return Release.objects.none()
        query = ReleaseSearchSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.reading_room(query=query.validated_data.get("q", ""))


class ReleaseDetail(generics.RetrieveAPIView):
    """The current published release of a cable, its files and the cable's earlier published
    versions (listed, no longer served: a later round may withhold what they released)."""

    serializer_class = ReleaseDetailSerializer
    queryset = Release.objects.none()

    @extend_schema(responses={200: ReleaseDetailSerializer, 404: ErrorSerializer})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)

    def get_object(self) -> Release:
        release = selectors.release_detail(self.kwargs["pk"])
        if release is None:
            latest = selectors.replacing(self.kwargs["pk"])
            if latest is not None:
                raise Http404(f"Replaced by version {latest.version}: release {latest.pk}.")
            _refuse_withdrawn(self.kwargs["pk"])
            raise Http404("No release matches the given query.")
        release.file_list = selectors.release_files(release)
        release.version_list = selectors.release_versions(release)
        return release


class ReleaseFileDownload(generics.GenericAPIView):
    """Download one file of a published release (text, HTML, PDF, withholding index,
    manifest) byte for byte as verified and stored; ``ETag`` is its SHA-256."""

    queryset = Release.objects.none()

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The file, with its own content type (text, HTML, PDF, JSON).",
            ),
            404: ErrorSerializer,
        }
    )
    def get(self, request: Request, pk: int, name: str) -> HttpResponse:
        stored = selectors.release_file(pk, name)
        if stored is None:
            _refuse_withdrawn(pk)
            raise Http404("No such file in a published release.")
        release = stored.release
        response = HttpResponse(bytes(stored.content), content_type=stored.content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True,
            filename=f"{release.reference_id}-v{release.version}-{stored.name}",
        )
        # A stored HTML release never runs anything, even if opened in place.
        response["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
        response["ETag"] = f'"{stored.sha256}"'
        return response
