"""Redaction rules as admins edit them, their versions, and what they propose."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cables.models import Cable, ClassificationLevel


class RedactionRule(models.Model):
    """A redaction rule as an admin edits it (the draft) plus which version is live.

    Every save writes a ``RuleVersion`` snapshot; the matcher compiles the
    snapshots of active versions only, so a rule can be edited and dry-run
    against its live version before the new version is activated.
    """

    class Kind(models.TextChoices):
        TERMS = "terms", "Term list"
        REGEX = "regex", "Regular expression"
        PERSONAL = "personal_data", "Personal data (b)(6)"
        MARKING = "marking", "Marking (withhold paragraphs)"

    class Action(models.TextChoices):
        REDACT = "redact", "Redact the span"
        WITHHOLD = "withhold", "Withhold the paragraph"
        FLAG = "flag", "Flag for a reviewer"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    terms = models.TextField(blank=True, help_text="Term list: one term per line.")
    pattern = models.TextField(blank=True, help_text="Regular expression (Python syntax).")
    personal_kinds = models.JSONField(
        default=list, blank=True, help_text="Personal data: kinds to find (empty: all)."
    )
    min_level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=ClassificationLevel.choices,
        help_text="Marking rule: withhold paragraphs at or above this level.",
    )
    controls = models.JSONField(
        default=list, blank=True, help_text="Marking rule: withhold paragraphs carrying these."
    )
    label = models.CharField(
        max_length=120, help_text="FOIA exemption and basis, e.g. (b)(1) 1.4(d) or (b)(6)."
    )
    action = models.CharField(max_length=16, choices=Action.choices, default=Action.REDACT)
    priority = models.IntegerField(default=0)
    scope_posts = models.JSONField(default=list, blank=True)
    scope_tags = models.JSONField(default=list, blank=True)
    scope_levels = models.JSONField(default=list, blank=True)
    scope_from = models.DateField(null=True, blank=True)
    scope_to = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    active = models.BooleanField(default=False, editable=False)
    active_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-priority", "name"]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class RuleVersion(models.Model):
    """One saved version of a rule: its full definition, who saved it and when."""

    rule = models.ForeignKey(RedactionRule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField()
    changes = models.JSONField(default=dict, blank=True, help_text="field: [before, after]")

    class Meta:
        ordering = ["rule", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="ruleversion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class ProposedRedaction(models.Model):
    """What the active rules propose for one paragraph; only a reviewer makes it final.

    A whole-paragraph withholding is stored as one span over the whole text
    with action ``withhold``.  Rows are replaced, never edited: applying rules
    to a cable deletes and rewrites its proposals in one transaction.

    The database holds one foreign key, ``(paragraph_id, cable_id)`` to the paragraph's
    ``(id, cable_id)`` (migration 0002), not one for each column: the rows are written by
    the hundred thousand and each key is checked row by row, so one lookup instead of two
    (backend CPU of COPYing 97,000 rows: 1.30 s with two keys, 0.93 s with one).  It is
    also stronger: a proposal's cable must be its paragraph's cable.  Deleting through the
    ORM still cascades (in Python); a raw DELETE of a paragraph or cable that still has
    proposals is refused at COMMIT, as it was with the two keys.
    """

    cable = models.ForeignKey(
        Cable, on_delete=models.CASCADE, related_name="proposals", db_constraint=False
    )
    paragraph = models.ForeignKey(
        "cables.Paragraph",
        on_delete=models.CASCADE,
        related_name="proposals",
        db_index=False,
        db_constraint=False,
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=RedactionRule.Action.choices)
    labels = models.JSONField(default=list)
    rules = models.JSONField(default=list, help_text="[[rule id, version], ...]")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["cable", "paragraph", "start"]
        indexes = [models.Index(fields=["paragraph", "start"], name="proposal_paragraph_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.start}-{self.end} {', '.join(self.labels)}"


class RuleJob(models.Model):
    """Re-applying rules to the cables a rule change can affect, in chunks."""

    rule = models.ForeignKey(RedactionRule, null=True, blank=True, on_delete=models.SET_NULL)
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    total_chunks = models.PositiveIntegerField(default=0)
    total_cables = models.PositiveIntegerField(default=0)
    # The versions the change is between, ``[[rule id, version, definition], ...]``: a
    # chunk re-applies the rules only to its cables where one of them proposes something
    # (see ``rule_services.chunk_apply``).  Null: every cable of the chunk.
    changed = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reason} ({self.created_at:%Y-%m-%d %H:%M})"


class RuleJobChunk(models.Model):
    """One task's worth of cable ids; ``done_at`` makes progress idempotent."""

    job = models.ForeignKey(RuleJob, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    cable_ids = models.JSONField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="rulejobchunk_unique"),
        ]

    def __str__(self) -> str:
        return f"job {self.job_id} chunk {self.number}"
