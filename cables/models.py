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
    # The subject's own portion mark, e.g. "SUBJECT: (S) ...".  Null when the subject is
    # unmarked: it is then handled at the cable's level (rules, section 2.2), never as U.
    subject_level = models.PositiveSmallIntegerField(
        choices=ClassificationLevel.choices, null=True, blank=True
    )
    subject_controls = models.JSONField(default=list, blank=True)
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

    # The declassification date and how it was reached, computed by the rules engine
    # (rules, section 4.6).  The workflow keeps a copy of the date on its narrow status
    # row, which the due sweep scans (a database trigger keeps it in step).
    declass_date = models.DateField(null=True, blank=True)
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
    heading = models.BooleanField(
        default=False, help_text="A heading between paragraphs (e.g. 'Syria/Lebanon'), not prose."
    )
    text = models.TextField()

    class Meta:
        ordering = ["cable", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["cable", "ordinal"], name="paragraph_cable_ordinal"),
            # What a proposal's one foreign key (paragraph, cable) refers to: the database
            # checks both ids, and that they agree, with one lookup (redaction migration
            # 0002).  Built concurrently by cables migration 0005.
            models.UniqueConstraint(fields=["id", "cable"], name="paragraph_id_cable_unique"),
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
