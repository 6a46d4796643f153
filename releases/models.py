"""Published releases of cables: immutable, versioned, with their files and checksums."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from cables.models import Cable


class Release(models.Model):
    """One release of one cable, from the release authority's approval to publication.

    A row starts *pending* when an authority approves; generation and verification
    then either *publish* it (version assigned, files stored, cable released) or
    *block* it with the reason.  Published and blocked rows are final: the model
    refuses to save them again and a database trigger refuses to update them.
    The released fields (reference id, subject, stamp, search text...) are copied
    here at publication so that the reading room never reads the original cable.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being generated"
        PUBLISHED = "published", "Published"
        BLOCKED = "blocked", "Blocked by verification"

    cable = models.ForeignKey(Cable, on_delete=models.PROTECT, related_name="releases")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    version = models.PositiveIntegerField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField()
    review_authority = models.CharField(max_length=150)
    case_number = models.CharField(max_length=40, blank=True)
    # The decisions the authority approved: [[paragraph id, decision id], ...] and their digest.
    decisions = models.JSONField(default=list)
    decisions_digest = models.CharField(max_length=64)
    conflicts_acknowledged = models.JSONField(default=list, blank=True)
    blocked_reason = models.TextField(blank=True)
    # Released fields, filled at publication (released text only, never the original).
    reference_id = models.CharField(max_length=64, blank=True)
    title = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    origin = models.CharField(max_length=128, blank=True)
    stamp = models.CharField(max_length=255, blank=True)
    exemptions = models.JSONField(default=list, blank=True)
    search_text = models.TextField(blank=True)
    withholding_index = models.JSONField(default=list, blank=True)
    verification = models.JSONField(default=dict, blank=True)
    manifest_sha256 = models.CharField(max_length=64, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cable", "version"],
                condition=models.Q(version__isnull=False),
                name="release_cable_version_unique",
            ),
            models.UniqueConstraint(
                fields=["cable"],
                condition=models.Q(status="pending"),
                name="release_one_pending_per_cable",
            ),
            models.CheckConstraint(
                condition=models.Q(status="published", version__isnull=False)
                | ~models.Q(status="published"),
                name="release_published_has_version",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "published_at"], name="release_status_idx"),
        ]

    def __str__(self) -> str:
        if self.version:
            return f"{self.reference_id or self.cable_id} v{self.version}"
        return f"release {self.pk} of cable {self.cable_id} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and self.status != self.Status.PENDING:
            raise TypeError("a published or blocked release is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.status == self.Status.PUBLISHED:
            raise TypeError("a published release cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def doc_no(self) -> str:
        """The document number printed on every page (rules §5.3: ``C`` + 8 digits)."""
        return f"C{self.pk:08d}"


class ReleaseFile(models.Model):
    """One stored output of a published release (text, HTML, PDF, index, manifest).

    Kept in the database: written in the same transaction as the publication,
    so a release is never half-stored, and covered by the same backups.  Rows
    are only ever inserted (bulk_create); the model and a trigger refuse changes.
    """

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="files")
    name = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["release", "name"]
        constraints = [
            models.UniqueConstraint(fields=["release", "name"], name="releasefile_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.release_id}/{self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("release files are immutable: they are written once at publication")

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("release files are immutable")
