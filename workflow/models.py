"""Workflow models: where each cable stands, object permissions, clearances, decisions,
sweep runs, notifications and the review queue's index."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.lookups import Exact
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cables.models import Cable, ClassificationLevel


class CableUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK permission table: lists filter by join, not by generic object_pk text."""

    content_object = models.ForeignKey(Cable, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [
            models.Index(fields=["user", "permission", "content_object"]),
            # (holder, cable) whatever the permission: the queue index's triggers look a
            # removed row's remaining permissions up by it (a batch revoked: one probe a
            # cable, not a scan of all the holder's rows).
            models.Index(fields=["user", "content_object"], name="cableuserperm_user_cable_idx"),
        ]


class CableGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Cable, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes = [
            models.Index(fields=["group", "permission", "content_object"]),
            models.Index(fields=["group", "content_object"], name="cablegroupperm_group_cable_idx"),
        ]


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


class ReviewState(models.TextChoices):
    """Where a cable stands in the declassification workflow (rules, section 6)."""

    INGESTED = "ingested", "Ingested"
    DUE = "due", "Due for review"
    IN_REVIEW = "in_review", "In review"
    REVIEWED = "reviewed", "Reviewed"
    APPROVED = "approved", "Approved for release"
    RELEASED = "released", "Released"
    RETURNED = "returned", "Returned for rework"


class CableStatus(models.Model):
    """Where a cable stands: its workflow state and the date the due sweep scans.

    ``declass_date`` is the workflow's copy of ``Cable.declass_date``, kept in step
    by a database trigger (migration ``workflow.0002``), which also creates the row
    when a cable is stored: the cables app knows nothing of the workflow.

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
    # running the sweep twice flags nothing twice.  Once released, the date through
    # which its release handles its dates (``workflow.sweep.handled_date``): a later
    # one opens a re-review round (``ReviewRound``), the state stays released.
    # No FK constraint or index on the run: checking half a million of them at
    # commit would cost more than the sweep itself, and runs are never deleted.
    due_for_date = models.DateField(null=True, blank=True)
    due_run = models.ForeignKey(
        SweepRun,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    class Meta:
        verbose_name_plural = "cable statuses"
        indexes = [
            models.Index(fields=["declass_date"], name="status_declass_date_idx"),
            # The rows a sweep could still flag: never flagged, or flagged for another
            # date than their date now.  An exception to the rule above, measured: a
            # sweep that flags nothing otherwise walks every status row dated up to the
            # cutoff to filter them all away (8.9 s at 2,500,000 cables, every 15
            # minutes; 0.1 ms with this index).  It costs HOT updates: flagging a row
            # writes a column of the index's condition, so PostgreSQL no longer rewrites
            # it in place, and the one sweep over a backlog writes index entries for
            # each row it flags (8.1 s -> 23.9 s for 2,500,000 cables, once).  The sweep
            # repeats the condition at the top of its WHERE (workflow.sweep.UNFLAGGED),
            # or the planner cannot use the index.
            models.Index(
                fields=["declass_date"],
                name="status_unflagged_idx",
                condition=models.Q(due_for_date__isnull=True)
                | ~models.Q(Exact(models.F("due_for_date"), models.F("declass_date"))),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cable_id}: {self.review_state}"


class Notification(models.Model):
    """An in-app notice for one user (also e-mailed): cables assigned to them came due
    (the due sweep), a cable they review was returned for rework, a batch of work
    was assigned to them or a group of theirs (``workflow.notify``), or the release of a
    cable they review was withdrawn for re-review (``releases.recheck``).

    A notice never holds cable text: counts, reference ids of cables the user may view,
    who acted, and a link (``link``, a path of the site) to the page the work is on.
    """

    class Kind(models.TextChoices):
        DUE = "due", "Cables came due"
        RETURNED = "returned", "Cable returned for rework"
        ASSIGNED = "assigned", "Work assigned"
        WITHDRAWN = "withdrawn", "Release withdrawn for re-review"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    sweep_run = models.ForeignKey(SweepRun, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.DUE)
    message = models.TextField()
    # Where to go: a path of the site (My batches, a cable's review page); "" for none.
    link = models.CharField(max_length=200, blank=True, default="")
    cable_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.message


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
    # The review round the decision was taken in: 1 for a cable's first review, N for the
    # re-review round N of a released cable (``ReviewRound``).  Earlier rounds' decisions
    # stay as they were; a later round's decision supersedes the one it replaces.
    review_round = models.PositiveSmallIntegerField(db_default=1)

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


class QueueTouched(models.Model):
    """A cable whose queue rows a change may have left behind, written by triggers
    (migration 0014) whenever what the queue index copies changes: a grant, a status's
    date or released-ness, a re-review round, a cable's level or post.

    Why: two transactions that commit at the same moment can each miss the other's
    change (``workflow.queue_index``); the repair after each sweep rechecks only the
    cables logged here since the last one, instead of every permission row (7.6 s at
    2.5M cables, about 75 s at 25M, for nearly always nothing).  No foreign key: a
    logged cable may be gone by the time the repair reads it.
    """

    cable_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"queue of cable {self.cable_id} to recheck"


class QueueEntry(models.Model):
    """A cable in a user's or a group's review queue: the review queue's index.

    One row per (user or group, cable) holding review or release permission on it,
    with a copy of what the queue sorts and filters on: the declassification date,
    whether the cable is still open (not released), its level and post.  A queue
    page then reads its holder's rows in date order from one index, instead of
    probing the status of every cable the reviewer holds (about 12 ms for 5,300
    cables in an archive of 250,000, at every page view).

    PostgreSQL keeps the table in step with triggers (migration 0003) on the
    permission tables and on status changes of the date or of released-ness; the
    due sweep's moves between open states touch no row.
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


class AssignmentBatch(models.Model):
    """One assignment of work: a permission (view, review or release) on a set of cables,
    given to one user or one group by a supervisor or an admin (``workflow.assignment``).

    The batch remembers the query or the selection it was made from and its cables (one
    ``AssignmentBatchCable`` row each), so that the assignee sees their batches and their
    progress, a supervisor each reviewer's workload, and a revocation takes back exactly
    what the batch gave.  The permission rows themselves are guardian's (the cable
    permission tables); the batch is the record of why they are there.
    """

    class Permission(models.TextChoices):
        VIEW = "view", "View"
        REVIEW = "review", "Review"
        RELEASE = "release", "Release"

    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignment_batches",
    )
    assignee_group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignment_batches",
    )
    permission = models.CharField(max_length=8, choices=Permission.choices)
    # The query's filters as given ({} for a selection), and the batch size asked for.
    query = models.JSONField(default=dict, blank=True)
    by_selection = models.BooleanField(default=False)
    limit = models.PositiveIntegerField(null=True, blank=True)
    cable_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "assignment batches"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(assignee_user__isnull=True)
                ^ models.Q(assignee_group__isnull=True),
                name="assignmentbatch_one_assignee",
            ),
        ]

    def __str__(self) -> str:
        who = self.assignee_name
        return f"batch {self.pk}: {self.permission} on {self.cable_count} cables to {who}"

    @property
    def assignee_name(self) -> str:
        if self.assignee_user_id is not None:
            return self.assignee_user.get_username()
        return f"group:{self.assignee_group.name}"


class AssignmentBatchCable(models.Model):
    """One cable of an assignment batch; ``revoked_at`` once its permission was taken back
    (by the whole batch's revocation, or by a revocation by selection or query)."""

    pk = models.CompositePrimaryKey("batch", "cable")
    batch = models.ForeignKey(AssignmentBatch, on_delete=models.CASCADE, related_name="rows")
    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, db_index=False, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["cable", "batch"], name="assignmentcable_cable_idx")]

    def __str__(self) -> str:
        return f"batch {self.batch_id} cable {self.cable_id}"


# -- Decide once (issue 14): suggestions, their model, where decisions came from, QC ---------


class SuggestionModel(models.Model):
    """One trained version of the learned suggestions (``workflow.learning``).

    Trained on this deployment's own current decisions, never on anything fetched:
    the fitted pipeline (a hashing vectorizer, so it holds no vocabulary and thus no
    word of any cable, and calibrated linear classifiers) is kept here as joblib
    bytes.  ``decisions_digest`` fingerprints the decisions it was trained on, so
    that the retraining task trains again only when they changed.
    """

    created_at = models.DateTimeField()
    training_size = models.PositiveIntegerField()
    decisions_digest = models.CharField(max_length=64)
    classes = models.JSONField(default=list, blank=True)  # decision kinds it predicts
    labels = models.JSONField(default=list, blank=True)  # exemptions it predicts
    metrics = models.JSONField(default=dict, blank=True)
    sklearn_version = models.CharField(max_length=32, blank=True)
    fitted = models.BinaryField()
    # HMAC-SHA256 of ``fitted`` under the secret key, which the database never holds:
    # joblib bytes are a pickle, so a row someone wrote behind the service's back is
    # refused before it is loaded.
    fitted_hmac = models.CharField(max_length=64)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"suggestion model v{self.pk} ({self.training_size} decisions)"


class SuggestionShown(models.Model):
    """A suggestion shown to a reviewer for a paragraph: from a decided near-duplicate
    (``reuse``) or from the model (``learned``, with its version).  A decision the
    reviewer then makes on that paragraph records it (``DecisionOrigin``)."""

    class Source(models.TextChoices):
        REUSE = "reuse", "Near-duplicate's decision"
        LEARNED = "learned", "Learned suggestion"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="+")
    paragraph = models.ForeignKey("cables.Paragraph", on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=8, choices=Source.choices)
    kind = models.CharField(max_length=16, choices=Decision.Kind.choices)
    label = models.CharField(max_length=120, blank=True)
    spans = models.JSONField(default=list, blank=True)
    confidence = models.FloatField(null=True, blank=True)
    similarity = models.FloatField(null=True, blank=True)
    model_version = models.ForeignKey(
        SuggestionModel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shown_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["user", "paragraph", "shown_at"], name="suggestionshown_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} for ¶{self.paragraph_id} to {self.user_id}"


class DecisionOrigin(models.Model):
    """Where a decision came from, when not from a reviewer's hand alone.  A side table,
    since decisions are append-only: written with the decision, never changed
    (append-only in the database too, migration ``0009``)."""

    class Via(models.TextChoices):
        SHOWN = "shown", "Decided while a suggestion was shown"
        REUSE = "reuse", "Accepted a near-duplicate's decision"
        LEARNED = "learned", "Accepted the learned suggestion"
        PROPAGATED = "propagated", "Propagated by a supervisor"
        BATCH = "batch", "Confirmed with the cable's batch"

    decision = models.OneToOneField(
        Decision, primary_key=True, on_delete=models.CASCADE, related_name="origin"
    )
    via = models.CharField(max_length=12, choices=Via.choices)
    source_decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model_version = models.ForeignKey(
        SuggestionModel, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    suggestion = models.ForeignKey(
        SuggestionShown, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"decision {self.decision_id}: {self.via}"


class QCReview(models.Model):
    """A second reviewer's blind re-decision of a decision sampled for quality control
    (``workflow.qc``): what they decided, and whether it agrees with the first."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="qc_review")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Decision.Kind.choices)
    spans = models.JSONField(default=list, blank=True)
    label = models.CharField(max_length=120, blank=True)
    referral_agency = models.CharField(max_length=120, blank=True)
    agrees = models.BooleanField()
    decided_at = models.DateTimeField()

    class Meta:
        permissions = [
            (
                "supervise_review",
                "Supervise review: propagate decisions, see agreement rates",
            )
        ]

    def __str__(self) -> str:
        return f"QC of decision {self.decision_id}: {'agrees' if self.agrees else 'differs'}"


class ReviewRound(models.Model):
    """A re-review of a released cable: round 2, 3... (the first review is round 1, implicit).

    When a released cable's declassification date moves past the date its release
    handled (an exemption that dated it, 25X/50X/75X, runs out), the due sweep opens a
    round instead of rewinding the cable's state: the published release stays published
    and listed, the cable shows in its reviewers' queue as a re-review, the decisions
    taken in the round carry its number (``Decision.review_round``), and publishing the
    round's release (a new version, which supersedes the earlier one in the reading
    room) closes it.  At most one round of a cable is open at a time.

    A round is also opened when another cable's release is published withholding or
    redacting text that this cable's current release publishes (``releases.recheck``):
    such a round has no date (``declass_date`` is empty), names the other cable and its
    release, and *withdraws* this cable's release (``withdrawn_release_id``): it is not
    served while the round is open.  A date's round open at that moment is extended with
    the withdrawal instead of a second round being opened.
    """

    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="review_rounds")
    number = models.PositiveSmallIntegerField()
    # Why: the date that came due, the date the release had handled, and what dated it.
    declass_date = models.DateField(null=True, blank=True)  # empty: opened by a withholding
    handled_date = models.DateField(null=True, blank=True)
    exemption = models.CharField(max_length=32, blank=True)  # e.g. "25X1", "50X1-HUM"
    rule = models.CharField(max_length=32, blank=True)  # the engine's rule, e.g. "R-25X"
    sweep_run = models.ForeignKey(
        SweepRun, null=True, blank=True, on_delete=models.PROTECT, related_name="rounds"
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    release_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The release version whose publication closed it."
    )
    # Why, for a round opened because another cable's release withholds text this
    # cable's release published: that cable, its release, the paragraphs of it that
    # withhold the text (so that a page names the cable only to whoever may read them),
    # and this cable's release, withdrawn until the round's release is published.
    # Releases are kept as plain ids: ``releases`` stands above ``workflow`` (its rows
    # are never deleted, so the ids stay good).
    withheld_in = models.ForeignKey(
        Cable, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withheld_release_id = models.BigIntegerField(null=True, blank=True)
    withheld_paragraphs = models.JSONField(null=True, blank=True)  # paragraph ids there
    withdrawn_release_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="The release of this cable no longer served while the round is open.",
    )

    class Meta:
        ordering = ["cable", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cable", "number"], name="reviewround_number_unique"),
            models.UniqueConstraint(
                fields=["cable"],
                condition=models.Q(closed_at__isnull=True),
                name="reviewround_one_open_per_cable",
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=2), name="reviewround_number_after_first"
            ),
        ]
        indexes = [
            # The reading room asks it of every release it lists (releases.selectors.current).
            models.Index(
                fields=["withdrawn_release_id"],
                condition=models.Q(closed_at__isnull=True, withdrawn_release_id__isnull=False),
                name="reviewround_withdrawing_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cable_id}: round {self.number}"

    @property
    def reason(self) -> str:
        """Why the round was opened, in words (what ran out, and when; or that text of
        its release is withheld in another cable, which it does not name: see
        ``reason_naming``)."""
        return self.reason_naming(None)

    @property
    def withdraws(self) -> bool:
        """Whether the round withdraws the cable's release (a round without a date is
        opened only by a withholding elsewhere)."""
        return self.withdrawn_release_id is not None or self.declass_date is None

    def reason_naming(self, withheld_in: str | None) -> str:
        """The reason, naming the cable that withholds the text as ``withheld_in``
        (None: "another cable"; the caller decides whether the reader may know it)."""
        parts = []
        if self.declass_date is not None:
            parts.append(self._dated_reason())
        if self.withdraws:
            parts.append(
                f"text withheld in {withheld_in or 'another cable'}; its release is "
                "withdrawn until this round's release is published"
            )
        return "; and ".join(parts)

    def _dated_reason(self) -> str:
        if self.exemption:
            what = f"the {self.exemption} exemption that dated it ends {self.declass_date}"
        else:
            what = f"its declassification date {self.declass_date} came due"
        if self.rule:
            what += f" (rule {self.rule})"
        if self.handled_date:
            return f"{what}; its release covered dates through {self.handled_date}"
        return f"{what}; its release came before any date was known"


# -- The subject line as a portion (issue 11) ---------------------------------------------


class SubjectDecision(models.Model):
    """A reviewer's decision on a cable's subject line.  Append-only: a change is a new row.

    A subject above UNCLASSIFIED (its own portion mark, or unmarked in a classified
    cable: ``workflow.access.subject_level``) is a portion like a paragraph: at
    declassification most such subjects are released, so a reviewer cleared for it
    releases it or withholds it whole under an exemption (``workflow.subject``); until
    one does, the cable cannot be marked reviewed and a release would box it.  The
    chain works as ``Decision``'s: each row names the one it replaces, and the database
    allows one first decision per cable and one successor per decision.
    """

    class Kind(models.TextChoices):
        RELEASE = "release", "Release"
        WITHHOLD = "withhold", "Withhold in full"

    cable = models.ForeignKey(Cable, on_delete=models.CASCADE, related_name="subject_decisions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    label = models.CharField(max_length=120, blank=True, help_text="Withholding's exemption.")
    # The subject's level when decided (a re-parse that changes it is seen in the trail).
    subject_level = models.PositiveSmallIntegerField(choices=ClassificationLevel.choices)
    note = models.TextField(blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subject_decisions"
    )
    decided_at = models.DateTimeField()
    review_round = models.PositiveSmallIntegerField(db_default=1)

    class Meta:
        ordering = ["cable", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cable"],
                condition=models.Q(supersedes__isnull=True),
                name="subjectdecision_one_first_per_cable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} subject of {self.cable_id} by {self.decided_by_id}"
