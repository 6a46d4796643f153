"""Every django-guardian call lives here: granting, revoking and querying cable permissions."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import BooleanField, Expression, F, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.http import Http404
from guardian.shortcuts import assign_perm

from audit.trail import audit_record
from cables.models import Cable, ClassificationLevel
from workflow import rows
from workflow.models import (
    CableGroupObjectPermission,
    CableStatus,
    CableUserObjectPermission,
    Clearance,
)
from workflow.security_audit import through_service

REVIEW = "review_cable"
RELEASE = "release_cable"
VIEW = "view_cable"
IMPLIES_VIEW = (VIEW, REVIEW, RELEASE)


def _permission(codename: str) -> Permission:
    return Permission.objects.get(content_type__app_label="cables", codename=codename)


def grant(
    codename: str,
    who: object,
    cables: Cable | QuerySet[Cable] | Iterable[Cable],
    *,
    actor: object = None,
) -> None:
    """Grant one permission on one cable or many (many: one bulk insert), and audit it.

    Nobody grants to themselves, nor to a group they belong to (``SelfChangeRefused``).
    """
    refuse_self_change(actor, who, "grants")
    with transaction.atomic():
        assign_perm(f"cables.{codename}", who, cables)
        ids = [cables.pk] if isinstance(cables, Cable) else [c.pk for c in cables]
        audit_record(
            actor=actor,
            action="permission.granted",
            cable=cables if isinstance(cables, Cable) else None,
            after={"permission": codename, "to": _grantee(who), "cables": ids},
        )


class SelfChangeRefused(PermissionDenied):
    """Separation of duties: nobody changes their own clearance, groups or grants."""


def refuse_self_change(actor: object, who: object, what: str) -> None:
    """Raise ``SelfChangeRefused`` when ``actor`` would change their own ``what``: ``who``
    is the actor, or a group the actor belongs to."""
    actor_pk = getattr(actor, "pk", None)
    if actor_pk is None or who is None:
        return
    user_model = get_user_model()
    if isinstance(who, user_model):
        own = who.pk == actor_pk
    else:
        own = bool(getattr(who, "pk", None)) and (
            user_model.groups.through.objects.filter(user_id=actor_pk, group_id=who.pk).exists()
        )
    if own:
        raise SelfChangeRefused(
            f"Separation of duties: nobody changes their own {what}; ask a security officer."
        )


def clearance_set(*, actor: object, user: object, level: int | None) -> Clearance | None:
    """Set (``None``: remove) a user's clearance, audited with before and after.

    Refused when the actor is the user.
    """
    refuse_self_change(actor, user, "clearance")
    # through_service: audited here, so the receivers of workflow.security_audit
    # (changes made behind this function) do not record it a second time.
    with transaction.atomic(), through_service():
        current = Clearance.objects.select_for_update().filter(user=user).first()
        before = None if current is None else int(current.level)
        after = None if level is None else int(level)
        if level is None:
            if current is not None:
                current.delete()
            clearance = None
        else:
            clearance, _ = Clearance.objects.update_or_create(user=user, defaults={"level": level})
        if before != after:
            audit_record(
                actor=actor,
                action="clearance.changed",
                obj=user,
                before={"user": _username(user), "level": _level_name(before)},
                after={"user": _username(user), "level": _level_name(after)},
            )
        return clearance


def groups_set(*, actor: object, user: object, groups: Iterable[object]) -> None:
    """Set a user's groups (their roles), audited with before and after.

    Refused when the actor is the user.
    """
    refuse_self_change(actor, user, "groups")
    wanted = list(groups)
    with transaction.atomic(), through_service():
        before = sorted(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        user.groups.set(wanted)  # type: ignore[attr-defined]
        after = sorted(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
        if before != after:
            audit_record(
                actor=actor,
                action="groups.changed",
                obj=user,
                before={"user": _username(user), "groups": before},
                after={"user": _username(user), "groups": after},
            )


def _username(user: object) -> str:
    name = getattr(user, "get_username", None)
    return name() if name else str(user)


def _level_name(level: int | None) -> str | None:
    return None if level is None else ClassificationLevel(level).label


def _grantee(who: object) -> str:
    name = getattr(who, "get_username", None)
    return f"user:{name()}" if name else f"group:{getattr(who, 'name', who)}"


def reviewer_counts_sql(flagged: str, codename: str = REVIEW) -> tuple[str, list[object]]:
    """SQL giving (user_id, number of cables) for every user who may review (or holds
    ``codename`` on) any cable listed in the CTE or table named ``flagged`` (column
    ``cable_id``).

    Both permission tables are joined in the database; a user who holds the
    permission directly and through a group counts each cable once.
    """
    perm = _permission(codename)
    user_table = CableUserObjectPermission._meta.db_table
    group_table = CableGroupObjectPermission._meta.db_table
    membership = get_user_model().groups.through._meta.db_table
    users = get_user_model()._meta.db_table
    # Table names from the models; every value is a bound parameter.  Deactivated
    # users (people who left) are not counted, so not notified.
    sql = f"""
        SELECT pairs.user_id, COUNT(DISTINCT pairs.cable_id) FROM (
            SELECT p.user_id AS user_id, p.content_object_id AS cable_id
            FROM {user_table} p JOIN {flagged} f ON f.cable_id = p.content_object_id
            WHERE p.permission_id = %s
            UNION ALL
            SELECT m.user_id, g.content_object_id
            FROM {group_table} g JOIN {flagged} f ON f.cable_id = g.content_object_id
            JOIN {membership} m ON m.group_id = g.group_id
            WHERE g.permission_id = %s
        ) pairs JOIN {users} u ON u.id = pairs.user_id AND u.is_active
        GROUP BY pairs.user_id
    """  # nosec B608
    return sql, [perm.pk, perm.pk]


def reviewer_counts(cable_ids: QuerySet, codename: str = REVIEW) -> dict[int, int]:  # type: ignore[type-arg]
    """For each user who may review (or holds ``codename`` on) any of these cables: how
    many (one query).

    ``cable_ids`` is a queryset of values("cable_id"), used as a subquery.
    """
    ids_sql, ids_params = cable_ids.query.sql_with_params()
    counts_sql, counts_params = reviewer_counts_sql("flagged", codename)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH flagged AS ({ids_sql}) {counts_sql}", [*ids_params, *counts_params])
        return dict(cursor.fetchall())


_PERMISSION_IDS: dict[tuple[str, ...], tuple[int, ...]] = {}


def forget_permission_ids(**_: object) -> None:
    """Drop the cached permission ids (connected to post_migrate: a new database)."""
    _PERMISSION_IDS.clear()


def _permission_ids(codenames: tuple[str, ...]) -> tuple[int, ...]:
    # Literal ids, looked up once per process: the planner then estimates the
    # permission rows it joins correctly, where a subquery left it guessing.
    if codenames not in _PERMISSION_IDS:
        _PERMISSION_IDS[codenames] = tuple(
            Permission.objects.filter(
                content_type__app_label="cables", codename__in=codenames
            ).values_list("pk", flat=True)
        )
    return _PERMISSION_IDS[codenames]


def _active(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def _wanted_ids(codenames: tuple[str, ...]) -> tuple[int, ...]:
    """The permission ids that grant any of ``codenames`` (default: may view).
    Whoever may review or release a cable may also see it."""
    wanted = sorted(
        {c for name in (codenames or (VIEW,)) for c in (IMPLIES_VIEW if name == VIEW else (name,))}
    )
    return _permission_ids(tuple(wanted))


def permitted_cable_ids(user: object, *codenames: str) -> QuerySet | None:
    """The ids of the cables the user holds any of ``codenames`` on (default: may
    view), directly or through a group, as one ``UNION`` subquery to filter by.

    ``None`` means every cable (superusers): callers then add no filter at all.
    Anonymous and inactive users get an empty subquery.  Filtering a narrow table
    by this (``cable_id__in=...``) keeps a list's cost to the user's own cables,
    however many cables there are in all.
    """
    if not _active(user):
        return CableUserObjectPermission.objects.none().values("content_object_id")
    if getattr(user, "is_superuser", False):
        return None
    ids = _wanted_ids(codenames)
    direct = CableUserObjectPermission.objects.filter(user=user, permission_id__in=ids).values(
        "content_object_id"
    )
    by_group = CableGroupObjectPermission.objects.filter(
        group__user=user, permission_id__in=ids
    ).values("content_object_id")
    return direct.union(by_group)


@functools.cache
def _grant_tables() -> tuple[str, str, str]:
    """The two grant tables and the group membership table (names from the models)."""
    membership = get_user_model().groups.through._meta.db_table
    return (
        CableUserObjectPermission._meta.db_table,
        CableGroupObjectPermission._meta.db_table,
        membership,
    )


class _Holds(Expression):
    """The user holds one of the permissions on the cable ``target`` (a column, or one
    cable id as a value), directly or through a group: two ``EXISTS`` probes of the
    permission tables' (holder, permission, cable) indexes.

    For rows of known cables (one cable's paragraphs, a page of fifty cables) this
    reads the user's grants on those cables only; ``permitted_cable_ids`` gathers
    all of them (5,300 for a busy reviewer) to answer for a list whose cables are not
    known in advance.  It also compiles in a few microseconds, where the ORM took
    about a millisecond to build the ``UNION`` subquery.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(
        self,
        target: Expression,
        user_id: int,
        permission_ids: tuple[int, ...],
        among: list[int] | None = None,
    ):
        super().__init__()
        self.target = target
        self.user_id = user_id
        self.permission_ids = list(permission_ids)
        self.among = among

    def get_source_expressions(self) -> list:
        return [self.target]

    def set_source_expressions(self, exprs: list) -> None:
        (self.target,) = exprs

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        target, target_params = compiler.compile(self.target)
        sql, params = _holds_sql(
            target, list(target_params), self.user_id, self.permission_ids, self.among
        )
        return sql, tuple(params)


def _holds_sql(
    target: str,
    target_params: list[object],
    user_id: int,
    permission_ids: list[int],
    among: list[int] | None = None,
) -> tuple[str, list[object]]:
    """``_Holds``'s two probes for a cable id ``target`` (SQL of the caller's own).

    ``among``: the cables the rows can belong to (a page's fifty), bounding each probe
    to the grants on them.  PostgreSQL may answer an ``EXISTS`` over many rows by
    hashing every row its subquery yields: unbounded, that was all of a reviewer's
    grants (5,000 read and hashed, 1.7 ms, to check the 50 cables of a queue page);
    bounded, the grants on those 50 (index probes, about 0.2 ms)."""
    user_table, group_table, membership = _grant_tables()
    bound_u = bound_g = ""
    bound: list[object] = []
    if among is not None:
        bound_u, bound_g, bound = (
            " AND hu.content_object_id = ANY(%s)",
            " AND hg.content_object_id = ANY(%s)",
            [among],
        )
    # Table names from the models, the target the caller's SQL; values bound.
    sql = (
        f"(EXISTS (SELECT 1 FROM {user_table} hu WHERE hu.user_id = %s"  # nosec B608
        f" AND hu.permission_id = ANY(%s) AND hu.content_object_id = {target}{bound_u})"
        f" OR EXISTS (SELECT 1 FROM {group_table} hg"
        f" JOIN {membership} hm ON hm.group_id = hg.group_id WHERE hm.user_id = %s"
        f" AND hg.permission_id = ANY(%s) AND hg.content_object_id = {target}{bound_g}))"
    )
    ids = permission_ids
    return sql, [user_id, ids, *target_params, *bound, user_id, ids, *target_params, *bound]


def holds_sql(
    user: object, column: str, *codenames: str, among: Iterable[int] | None = None
) -> tuple[str, list[object]]:
    """Whether the user holds any of ``codenames`` (default: may view) on the cable whose
    id is ``column`` (a constant of the caller's hand-written SQL), directly or through a
    group, as SQL and its parameters: ``TRUE`` for superusers, ``FALSE`` for anonymous
    and inactive users.  ``among``: the cables the caller's rows are limited to, if it
    knows them (``_holds_sql``)."""
    if not _active(user):
        return "FALSE", []
    if getattr(user, "is_superuser", False):
        return "TRUE", []
    bound = None if among is None else list(among)
    return _holds_sql(column, [], user.pk, list(_wanted_ids(codenames)), bound)  # type: ignore[attr-defined]


class _EqualsAny(Expression):
    """``column = ANY(ARRAY(subquery))``, a condition usable in ``filter()``."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, ids: QuerySet) -> None:
        super().__init__()
        self.lhs, self.rhs = F(column), ArraySubquery(ids)

    def get_source_expressions(self) -> list:
        return [self.lhs, self.rhs]

    def set_source_expressions(self, exprs: list) -> None:
        self.lhs, self.rhs = exprs

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = compiler.compile(self.lhs)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


def only_permitted(
    rows: QuerySet,
    column: str,
    user: object,
    *codenames: str,
    among: Iterable[int] | None = None,
) -> QuerySet:
    """Keep the rows whose ``column`` holds a cable the user has any of ``codenames`` on.

    The permitted ids go in as ``column = ANY(ARRAY(...))``, which the
    planner cannot turn into a join: it probes the rows' primary key once per
    permitted cable, so the cost follows the user's own cables.  With the
    ``IN (subquery)`` form it switched to reading the whole table once the
    archive grew (a reviewer of 5,300 cables among 250,000: a 42 ms scan of
    every status row, against 8 ms of probes).

    A caller whose rows belong to known cables (one cable's paragraphs) names them
    in ``among``: rows of other cables are left out, and the grant is checked by
    probing the user's grants on those cables (``_Holds``), once for one cable.
    """
    if among is None:
        ids = permitted_cable_ids(user, *codenames)
        return rows if ids is None else rows.filter(_EqualsAny(column, ids))
    cables = list(among)
    if not _active(user):
        return rows.none()
    if len(cables) == 1:
        rows = rows.filter(**{column: cables[0]})
        target: Expression = Value(cables[0])
    else:
        rows = rows.filter(**{f"{column}__in": cables})
        target = F(column)
    if getattr(user, "is_superuser", False):
        return rows
    bound = None if len(cables) == 1 else cables
    return rows.filter(_Holds(target, user.pk, _wanted_ids(codenames), bound))  # type: ignore[attr-defined]


def cables_for_user(
    user: object, *codenames: str, among: Iterable[int] | None = None
) -> QuerySet[Cable]:
    """Cables the user holds any of ``codenames`` on (default: may view), directly or
    through a group, in one query.

    Superusers see everything; anonymous users nothing.  The filter is one
    ``IN (... UNION ...)`` over guardian's direct-FK tables, never a per-row check;
    with ``among`` (the cables asked about: one, or a page), two index probes a cable
    (``only_permitted``).
    """
    if not _active(user):
        return Cable.objects.none()
    if among is not None:
        return only_permitted(Cable.objects.all(), "pk", user, *codenames, among=among)
    ids = permitted_cable_ids(user, *codenames)
    if ids is None:
        return Cable.objects.all()
    return Cable.objects.filter(pk__in=ids)


def permitted_among(user: object, ids: Iterable[int], *codenames: str) -> set[int]:
    """Which of the cables ``ids`` the user holds any of ``codenames`` on (default: may
    view): one statement reading the user's grants on those cables only (a page's
    fifty), not all of them.  Superusers: those of the ids that exist."""
    wanted = list(ids)
    if not wanted or not _active(user):
        return set()
    if getattr(user, "is_superuser", False):
        return set(Cable.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    user_table, group_table, membership = _grant_tables()
    permission_ids = list(_wanted_ids(codenames))
    # Table names from the models; every value is a bound parameter.
    sql = f"""
        SELECT content_object_id FROM {user_table}
        WHERE user_id = %s AND permission_id = ANY(%s) AND content_object_id = ANY(%s)
        UNION
        SELECT g.content_object_id FROM {group_table} g
        JOIN {membership} m ON m.group_id = g.group_id
        WHERE m.user_id = %s AND g.permission_id = ANY(%s) AND g.content_object_id = ANY(%s)
    """  # nosec B608
    user_id = user.pk  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id, permission_ids, wanted, user_id, permission_ids, wanted])
        return {row[0] for row in cursor.fetchall()}


def held_anywhere(user: object, *codenames: str) -> set[str]:
    """Which of ``codenames`` the user holds on at least one cable, directly or through
    a group, in one query (the queue's bulk moves ask this on every page view).

    Each permission is asked as the smallest cable id the user (or each of their groups)
    holds it on: ``min()`` over the grant table's (holder, permission, cable) index is one
    step down the index, held or not.  Written as ``EXISTS``, a prepared statement's
    generic plan read the whole grant table for a permission the user did not hold
    (10,000 rows, 0.8 ms of the queue page; a table of every reviewer's grants at the
    archive's size), expecting a row early in it.

    Superusers hold everything; anonymous and inactive users nothing.
    """
    if not _active(user):
        return set()
    if getattr(user, "is_superuser", False):
        return set(codenames)
    user_table, group_table, membership = _grant_tables()
    branches, params = [], []
    for codename in codenames:
        for permission_id in _wanted_ids((codename,)):
            # Table names from the models; the codename and ids are bound parameters.
            branches.append(
                f"""SELECT %s WHERE (
                        SELECT min(content_object_id) FROM {user_table}
                        WHERE user_id = %s AND permission_id = %s) IS NOT NULL
                    OR EXISTS (
                        SELECT 1 FROM {membership} m WHERE m.user_id = %s AND (
                            SELECT min(g.content_object_id) FROM {group_table} g
                            WHERE g.group_id = m.group_id AND g.permission_id = %s
                        ) IS NOT NULL)"""  # nosec B608
            )
            params += [codename, user.pk, permission_id, user.pk, permission_id]  # type: ignore[attr-defined]
    if not branches:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        return {row[0] for row in cursor.fetchall()}


def get_cable_for_user(
    user: object,
    pk: int,
    codename: str = VIEW,
    *,
    only: Iterable[str] = (),
    annotate: dict[str, RawSQL] | None = None,
) -> Cable:
    """Fetch and authorise in one call: a missing cable and a forbidden one give the same 404.

    ``only`` names the fields a busy page reads, so that the wide row (raw text,
    JSON columns) is neither sent nor decoded; ``annotate`` adds what the page needs
    beside the row (a written-out subquery) to the same query.  The cable comes with
    its status, as ``select_related("status")`` gives it (only its state and date
    with ``only``).

    One statement of fixed shape (``workflow.rows``), the grant checked by
    ``holds_sql`` on this cable alone: every page about one cable opens with it, and
    building it through the ORM cost 0.7 ms of Python against 0.1 ms of PostgreSQL.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404("No Cable matches the given query.") from None
    fields = tuple(only)
    cables = rows.reader(Cable, fields)
    statuses = rows.reader(CableStatus, ("review_state", "declass_date") if fields else ())
    extra = annotate or {}
    _check_annotations(extra)
    # The statement names its one cable, so the grant probes need no bound (``among``).
    held, held_params = holds_sql(user, "c.id", codename)
    # Each annotation under an alias of its own position: its name only names the attribute.
    annotations = "".join(f", ({e.sql}) AS a{at}" for at, e in enumerate(extra.values()))
    # Table and column names from the models, the subqueries the callers' own constant
    # statements, the grant condition from holds_sql; every value is bound.
    sql = (
        f"SELECT {cables.select_list('c')}{annotations}, {statuses.select_list('s')}"  # nosec B608
        f" FROM {rows.table(Cable)} c LEFT JOIN {rows.table(CableStatus)} s"
        f" ON s.cable_id = c.id WHERE c.id = %s AND {held}"
    )
    params = [p for e in extra.values() for p in e.params]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pk, *held_params])
        row = cursor.fetchone()
    if row is None:
        raise Http404("No Cable matches the given query.")
    cable = cables.instance(row)
    for at, (name, expression) in enumerate(extra.items(), start=cables.width):
        value = row[at]
        for convert in expression.output_field.get_db_converters(connection):
            value = convert(value, expression, connection)
        setattr(cable, name, value)
    after = cables.width + len(extra)
    status = statuses.instance(row, after) if row[after] is not None else None
    link = CableStatus._meta.get_field("cable")
    link.remote_field.set_cached_value(cable, status)  # cable.status
    if status is not None:
        link.set_cached_value(status, cable)  # status.cable
    return cable


def _check_annotations(extra: dict[str, RawSQL]) -> None:
    """An annotation is a written-out subquery under a name of its own: one that named a
    field of the cable (its level, say, which the clearance checks read) would replace
    the stored value, which the ORM refuses too."""
    taken = _cable_names()
    for name, expression in extra.items():
        if not isinstance(expression, RawSQL):
            raise TypeError(f"annotation {name!r}: a RawSQL subquery, not {expression!r}")
        if not name.isidentifier() or name in taken:
            raise ValueError(f"annotation {name!r}: not a name of its own on a cable")


@functools.cache
def _cable_names() -> frozenset[str]:
    """What an annotation on a cable may not be named: its fields, their columns, ``pk``
    and ``status``."""
    names = {"pk", "status"}
    for field in Cable._meta.concrete_fields:
        names |= {field.name, field.attname, field.column}
    return frozenset(names)


def has_cable_perm(user: object, codename: str, cable: Cable) -> bool:
    """One indexed query: does the user hold ``codename`` on this cable?"""
    return cables_for_user(user, codename, among=[cable.pk]).filter(pk=cable.pk).exists()


def require_cable_perm(user: object, codename: str, cable: Cable) -> None:
    """Services check again what views checked, so commands and tasks cannot bypass it.

    Raises Http404 (not 403): a cable the user may not act on looks like none.
    """
    if not has_cable_perm(user, codename, cable):
        raise Http404("No cable matches the given query.")


def paragraphs_above_clearance(user: object, cable: Cable) -> int:
    """How many of the cable's paragraphs the user is not cleared to read (one query).

    Whoever finishes, approves or releases a cable vouches for every paragraph of it,
    so each of those moves needs this to be 0.
    """
    return cable.paragraphs.filter(level__gt=clearance_level(user)).count()


def clearance_level(user: object) -> int:
    """The highest paragraph level the user may see (superusers: all; no clearance: U)."""

    if getattr(user, "is_superuser", False):
        return int(ClassificationLevel.TOP_SECRET)
    if not getattr(user, "is_authenticated", False):
        return int(ClassificationLevel.UNCLASSIFIED)
    try:
        # Loaded with the user by the login backend; one query otherwise.
        return int(user.clearance.level)  # type: ignore[attr-defined]
    except Clearance.DoesNotExist:
        return int(ClassificationLevel.UNCLASSIFIED)
