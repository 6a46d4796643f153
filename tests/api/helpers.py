"""Helpers shared by the API tests."""

from __future__ import annotations

from knox.models import AuthToken
from rest_framework.test import APIClient

PERSONAS = ["anonymous", "no_permission", "view_only", "reviewer", "releaser", "low_clearance"]
SECRET = "SECRETWORDS"


def token_client(user=None) -> APIClient:
    """A client that authenticates as a script would: with the user's token."""
    client = APIClient()
    if user is not None:
        _, token = AuthToken.objects.create(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def published_release(cable, user, *, version=1, status="published", files=None):
    """A release row as publication leaves it (the API only reads them), with its files:
    made pending, given its files, then published, as the database allows only."""
    import hashlib

    from django.utils import timezone

    from releases.models import Release, ReleaseFile

    files = files or {
        "release.txt": ("text/plain; charset=utf-8", b"1. (U) Released text.\n"),
        "release.pdf": ("application/pdf", b"%PDF-1.7 released"),
        "manifest.json": ("application/json", b'{"format": "declass-release/1"}\n'),
    }
    now = timezone.now()
    release = Release.objects.create(
        cable=cable,
        status="pending",
        version=None,
        approved_by=user,
        approved_at=now,
        review_authority=user.get_username(),
        decisions_digest="0" * 64,
        reference_id=cable.reference_id,
        title="EXAMPLE TALKS RESUME",
        origin=cable.origin,
        stamp="Declassified in part (b)(6)",
        exemptions=["(b)(6)"],
        search_text="Released text.",
        manifest_sha256="1" * 64,
        published_at=None,
    )
    ReleaseFile.objects.bulk_create(
        ReleaseFile(
            release=release,
            name=name,
            content_type=ctype,
            content=data,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        for name, (ctype, data) in files.items()
    )
    if status != "pending":
        Release.objects.filter(pk=release.pk).update(
            status=status,
            version=version if status == "published" else None,
            published_at=now if status == "published" else None,
        )
        release.refresh_from_db()
    return release
