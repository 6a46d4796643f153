"""Workflow models: object permissions on cables, sweep runs and notifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cables.models import Cable, ClassificationLevel


class CableUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK permission table: lists filter by join, not by generic object_pk text."""

    content_object = models.ForeignKey(Cable, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["user", "permission", "content_object"])]


class CableGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Cable, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["group", "permission", "content_object"])]


class SweepRun(models.Model):
    """One run of the due sweep: when, for which horizon, and how many it flagged."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        SKIPPED = "skipped", "Skipped (another sweep held the lock)"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    as_of = models.DateField()
    horizon_days = models.PositiveIntegerField()
    flagged = models.PositiveIntegerField(default=0)
    notified_users = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"sweep {self.started_at:%Y-%m-%d %H:%M} ({self.status}, {self.flagged} flagged)"


class Notification(models.Model):
    """An in-app notice for one user, e.g. that cables assigned to them came due."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    sweep_run = models.ForeignKey(SweepRun, null=True, blank=True, on_delete=models.SET_NULL)
    message = models.TextField()
    cable_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.message


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
    """

    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="proposals")
    paragraph = models.ForeignKey(
        "cables.Paragraph", on_delete=models.CASCADE, related_name="proposals", db_index=False
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


class Clearance(models.Model):
    """A user's security clearance: paragraphs above it never reach their browser."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="clearance",
    )
    level = models.PositiveSmallIntegerField(
        choices=ClassificationLevel.choices, default=ClassificationLevel.UNCLASSIFIED
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.get_level_display()}"


class Decision(models.Model):
    """A reviewer's decision on one paragraph.  Append-only: a change is a new row.

    Each decision names the decision it replaces (``supersedes``), and the
    database allows only one successor per decision (and one first decision
    per paragraph): two reviewers deciding from the same state cannot both
    win; the second is refused instead of silently overwriting the first.
    """

    class Kind(models.TextChoices):
        RELEASE = "release", "Release in full"
        REDACT = "redact", "Release with redactions"
        WITHHOLD = "withhold", "Withhold in full"
        REFER = "refer", "Refer to another agency"

    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="decisions")
    paragraph = models.ForeignKey(
        "cables.Paragraph", on_delete=models.CASCADE, related_name="decisions"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    spans = models.JSONField(
        default=list, blank=True, help_text='Redactions: [{"start", "end", "label"}]'
    )
    label = models.CharField(max_length=120, blank=True, help_text="Withholding's exemption.")
    referral_agency = models.CharField(max_length=120, blank=True)
    note = models.TextField(blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="decisions"
    )
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["paragraph", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["paragraph"],
                condition=models.Q(supersedes__isnull=True),
                name="decision_one_first_per_paragraph",
            ),
        ]
        indexes = [models.Index(fields=["cable", "paragraph"], name="decision_cable_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ¶{self.paragraph_id} by {self.decided_by_id}"


class AuditEvent(models.Model):
    """One entry of the append-only audit trail, chained by hash so tampering shows.

    ``hash`` covers this entry's content and the previous entry's hash; cable and
    paragraph are kept as plain ids so that no cascade ever rewrites the trail.
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    cable_id = models.BigIntegerField(null=True, blank=True)
    cable_ref = models.CharField(max_length=64, blank=True)
    paragraph_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["cable_id", "id"], name="audit_cable_idx"),
            models.Index(fields=["action", "id"], name="audit_action_idx"),
            models.Index(fields=["at"], name="audit_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        raise TypeError("the audit trail is append-only: use workflow.audit.audit_record")

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("the audit trail is append-only")


class QueueEntry(models.Model):
    """A cable in a user's or a group's review queue: the review queue's index.

    One row per (user or group, cable) holding review or release permission on it,
    with a copy of what the queue sorts and filters on: the declassification date,
    whether the cable is still open (not released), its level and post.  A queue
    page then reads its holder's rows in date order from one index, instead of
    probing the status of every cable the reviewer holds (about 12 ms for 5,300
    cables in an archive of 250,000, at every page view).

    PostgreSQL keeps the table in step with triggers (migration 0007) on the
    permission tables and on status changes of the date or of released-ness; the
    due sweep's moves between open states touch no row.  Elsewhere (SQLite, the
    embedded default) the table stays empty and the queue is read directly.
    """

    pk = models.CompositePrimaryKey("holder_kind", "holder_id", "cable")
    holder_kind = models.CharField(max_length=1)  # "u": a user, "g": a group
    holder_id = models.IntegerField()
    cable = models.ForeignKey(
        Cable, on_delete=models.CASCADE, db_constraint=False, db_index=False, related_name="+"
    )
    declass_date = models.DateField(null=True)
    open = models.BooleanField()
    level = models.PositiveSmallIntegerField()
    origin_key = models.CharField(max_length=128)  # UPPER(origin), as the post filter compares

    class Meta:
        indexes = [
            models.Index(
                fields=["holder_kind", "holder_id", "open", "declass_date", "cable"],
                name="queueentry_page_idx",
            ),
            models.Index(fields=["cable"], name="queueentry_cable_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.holder_kind}{self.holder_id} {self.cable_id}"
