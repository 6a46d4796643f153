"""Assigning work: view, review or release on cables, to a user or a group, in batches.

Until this existed the only way to give anyone work was ``permissions.grant`` in a
shell.  A supervisor (or an admin: the ``workflow.add_assignmentbatch`` permission,
``workflow.roles``) picks cables by selection (ids) or by query (post, TAGS,
classification, review state, date range of the cable, due within N days, already
assigned or not), previews how many a batch would touch, and assigns "the next N":
ordered by declassification date, due soonest first.  Revoking works the same way,
by batch, by selection or by query.

What the rules are, and why:

- Nobody assigns to themselves or to a group they belong to (separation of duties,
  as ``permissions.refuse_self_change``); the refusal is audited, then raised.
- The assignee holds the role the permission needs (review: reviewer, release:
  release authority; ``roles.ASSIGNEE_ROLES``), else ``AssignmentError`` says so.
- An assigner hands out only cables they may view themselves
  (``access.readable_cables``; superusers: all): a supervisor's scope is itself a
  grant.  Choosing and previewing read the cable's metadata (state, dates, post,
  TAGS, level, reference id) and never its text or subject.
- A batch is a few queries whatever its size: the cables are chosen by one SELECT,
  and the batch rows and the permission rows are each one bulk insert (PostgreSQL
  statement triggers keep the queue's index in step).  The permission rows are the
  cable permission tables of ``workflow.models`` (django-guardian's direct-FK
  tables); guardian's own ``assign_perm`` on a queryset would load every cable, wide
  row and all, to check it one by one.
- Each batch (``AssignmentBatch``) records who assigned, to whom, which permission,
  the query or selection, its cables, and its revocation; every assignment and
  revocation is in the audit trail, naming the cables.
- A batch is shown to each viewer as far as ``workflow.access`` lets them see it:
  whoever holds ``view_assignmentbatch`` lists every batch, yet a cable outside the
  viewer's grants is counted, never named (nor its post, date or state, nor the
  batch's query, which describes it), and progress counts only the paragraphs the
  viewer may read.  The assignee of a revoked batch thus reads nothing more of the
  cables it no longer gives her.  Nobody revokes a batch holding a cable they may
  not view (they could not have given it): the refusal is audited and answered as
  for a batch that does not exist (``NoSuchBatch``), naming nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from audit.trail import audit_record
from cables.models import Cable, ClassificationLevel, Paragraph
from workflow import access, notify, permissions
from workflow.models import (
    AssignmentBatch,
    AssignmentBatchCable,
    CableGroupObjectPermission,
    CableStatus,
    CableUserObjectPermission,
    Decision,
    Notification,
    ReviewState,
)
from workflow.permissions import SelfChangeRefused, refuse_self_change
from workflow.roles import ASSIGN_PERMISSION, ASSIGNEE_ROLES, SEE_ALL_BATCHES_PERMISSION

CODENAMES: dict[str, str] = {
    "view": permissions.VIEW,
    "review": permissions.REVIEW,
    "release": permissions.RELEASE,
}
# A batch larger than this is refused: split it (each batch is one transaction).
MAX_BATCH = 50_000
PREVIEW_REFERENCES = 10
DONE_STATES = (ReviewState.REVIEWED, ReviewState.APPROVED, ReviewState.RELEASED)
_LOCK_KEY = zlib.crc32(b"workflow.assignment")  # serialises choosing and granting


class AssignmentError(Exception):
    """An assignment or revocation that cannot be made as asked; the message says why."""


class NotAllowed(PermissionDenied):
    """The user may not assign or revoke work (not a supervisor or an admin)."""


class NoSuchBatch(AssignmentError):
    """A batch the actor may not act on because it holds cables outside their grants:
    answered as a batch that does not exist, so that the refusal names nothing (pages
    and the API answer 404, the command "no batch N")."""

    def __init__(self, pk: int) -> None:
        super().__init__(f"no batch {pk}")
        self.pk = pk


# -- what to assign --------------------------------------------------------------------------


@dataclass(frozen=True)
class CableQuery:
    """Which cables a batch is chosen from: header fields and workflow state.

    ``assigned`` is "" (either), "yes" (someone, user or group, already holds the
    permission being given) or "no" (nobody does yet).
    """

    post: str = ""
    tag: str = ""
    level: int | None = None
    state: str = ""
    sent_from: date | None = None
    sent_until: date | None = None
    due_within_days: int | None = None
    assigned: str = ""

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in ClassificationLevel.values:
            raise AssignmentError(f"unknown classification level {self.level!r}")
        if self.state and self.state not in ReviewState.values:
            known = ", ".join(ReviewState.values)
            raise AssignmentError(f"unknown review state {self.state!r} (one of: {known})")
        if self.assigned not in ("", "yes", "no"):
            raise AssignmentError('"assigned" is "yes", "no" or empty')
        if self.due_within_days is not None and not 0 <= self.due_within_days <= 100_000:
            raise AssignmentError("due within: a number of days from 0 to 100000")
        if self.sent_from and self.sent_until and self.sent_from > self.sent_until:
            raise AssignmentError("the date range ends before it starts")

    def as_json(self) -> dict[str, Any]:
        """The filters that are set, as stored on the batch and shown back."""
        out = {}
        for name, value in asdict(self).items():
            if value in ("", None):
                continue
            out[name] = value.isoformat() if isinstance(value, date) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CableQuery:
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise AssignmentError(f"unknown query field(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        for name in ("sent_from", "sent_until"):
            if isinstance(values.get(name), str):
                try:
                    values[name] = date.fromisoformat(values[name])
                except ValueError:
                    raise AssignmentError(f"{name}: not a date (YYYY-MM-DD)") from None
        return cls(**values)

    def describe(self) -> str:
        """The query in words, for messages and the batch list."""
        parts = []
        if self.state:
            parts.append(f"state {ReviewState(self.state).label.lower()}")
        if self.post:
            parts.append(f"post {self.post}")
        if self.tag:
            parts.append(f"TAGS {self.tag.upper()}")
        if self.level is not None:
            parts.append(ClassificationLevel(self.level).label)
        if self.sent_from or self.sent_until:
            parts.append(f"sent {self.sent_from or '…'} to {self.sent_until or '…'}")
        if self.due_within_days is not None:
            parts.append(f"due within {self.due_within_days} days")
        if self.assigned:
            parts.append("already assigned" if self.assigned == "yes" else "not yet assigned")
        return ", ".join(parts) or "all cables"

    def apply(
        self, cables: QuerySet[Cable], codename: str, today: date, *, reader: object
    ) -> QuerySet[Cable]:
        """Filter cables by the query, in SQL (metadata only: never text or subject).

        ``reader``: who chooses (the actor).  The tag filter selects only cables whose
        TAGS they read (``workflow.access.tagged``), so that a batch, its preview and its
        count tell nothing of tags that go with a subject above their clearance."""
        if self.post:
            cables = cables.filter(origin__iexact=self.post.strip())
        if self.tag:
            cables = cables.filter(access.tagged(reader, self.tag))
        if self.level is not None:
            cables = cables.filter(level=self.level)
        if self.state:
            cables = cables.filter(status__review_state=self.state)
        if self.sent_from:
            cables = cables.filter(sent_at__date__gte=self.sent_from)
        if self.sent_until:
            cables = cables.filter(sent_at__date__lte=self.sent_until)
        if self.due_within_days is not None:
            horizon = today + timedelta(days=self.due_within_days)
            cables = cables.filter(status__declass_date__lte=horizon)
        if self.assigned:
            perm_id = _permission_id(codename)
            held = Exists(
                CableUserObjectPermission.objects.filter(
                    content_object=OuterRef("pk"), permission_id=perm_id
                )
            ) | Exists(
                CableGroupObjectPermission.objects.filter(
                    content_object=OuterRef("pk"), permission_id=perm_id
                )
            )
            cables = cables.filter(held if self.assigned == "yes" else ~held)
        return cables


@dataclass(frozen=True)
class Preview:
    """What an assignment or revocation would touch, before it is made."""

    count: int  # cables the batch would assign (or the revocation take back)
    matching: int  # cables the query or selection matches
    already_held: int  # of those, held by the assignee already (assign: skipped)
    references: list[str] = field(default_factory=list)  # the first few, in batch order
    above_clearance: int = 0  # of the batch, cables above the assignee's clearance


@dataclass(frozen=True)
class Revocation:
    count: int
    references: list[str]


# -- who ---------------------------------------------------------------------------------------


def may_assign(user: object) -> bool:
    """Supervisors and admins (the model permission) and superusers assign work."""
    return bool(
        getattr(user, "is_active", False)
        and getattr(user, "is_authenticated", False)
        and user.has_perm(ASSIGN_PERMISSION)  # type: ignore[attr-defined]
    )


def may_see_all_batches(user: object) -> bool:
    return bool(getattr(user, "is_active", False) and user.has_perm(SEE_ALL_BATCHES_PERMISSION))  # type: ignore[attr-defined]


def _require_assigner(actor: object) -> None:
    if not may_assign(actor):
        raise NotAllowed("Only a supervisor or an admin assigns or revokes work.")


def assignee_name(who: object) -> str:
    """``rita`` for a user, ``group:reviewer`` for a group (as the command and API take)."""
    if isinstance(who, Group):
        return f"group:{who.name}"
    return who.get_username()  # type: ignore[attr-defined]


def find_assignee(name: str) -> object:
    """The user (by username, any case) or the group (``group:NAME``) a name stands for."""
    name = name.strip()
    if name.lower().startswith("group:"):
        group = Group.objects.filter(name__iexact=name[6:].strip()).first()
        if group is None:
            raise AssignmentError(f"no group named {name[6:].strip()!r}")
        return group
    user = get_user_model().objects.filter(username__iexact=name).first()
    if user is None:
        raise AssignmentError(f"no user named {name!r}")
    return user


def _require_role(assignee: object, permission: str) -> None:
    role = ASSIGNEE_ROLES.get(permission)
    if isinstance(assignee, Group):
        if role is None or assignee.name == role:
            return
        lacking = sorted(
            assignee.user_set.filter(is_active=True)
            .exclude(groups__name=role)
            .values_list("username", flat=True)
        )
        if lacking:
            raise AssignmentError(
                f"{permission} goes to holders of the {role} role: in group "
                f"{assignee.name!r}, {', '.join(lacking)} do not hold it"
            )
        return
    if not getattr(assignee, "is_active", False):
        raise AssignmentError(f"{assignee_name(assignee)} is not an active user")
    if role is not None and not assignee.groups.filter(name=role).exists():  # type: ignore[attr-defined]
        raise AssignmentError(
            f"{assignee_name(assignee)} does not hold the {role} role, which {permission} "
            "needs: ask a security officer to give it first"
        )


def _refuse_self(actor: object, assignee: object, permission: str, action: str) -> None:
    """Separation of duties: refuse (and audit the refusal) work given to oneself."""
    try:
        refuse_self_change(actor, assignee, "grants")
    except SelfChangeRefused:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="assignment.refused",
                after={
                    "to": assignee_name(assignee),
                    "permission": permission,
                    "action": action,
                    "reason": "self-assignment (separation of duties)",
                },
            )
        raise


def _codename(permission: str) -> str:
    try:
        return CODENAMES[permission]
    except KeyError:
        raise AssignmentError(
            f"unknown permission {permission!r} (one of: {', '.join(CODENAMES)})"
        ) from None


def _permission_id(codename: str) -> int:
    return permissions._permission_ids((codename,))[0]


# -- choosing cables ---------------------------------------------------------------------------


def _held_by(assignee: object, codename: str) -> QuerySet:
    """The ids of the cables the assignee holds the permission on directly (what a batch
    would add to, and a revocation remove)."""
    perm_id = _permission_id(codename)
    if isinstance(assignee, Group):
        rows = CableGroupObjectPermission.objects.filter(group=assignee, permission_id=perm_id)
    else:
        rows = CableUserObjectPermission.objects.filter(user=assignee, permission_id=perm_id)
    return rows.values("content_object_id")


def _chosen(
    actor: object,
    codename: str,
    query: CableQuery | None,
    cable_ids: Sequence[int] | None,
    today: date,
) -> QuerySet[Cable]:
    """The cables a query or selection names among those the actor may view, due soonest
    first."""
    if (query is None) == (cable_ids is None):
        raise AssignmentError("give either a query or a selection of cables, not both")
    # The actor's cables as an IN (subquery): a supervisor may hold view on the whole
    # archive, where readable_cables(queryset=...)'s "= ANY(ARRAY(...))" form would
    # compare every row with every id.
    cables = access.readable_cables(actor)
    if cable_ids is not None:
        ids = sorted({int(i) for i in cable_ids})
        if not ids:
            raise AssignmentError("no cable selected")
        cables = cables.filter(pk__in=ids)
    else:
        cables = query.apply(cables, codename, today, reader=actor)  # type: ignore[union-attr]
    return cables.order_by(F("status__declass_date").asc(nulls_last=True), "pk")


def _check_selection(chosen: QuerySet[Cable], cable_ids: Sequence[int] | None) -> None:
    if cable_ids is None:
        return
    missing = len(set(cable_ids)) - chosen.count()
    if missing:
        raise AssignmentError(
            f"{missing} of the selected cables do not exist or are not yours to assign"
        )


def _check_limit(limit: int | None) -> None:
    if limit is not None and not 1 <= limit <= MAX_BATCH:
        raise AssignmentError(f"a batch holds 1 to {MAX_BATCH} cables")


def preview(
    *,
    actor: object,
    assignee: object | None,
    permission: str,
    query: CableQuery | None = None,
    cable_ids: Sequence[int] | None = None,
    limit: int | None = None,
    revoke: bool = False,
    today: date | None = None,
) -> Preview:
    """How many cables an assignment (or, ``revoke``, a revocation) would touch and the
    first few references, in at most three queries, reading no cable text.

    With no assignee yet (a form half filled), the count is of the cables the query
    matches."""
    _require_assigner(actor)
    codename = _codename(permission)
    _check_limit(limit)
    today = today or timezone.localdate()
    chosen = _chosen(actor, codename, query, cable_ids, today)
    if assignee is None:
        counts = {"matching": chosen.count(), "held": 0}
        batch = chosen.none() if revoke else chosen
    else:
        held = _held_by(assignee, codename)
        counts = chosen.order_by().aggregate(
            matching=Count("pk"), held=Count("pk", filter=Q(pk__in=held))
        )
        batch = chosen.filter(pk__in=held) if revoke else chosen.exclude(pk__in=held)
    if cable_ids is not None and counts["matching"] < len(set(cable_ids)):
        missing = len(set(cable_ids)) - counts["matching"]
        raise AssignmentError(
            f"{missing} of the selected cables do not exist or are not yours to assign"
        )
    if revoke:
        available = counts["held"]
    else:
        available = counts["matching"] - counts["held"]
    count = available if limit is None else min(limit, available)
    references = (
        list(batch.values_list("reference_id", flat=True)[: min(count, PREVIEW_REFERENCES)])
        if count
        else []
    )
    above = 0
    if assignee is not None and not isinstance(assignee, Group) and count and not revoke:
        level = permissions.clearance_level(assignee)
        ids = batch.values("pk") if limit is None else batch.values("pk")[:limit]
        above = Cable.objects.filter(pk__in=ids, level__gt=level).count()
    return Preview(
        count=count,
        matching=counts["matching"],
        already_held=counts["held"],
        references=references,
        above_clearance=above,
    )


# -- assigning and revoking ------------------------------------------------------------------


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _insert_ids(table: str, columns: str, fixed: list[object], cable_ids: list[int]) -> None:
    """One ``INSERT ... SELECT unnest(ids)``: a batch's rows without building a model
    instance per cable (which cost more than the insert itself at 10,000 cables)."""
    placeholders = ", ".join(["%s"] * len(fixed))
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {placeholders}, unnest(%s::bigint[])"
        " ON CONFLICT DO NOTHING"
    )  # nosec B608: table and column names from the models, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fixed, cable_ids])


def _grant_rows(assignee: object, codename: str, cable_ids: list[int]) -> None:
    """The permission rows, in the cable permission tables (statement triggers add the
    review queue's rows)."""
    perm_id = _permission_id(codename)
    if isinstance(assignee, Group):
        model, holder = CableGroupObjectPermission, "group_id"
    else:
        model, holder = CableUserObjectPermission, "user_id"
    _insert_ids(
        model._meta.db_table,
        f"{holder}, permission_id, content_object_id",
        [assignee.pk, perm_id],  # type: ignore[attr-defined]
        cable_ids,
    )


def _assignee_fields(assignee: object) -> dict[str, object]:
    if isinstance(assignee, Group):
        return {"assignee_group": assignee, "assignee_user": None}
    return {"assignee_user": assignee, "assignee_group": None}


def assign(
    *,
    actor: object,
    assignee: object,
    permission: str,
    query: CableQuery | None = None,
    cable_ids: Sequence[int] | None = None,
    limit: int | None = None,
    today: date | None = None,
) -> AssignmentBatch:
    """Give ``permission`` on the chosen cables to ``assignee`` as one recorded batch.

    Cables the assignee already holds the permission on are left out (a batch records
    what it gave, so that revoking it takes back exactly that).  With ``limit``, the
    batch is the first ``limit`` cables in due order: "the next 200 due cables".
    """
    _require_assigner(actor)
    codename = _codename(permission)
    _refuse_self(actor, assignee, permission, "assign")
    _require_role(assignee, permission)
    _check_limit(limit)
    today = today or timezone.localdate()
    chosen = _chosen(actor, codename, query, cable_ids, today)
    with transaction.atomic():
        _lock()  # two supervisors assigning "the next 200 unassigned" get different ones
        _check_selection(chosen, cable_ids)
        batch_cables = chosen.exclude(pk__in=_held_by(assignee, codename))
        rows = batch_cables.values_list("pk", "reference_id")
        rows = list(rows if limit is None else rows[:limit])
        if len(rows) > MAX_BATCH:
            raise AssignmentError(
                f"the query matches {len(rows)} cables: give a batch size of at most {MAX_BATCH}"
            )
        if not rows:
            raise AssignmentError(
                "no cable to assign: none matches, or the assignee holds them all already"
            )
        ids = [pk for pk, _ in rows]
        batch = AssignmentBatch.objects.create(
            assigned_by=actor,
            permission=permission,
            query={} if query is None else query.as_json(),
            by_selection=query is None,
            limit=limit,
            cable_count=len(ids),
            created_at=timezone.now(),
            **_assignee_fields(assignee),
        )
        _insert_ids(AssignmentBatchCable._meta.db_table, "batch_id, cable_id", [batch.pk], ids)
        _grant_rows(assignee, codename, ids)
        audit_record(
            actor=actor,
            action="assignment.created",
            obj=batch,
            after={
                "batch": batch.pk,
                "permission": codename,
                "to": assignee_name(assignee),
                "query": batch.query,
                "selection": batch.by_selection,
                "count": len(ids),
                "cables": [ref for _, ref in rows],
                "cable_ids": ids,
            },
        )
        _notify_assigned(actor, assignee, batch)
    return batch


def _notify_assigned(actor: object, assignee: object, batch: AssignmentBatch) -> int:
    """Tell the assignee (each active member of a group) that a batch was given to
    them: who gave it, the permission and how many cables, and My batches to open.

    Never a reference id: a group's member may not view every cable of it (a grant to
    the group is one to her, yet the notice is e-mailed), and the count says enough.
    One insert; a group adds one query for its members.
    """
    if isinstance(assignee, Group):
        people = get_user_model().objects.filter(groups=assignee, is_active=True)
        user_ids = list(people.values_list("pk", flat=True))
        to = f"your group {assignee.name}"
    else:
        user_ids = [assignee.pk] if getattr(assignee, "is_active", False) else []
        to = "you"
    count = batch.cable_count
    message = (
        f"{assignee_name(actor)} assigned {to} {batch.permission} on {count} "
        f"cable{'' if count == 1 else 's'} (batch {batch.pk}): open My batches."
    )
    return notify.notify(
        (pk for pk in user_ids if pk != getattr(actor, "pk", None)),
        kind=Notification.Kind.ASSIGNED,
        message=message,
        link=reverse("workflow:batches"),
        cable_count=count,
    )


def _take_back(
    *,
    actor: object,
    assignee: object,
    permission: str,
    cable_ids: list[int],
    batch: AssignmentBatch | None = None,
) -> None:
    """Delete the assignee's permission rows on these cables and mark the batch rows
    revoked, in three statements whatever the number of cables.

    Revoking one ``batch`` keeps a cable that another active batch of the same
    assignee and permission still gives; revoking by query or selection revokes every
    batch's row of those cables.  A batch left with no cable is revoked as a whole.
    """
    perm_id = _permission_id(_codename(permission))
    now = timezone.now()
    if isinstance(assignee, Group):
        perm_table, holder_col, batch_col = (
            CableGroupObjectPermission._meta.db_table,
            "group_id",
            "assignee_group_id",
        )
    else:
        perm_table, holder_col, batch_col = (
            CableUserObjectPermission._meta.db_table,
            "user_id",
            "assignee_user_id",
        )
    rows_table = AssignmentBatchCable._meta.db_table
    batch_table = AssignmentBatch._meta.db_table
    holder_id = assignee.pk  # type: ignore[attr-defined]
    # Table and column names from the models; every value is bound.
    kept = f"""
        AND NOT EXISTS (
            SELECT 1 FROM {rows_table} r JOIN {batch_table} b ON b.id = r.batch_id
            WHERE r.cable_id = p.content_object_id AND r.revoked_at IS NULL
              AND b.{batch_col} = %s AND b.permission = %s AND b.id <> %s)
    """  # nosec B608
    delete = f"""
        DELETE FROM {perm_table} p
        WHERE p.{holder_col} = %s AND p.permission_id = %s
          AND p.content_object_id = ANY(%s::bigint[]) {kept if batch else ""}
    """  # nosec B608
    params: list[object] = [holder_id, perm_id, cable_ids]
    if batch is not None:
        params += [holder_id, permission, batch.pk]
    if batch is not None:
        # The table name from the model; every value is a bound parameter.
        mark = f"UPDATE {rows_table} SET revoked_at = %s WHERE batch_id = %s AND revoked_at IS NULL"  # nosec B608  # noqa: E501
        mark_params = [now, batch.pk]
    else:
        mark = f"""
            UPDATE {rows_table} r SET revoked_at = %s FROM {batch_table} b
            WHERE b.id = r.batch_id AND r.revoked_at IS NULL AND b.{batch_col} = %s
              AND b.permission = %s AND r.cable_id = ANY(%s::bigint[])
        """  # nosec B608
        mark_params = [now, holder_id, permission, cable_ids]
    with connection.cursor() as cursor:
        cursor.execute(delete, params)
        cursor.execute(mark, mark_params)
    AssignmentBatch.objects.filter(revoked_at__isnull=True, **_holder_filter(assignee)).exclude(
        Exists(AssignmentBatchCable.objects.filter(batch=OuterRef("pk"), revoked_at__isnull=True))
    ).update(revoked_at=now, revoked_by=actor)


def _holder_filter(assignee: object) -> dict[str, object]:
    if isinstance(assignee, Group):
        return {"assignee_group": assignee}
    return {"assignee_user": assignee}


def revoke_batch(*, actor: object, batch: AssignmentBatch) -> Revocation:
    """Take back what a batch gave (the cables still active in it), audited.

    An assigner takes back only what they could have given: a batch holding a cable the
    actor may not view (``access.readable_cables``) is refused with ``NoSuchBatch``,
    nothing changed and nothing named; the refusal is audited.
    """
    _require_assigner(actor)
    assignee = batch.assignee_user or batch.assignee_group
    _refuse_self(actor, assignee, batch.permission, "revoke")
    try:
        return _revoke_batch(actor, assignee, batch)
    except NoSuchBatch:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="assignment.refused",
                obj=batch,
                after={
                    "batch": batch.pk,
                    "action": "revoke",
                    "reason": "the batch holds cables outside the actor's grants",
                },
            )
        raise


def _revoke_batch(actor: object, assignee: object, batch: AssignmentBatch) -> Revocation:
    with transaction.atomic():
        _lock()
        batch = AssignmentBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.revoked_at is not None:
            raise AssignmentError(f"batch {batch.pk} was revoked already")
        # Whether the actor may view each cable, read with the rows themselves.
        viewable = ExpressionWrapper(_viewable(actor), output_field=BooleanField())
        found = list(
            AssignmentBatchCable.objects.filter(batch=batch, revoked_at__isnull=True)
            .annotate(viewable=viewable)
            .order_by("cable_id")
            .values_list("cable_id", "cable__reference_id", "viewable")
        )
        if not all(seen for _, _, seen in found):
            raise NoSuchBatch(batch.pk)
        rows = [(pk, ref) for pk, ref, _ in found]
        ids = [pk for pk, _ in rows]
        _take_back(
            actor=actor, assignee=assignee, permission=batch.permission, cable_ids=ids, batch=batch
        )
        audit_record(
            actor=actor,
            action="assignment.revoked",
            obj=batch,
            after={
                "batch": batch.pk,
                "permission": _codename(batch.permission),
                "from": assignee_name(assignee),
                "count": len(ids),
                "cables": [ref for _, ref in rows],
                "cable_ids": ids,
            },
        )
    batch.refresh_from_db()
    return Revocation(count=len(ids), references=[ref for _, ref in rows])


def revoke(
    *,
    actor: object,
    assignee: object,
    permission: str,
    query: CableQuery | None = None,
    cable_ids: Sequence[int] | None = None,
    limit: int | None = None,
    today: date | None = None,
) -> Revocation:
    """Take back ``permission`` from ``assignee`` on the cables a query or selection
    names (those they hold it on directly), whichever batches gave it; audited."""
    _require_assigner(actor)
    codename = _codename(permission)
    _refuse_self(actor, assignee, permission, "revoke")
    _check_limit(limit)
    today = today or timezone.localdate()
    chosen = _chosen(actor, codename, query, cable_ids, today)
    with transaction.atomic():
        _lock()
        _check_selection(chosen, cable_ids)
        rows = chosen.filter(pk__in=_held_by(assignee, codename)).values_list("pk", "reference_id")
        rows = list(rows if limit is None else rows[:limit])
        if not rows:
            raise AssignmentError("nothing to revoke: the assignee holds none of these cables")
        ids = [pk for pk, _ in rows]
        _take_back(actor=actor, assignee=assignee, permission=permission, cable_ids=ids)
        audit_record(
            actor=actor,
            action="assignment.revoked",
            after={
                "permission": codename,
                "from": assignee_name(assignee),
                "query": None if query is None else query.as_json(),
                "selection": query is None,
                "count": len(ids),
                "cables": [ref for _, ref in rows],
                "cable_ids": ids,
            },
        )
    return Revocation(count=len(ids), references=[ref for _, ref in rows])


# -- batches, progress and workload ----------------------------------------------------------


def batches_for(user: object) -> QuerySet[AssignmentBatch]:
    """The batches a user may see: every batch for supervisors and admins; otherwise
    those given to them or to a group of theirs, and those they assigned."""
    batches = AssignmentBatch.objects.select_related(
        "assignee_user", "assignee_group", "assigned_by"
    )
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return batches.none()
    if may_see_all_batches(user):
        return batches
    return batches.filter(
        Q(assignee_user=user)
        | Q(assignee_group__in=user.groups.all())  # type: ignore[attr-defined]
        | Q(assigned_by=user)
    )


def batches_assigned_to(user: object) -> QuerySet[AssignmentBatch]:
    """The batches given to the user or to one of their groups (their own work)."""
    return batches_for(user).filter(
        Q(assignee_user=user) | Q(assignee_group__in=user.groups.all())  # type: ignore[attr-defined]
    )


@dataclass(frozen=True)
class BatchProgress:
    """A batch's progress as one viewer may see it: every figure but ``hidden`` and
    ``outside`` is over the cables they may view and the paragraphs they may read."""

    cables: int  # cables in the batch (not revoked; all of them once the batch is)
    reviewed: int  # of those, reviewed, approved or released
    paragraphs: int
    decided: int  # paragraphs with a decision
    hidden: int = 0  # cables in the batch (as ``cables``) the viewer may not view
    outside: int = 0  # rows of the batch, revoked ones too, on cables they may not view
    tags_hidden: int = 0  # rows, revoked ones too, on cables whose TAGS they do not read

    @property
    def percent(self) -> int:
        return round(100 * self.decided / self.paragraphs) if self.paragraphs else 0

    @property
    def query_shown(self) -> bool:
        """Whether the viewer may read the batch's query: it describes every cable the
        batch was given (post, TAGS, state, dates), so only when they may view them all and
        read all their TAGS (which go with the subject: a query by a codename beside a
        cable whose subject is above them would tell them its tags)."""
        return self.outside == 0 and self.tags_hidden == 0


def _tags_read(viewer: object | None) -> Q:
    """Batch rows whose cable's TAGS the viewer reads (``access.tags_readable``); every row
    for ``None``."""
    return Q(Value(True)) if viewer is None else access.tags_readable(viewer, "cable__")


def _viewable(viewer: object | None) -> Q:
    """Batch rows whose cable the viewer may view (``access.readable_cables``); every
    row for ``None`` (the batch as recorded, for the command line)."""
    if viewer is None:
        return Q(Value(True))
    readable = access.readable_cables(viewer)
    if readable.query.is_empty():  # anonymous or inactive: nothing
        return Q(Value(False))
    return Q(cable_id__in=readable.values("pk"))


def _paragraph_counts(viewer: object | None) -> tuple[Coalesce, Coalesce]:
    """The paragraphs of the outer row's cable and, of those, the decided ones, counted
    from the paragraph and decision indexes (no text read), within the viewer's
    clearance (``access.cleared``: the caller counts only rows whose cable the viewer
    may view)."""
    paragraphs = Paragraph.objects.filter(cable=OuterRef("cable_id"))
    decisions = Decision.objects.filter(cable=OuterRef("cable_id"))
    if viewer is not None:
        paragraphs = paragraphs.filter(access.cleared(viewer))
        decisions = decisions.filter(access.cleared(viewer, "paragraph__"))
    paragraphs = paragraphs.order_by().values("cable").annotate(n=Count("pk")).values("n")
    decisions = (
        decisions.order_by()
        .values("cable")
        .annotate(n=Count("paragraph_id", distinct=True))
        .values("n")
    )
    return (
        Coalesce(Subquery(paragraphs, output_field=IntegerField()), 0),
        Coalesce(Subquery(decisions, output_field=IntegerField()), 0),
    )


# The rows a batch shows: its active cables, or all of them once the batch is revoked.
_SHOWN = Q(revoked_at__isnull=True) | Q(batch__revoked_at__isnull=False)


def batch_progress(
    batch_ids: Sequence[int], viewer: object | None = None
) -> dict[int, BatchProgress]:
    """Progress of each batch as ``viewer`` may see it, in one query: cables reviewed and
    paragraphs decided among the cables they may view and the paragraphs they may read,
    and how many of the batch's cables they may not view (counted, never named).

    Pages and the API always pass the viewer; ``None`` counts the whole batch."""
    if not batch_ids:
        return {}
    # Each row once, with whether the viewer may view its cable (one probe of their
    # grants for the whole query) and its paragraphs within their clearance; the sums
    # over them are plain SQL, which need not repeat the grant check per figure.
    paragraphs, decided = _paragraph_counts(viewer)
    rows = (
        AssignmentBatchCable.objects.filter(batch_id__in=list(batch_ids))
        .order_by()
        .annotate(
            viewable=ExpressionWrapper(_viewable(viewer), output_field=BooleanField()),
            tags_read=ExpressionWrapper(_tags_read(viewer), output_field=BooleanField()),
            shown=ExpressionWrapper(_SHOWN, output_field=BooleanField()),
            state=F("cable__status__review_state"),
            paragraphs=paragraphs,
            decided=decided,
        )
        .values("batch_id", "viewable", "tags_read", "shown", "state", "paragraphs", "decided")
    )
    inner, inner_params = rows.query.sql_with_params()
    # The rows compiled by Django (their values bound), MATERIALIZED so that the planner
    # does not copy the grant check into each figure; the rest constant.
    sql = f"""
        WITH r AS MATERIALIZED ({inner})
        SELECT batch_id,
               COUNT(*) FILTER (WHERE shown AND viewable),
               COUNT(*) FILTER (WHERE shown AND viewable AND state = ANY(%s)),
               COALESCE(SUM(paragraphs) FILTER (WHERE shown AND viewable), 0),
               COALESCE(SUM(decided) FILTER (WHERE shown AND viewable), 0),
               COUNT(*) FILTER (WHERE shown AND NOT viewable),
               COUNT(*) FILTER (WHERE NOT viewable),
               COUNT(*) FILTER (WHERE NOT tags_read)
        FROM r
        GROUP BY batch_id
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*inner_params, list(DONE_STATES)])
        progress = {
            batch_id: BatchProgress(*(int(n) for n in counts))
            for batch_id, *counts in cursor.fetchall()
        }
    return {i: progress.get(i, BatchProgress(0, 0, 0, 0)) for i in batch_ids}


def batch_cables(batch: AssignmentBatch, viewer: object) -> QuerySet[AssignmentBatchCable]:
    """A batch's cables that ``viewer`` may view, with what its page shows of each
    (reference, state, date, level, paragraphs decided of those they may read), due
    soonest first; never text or subject.  The others are counted by
    ``batch_progress`` (``hidden``), never listed."""
    paragraphs, decided = _paragraph_counts(viewer)
    rows = AssignmentBatchCable.objects.filter(batch=batch).filter(_viewable(viewer))
    if batch.revoked_at is None:
        rows = rows.filter(revoked_at__isnull=True)
    return rows.annotate(
        reference_id=F("cable__reference_id"),
        origin=F("cable__origin"),
        level=F("cable__level"),
        review_state=F("cable__status__review_state"),
        declass_date=F("cable__status__declass_date"),
        paragraphs=paragraphs,
        decided=decided,
    ).order_by(F("declass_date").asc(nulls_last=True), "cable_id")


@dataclass(frozen=True)
class Workload:
    user_id: int
    username: str
    assigned: int  # cables the user may review (directly or through a group)
    waiting: int  # not started: ingested, due or returned
    in_review: int
    reviewed: int  # reviewed, approved or released
    overdue: int  # declassification date passed and not yet reviewed


def workload(*, today: date | None = None, permission: str = "review") -> list[Workload]:
    """Each reviewer's workload (every member of the role, and everyone else holding
    the permission on a cable), in two queries."""
    today = today or timezone.localdate()
    perm_id = _permission_id(_codename(permission))
    user_table = CableUserObjectPermission._meta.db_table
    group_table = CableGroupObjectPermission._meta.db_table
    membership = get_user_model().groups.through._meta.db_table
    users = get_user_model()._meta.db_table
    status_table = CableStatus._meta.db_table
    sql = f"""
        WITH held AS (
            SELECT p.user_id, p.content_object_id AS cable_id FROM {user_table} p
            WHERE p.permission_id = %s
            UNION
            SELECT m.user_id, g.content_object_id FROM {group_table} g
            JOIN {membership} m ON m.group_id = g.group_id
            WHERE g.permission_id = %s
        )
        SELECT u.id, u.username, COUNT(*),
               COUNT(*) FILTER (WHERE s.review_state IN ('ingested', 'due', 'returned')),
               COUNT(*) FILTER (WHERE s.review_state = 'in_review'),
               COUNT(*) FILTER (WHERE s.review_state = ANY(%s)),
               COUNT(*) FILTER (WHERE s.declass_date < %s AND NOT s.review_state = ANY(%s))
        FROM held h JOIN {users} u ON u.id = h.user_id AND u.is_active
        JOIN {status_table} s ON s.cable_id = h.cable_id
        GROUP BY u.id, u.username
    """  # nosec B608: table names from the models, values bound
    done = list(DONE_STATES)
    with connection.cursor() as cursor:
        cursor.execute(sql, [perm_id, perm_id, done, today, done])
        rows = {r[0]: Workload(*r) for r in cursor.fetchall()}
    role = ASSIGNEE_ROLES.get(permission)
    if role:
        members = get_user_model().objects.filter(groups__name=role, is_active=True)
        for pk, username in members.values_list("pk", "username"):
            rows.setdefault(pk, Workload(pk, username, 0, 0, 0, 0, 0))
    return sorted(rows.values(), key=lambda w: w.username.lower())


def assignable_people(prefix: str = "", *, limit: int = 20) -> list[tuple[str, str]]:
    """Names an assigner may pick (value, label): active users who hold a role, and the
    groups, those starting with ``prefix`` first (for the autocomplete)."""
    prefix = prefix.strip()
    users = get_user_model().objects.filter(is_active=True, groups__isnull=False).distinct()
    groups = Group.objects.all()
    if prefix:
        users = users.filter(
            Q(username__istartswith=prefix)
            | Q(first_name__istartswith=prefix)
            | Q(last_name__istartswith=prefix)
        )
        bare = prefix[6:] if prefix.lower().startswith("group:") else prefix
        groups = groups.filter(name__istartswith=bare)
    out = []
    for user in users.order_by("username").prefetch_related("groups")[:limit]:
        roles = ", ".join(sorted(g.name for g in user.groups.all()))
        full = user.get_full_name()
        out.append((user.get_username(), f"{full} ({roles})" if full else f"({roles})"))
    for group in groups.order_by("name")[:limit]:
        out.append((f"group:{group.name}", "group"))
    return out[:limit]
