"""A cable as received, its header fields, and its paragraphs with markings."""

from __future__ import annotations

from django.db import models

from cables.markings import Level, Marking


class ClassificationLevel(models.IntegerChoices):
    """Stored as a small integer so that SQL can compare levels (U < C < S < TS)."""

    UNCLASSIFIED = Level.U, "UNCLASSIFIED"
    CONFIDENTIAL = Level.C, "CONFIDENTIAL"
    SECRET = Level.S, "SECRET"
    TOP_SECRET = Level.TS, "TOP SECRET"


class ReviewState(models.TextChoices):
    """Where a cable stands in the declassification workflow (rules, section 6)."""

    INGESTED = "ingested", "Ingested"
    DUE = "due", "Due for review"
    IN_REVIEW = "in_review", "In review"
    REVIEWED = "reviewed", "Reviewed"
    APPROVED = "approved", "Approved for release"
    RELEASED = "released", "Released"
    RETURNED = "returned", "Returned for rework"


class CableQuerySet(models.QuerySet["Cable"]):
    def with_tag(self, tag: str) -> CableQuerySet:
        return self.filter(tag_rows__tag=tag.upper())


class Cable(models.Model):
    """One telegram, as its text says (header fields) and as received (raw text).

    ``raw_text`` and ``sha256`` make imports idempotent: the same reference id
    with the same hash is a no-op, with a different hash a conflict.
    """

    reference_id = models.CharField(max_length=64)
    dtg = models.CharField("date-time group", max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    origin = models.CharField(max_length=128, blank=True)
    originator = models.CharField(max_length=128, blank=True)
    precedence = models.CharField(max_length=32, blank=True)
    to_addressees = models.JSONField(default=list, blank=True)
    info_addressees = models.JSONField(default=list, blank=True)
    level = models.PositiveSmallIntegerField(choices=ClassificationLevel.choices, db_index=True)
    controls = models.JSONField(default=list, blank=True)
    banner = models.CharField(max_length=64, blank=True)
    captions = models.JSONField(default=list, blank=True)
    executive_order = models.CharField(max_length=16, blank=True)
    decl = models.TextField("declassification instruction", blank=True)
    classified_by = models.TextField(blank=True)
    reasons = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    subject = models.TextField(blank=True)
    references = models.JSONField(default=list, blank=True)
    section_count = models.PositiveSmallIntegerField(null=True, blank=True)
    signature = models.CharField(max_length=255, blank=True)
    source_format = models.CharField(max_length=16, blank=True)
    source_name = models.CharField(max_length=255, blank=True)
    parse_warnings = models.JSONField(default=list, blank=True)
    from_metadata = models.JSONField(default=list, blank=True)
    raw_text = models.TextField()
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()

    # How the declassification date was reached, computed by the rules engine
    # (rules, section 4.6); the date itself lives on CableStatus, which the sweep scans.
    declass_kind = models.CharField(max_length=16, blank=True)
    declass_rule = models.CharField(max_length=32, blank=True)
    declass_review_required = models.BooleanField(null=True)
    declass_explanation = models.JSONField(default=list, blank=True)
    declass_warnings = models.JSONField(default=list, blank=True)
    declass_flags = models.JSONField(default=list, blank=True)
    declass_computed_at = models.DateTimeField(null=True, blank=True)
    declass_version = models.CharField(
        max_length=32, blank=True, help_text="Rules version the stored status was computed with."
    )

    objects = CableQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "reference_id"]
        permissions = [
            ("review_cable", "Can review the cable's paragraphs"),
            ("release_cable", "Can approve and publish the cable's release"),
        ]
        # Indexes are declared here rather than with db_index/unique on CharFields,
        # which on PostgreSQL add a second (LIKE) index that bulk loads pay for.
        constraints = [
            models.UniqueConstraint(fields=["reference_id"], name="cable_reference_id_unique"),
        ]
        indexes = [models.Index(fields=["origin"], name="cable_origin_idx")]

    def __str__(self) -> str:
        return self.reference_id

    @property
    def classification(self) -> Marking:
        return Marking(Level(self.level), tuple(self.controls))


class CableStatus(models.Model):
    """Where a cable stands: its workflow state and the date the due sweep scans.

    Kept apart from the wide Cable row, and indexed on the date alone, so that
    the sweep's set-based UPDATE touches only unindexed columns of narrow rows:
    PostgreSQL then rewrites them in place (HOT updates, helped by the table's
    fill factor) without touching any index, which is what keeps a sweep over a
    million cables within a second or two.  Do not index the state or the due
    columns without measuring ``bench/sweep.py``.
    """

    cable = models.OneToOneField(
        Cable, primary_key=True, on_delete=models.CASCADE, related_name="status"
    )
    review_state = models.CharField(
        max_length=16, choices=ReviewState.choices, default=ReviewState.INGESTED
    )
    declass_date = models.DateField(null=True, blank=True)
    # The date the sweep last flagged this cable for, and in which run: a cable
    # comes back only when its date changes (e.g. an exemption runs out), so
    # running the sweep twice flags nothing twice.  No FK constraint or index on
    # the run: checking half a million of them at commit would cost more than
    # the sweep itself, and runs are never deleted.
    due_for_date = models.DateField(null=True, blank=True)
    due_run = models.ForeignKey(
        "workflow.SweepRun",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "cable statuses"
        indexes = [models.Index(fields=["declass_date"], name="status_declass_date_idx")]

    def __str__(self) -> str:
        return f"{self.cable_id}: {self.review_state}"


class CableTag(models.Model):
    """One TAGS entry of a cable, as a row so that queues can filter by tag in SQL."""

    # No separate FK index: the unique (cable, tag) constraint already serves it.
    cable = models.ForeignKey(
        Cable, on_delete=models.CASCADE, related_name="tag_rows", db_index=False
    )
    tag = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cable", "tag"], name="cabletag_unique"),
        ]
        indexes = [models.Index(fields=["tag", "cable"], name="cabletag_tag_idx")]

    def __str__(self) -> str:
        return self.tag


class Paragraph(models.Model):
    """One portion of a cable with its marking (explicit or inherited)."""

    # No separate FK index: the unique (cable, ordinal) constraint already serves it.
    cable = models.ForeignKey(
        Cable, on_delete=models.CASCADE, related_name="paragraphs", db_index=False
    )
    ordinal = models.PositiveIntegerField()
    number = models.CharField(max_length=16, blank=True)
    level = models.PositiveSmallIntegerField(choices=ClassificationLevel.choices)
    controls = models.JSONField(default=list, blank=True)
    explicit = models.BooleanField(
        default=True, help_text="False when the marking was inherited from the cable."
    )
    text = models.TextField()

    class Meta:
        ordering = ["cable", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["cable", "ordinal"], name="paragraph_cable_ordinal"),
        ]

    def __str__(self) -> str:
        return f"{self.cable_id} ¶{self.number or self.ordinal}"

    @property
    def marking(self) -> Marking:
        return Marking(Level(self.level), tuple(self.controls))


class ParagraphBand(models.Model):
    """One LSH band key of a paragraph's MinHash signature (``cables.similarity``).

    Paragraphs that share a key are candidate near-duplicates: finding them is one
    indexed lookup of a few dozen keys, not a comparison with every paragraph.  The
    primary key (key, paragraph) is that lookup's index; ``cable`` lets a cable be
    re-indexed (delete, insert) in one statement.  No foreign-key constraints: they
    would be checked row by row when the whole index is loaded with COPY.
    """

    pk = models.CompositePrimaryKey("key", "paragraph")
    key = models.BigIntegerField()
    paragraph = models.ForeignKey(
        Paragraph,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    cable = models.ForeignKey(
        Cable, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["cable"], name="paragraphband_cable_idx")]

    def __str__(self) -> str:
        return f"{self.key} ¶{self.paragraph_id}"
