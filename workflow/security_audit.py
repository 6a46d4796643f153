"""Clearance and group changes made outside ``workflow.permissions`` are audited too.

The security officer's forms change clearances and roles through
``permissions.clearance_set`` and ``permissions.groups_set``, which refuse
self-changes and write ``clearance.changed`` / ``groups.changed``.  A change made
any other way (``user.groups.add(...)`` in a shell, ``Clearance.objects.
update_or_create`` in a script, a data migration) would otherwise leave no trace,
and a role or clearance that appears from nowhere is exactly what an auditor needs
to see.  The receivers here record it as ``clearance.changed_directly`` /
``groups.changed_directly``, with before and after, actor ``system``: a distinct
action, so the audit page tells changes made through the product from changes made
behind it.

Changes that come through ``permissions`` run inside ``through_service()``, a
context flag the receivers read, so they are recorded once, not twice.

What signals cannot see: ``QuerySet.update()``, bulk deletes and raw SQL (no
signal is sent).  The database records those itself: triggers on the clearance,
role membership, permission and user tables (audit migration 0006) write every
changed row, before and after, with the database role and the transaction, to
``audit.models.AccessChange``, which the application role may not alter, and
TRUNCATE of those tables is refused.  The audit page shows it as "Changes the
database recorded" (``workflow/access_trail_views.py``).  The receivers stay: they
give the product's own chained events, with who and what in the product's words, at
once.

Receivers are connected in ``WorkflowConfig.ready``.  Outside migrations they
listen to the real models only (a catch-all ``post_delete`` or ``m2m_changed``
receiver would cost every other model its fast deletes and adds); while
``migrate`` runs, catch-all receivers also catch the historical models a data
migration uses, and are disconnected when it ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from audit.trail import audit_record
from cables.models import ClassificationLevel
from workflow.models import Clearance

CLEARANCE_ACTION = "clearance.changed_directly"
GROUPS_ACTION = "groups.changed_directly"

_through_service: ContextVar[bool] = ContextVar("security_audit_through_service", default=False)


@contextmanager
def through_service() -> Iterator[None]:
    """Mark the changes made inside as made by ``workflow.permissions`` (audited there)."""
    token = _through_service.set(True)
    try:
        yield
    finally:
        _through_service.reset(token)


def _label(sender: Any) -> str:
    meta = getattr(sender, "_meta", None)
    return meta.label_lower if meta is not None else ""


def _is_clearance(sender: Any) -> bool:
    return _label(sender) == Clearance._meta.label_lower


def _is_user_groups(sender: Any) -> bool:
    return _label(sender) == get_user_model().groups.through._meta.label_lower


def _level_name(level: int | None) -> str | None:
    return None if level is None else ClassificationLevel(int(level)).label


def _usernames(user_ids: Iterable[int]) -> dict[int, str]:
    user_model = get_user_model()
    rows = user_model._default_manager.filter(pk__in=list(user_ids)).values_list(
        "pk", user_model.USERNAME_FIELD
    )
    return dict(rows)


def _record(action: str, user_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
    """One audit entry about the user (in the change's transaction when there is one)."""
    user = get_user_model()(pk=user_id)  # names the object; no query
    name = _usernames([user_id]).get(user_id, f"#{user_id}")
    with transaction.atomic():
        audit_record(
            actor=None,
            action=action,
            obj=user,
            before={"user": name, **before},
            after={"user": name, **after, "via": "outside the admin"},
        )


# Clearances ---------------------------------------------------------------------------


def clearance_pre_save(sender: Any, instance: Model, raw: bool = False, **_: Any) -> None:
    """Remember the stored level, for the entry written after the save."""
    if raw or _through_service.get() or not _is_clearance(sender):
        return
    stored = (
        sender._default_manager.filter(pk=instance.pk).values_list("level", flat=True).first()
        if instance.pk is not None
        else None
    )
    instance._security_audit_before = stored  # type: ignore[attr-defined]


def clearance_post_save(sender: Any, instance: Model, raw: bool = False, **_: Any) -> None:
    if raw or _through_service.get() or not _is_clearance(sender):
        return
    before = getattr(instance, "_security_audit_before", None)
    after = int(instance.level)  # type: ignore[attr-defined]
    instance._security_audit_before = after  # type: ignore[attr-defined]
    if before is not None and int(before) == after:
        return
    _record(
        CLEARANCE_ACTION,
        instance.user_id,  # type: ignore[attr-defined]
        {"level": _level_name(before)},
        {"level": _level_name(after)},
    )


def clearance_post_delete(sender: Any, instance: Model, **_: Any) -> None:
    if _through_service.get() or not _is_clearance(sender):
        return
    _record(
        CLEARANCE_ACTION,
        instance.user_id,  # type: ignore[attr-defined]
        {"level": _level_name(instance.level)},  # type: ignore[attr-defined]
        {"level": None},
    )


# Group membership ---------------------------------------------------------------------


def _memberships(through: Any, user_ids: Iterable[int]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {pk: [] for pk in user_ids}
    rows = through._default_manager.filter(user_id__in=list(groups)).values_list(
        "user_id", "group__name"
    )
    for user_id, name in rows:
        groups[user_id].append(name)
    return {pk: sorted(names) for pk, names in groups.items()}


def _affected_users(through: Any, instance: Model, reverse: bool, pk_set: Any) -> list[int]:
    """The users whose groups change: the instance (a user), or, from the group's side,
    the users named (all of the group's members for a clear)."""
    if not reverse:
        return [instance.pk]
    if pk_set is not None:
        return sorted(pk_set)
    members = through._default_manager.filter(group_id=instance.pk)
    return list(members.values_list("user_id", flat=True))


def groups_m2m_changed(
    sender: Any, instance: Model, action: str, reverse: bool, pk_set: Any, **_: Any
) -> None:
    """Before a membership change: note each affected user's groups; after: record
    those whose groups differ."""
    if _through_service.get() or not _is_user_groups(sender):
        return
    if action.startswith("pre_"):
        users = _affected_users(sender, instance, reverse, pk_set)
        instance._security_audit_groups = _memberships(sender, users)  # type: ignore[attr-defined]
        return
    before_all = getattr(instance, "_security_audit_groups", None)
    if before_all is None:
        return
    instance._security_audit_groups = None  # type: ignore[attr-defined]
    after_all = _memberships(sender, before_all)
    for user_id, before in before_all.items():
        after = after_all.get(user_id, [])
        if before != after:
            _record(GROUPS_ACTION, user_id, {"groups": before}, {"groups": after})


# Connecting ---------------------------------------------------------------------------

_MIGRATION_UIDS = (
    "security_audit.migrating.pre_save",
    "security_audit.migrating.post_save",
    "security_audit.migrating.post_delete",
    "security_audit.migrating.m2m",
)


def connect() -> None:
    """Listen to the real Clearance model and User.groups (called once, from ready())."""
    through = get_user_model().groups.through
    pre_save.connect(clearance_pre_save, sender=Clearance, dispatch_uid="security_audit.pre")
    post_save.connect(clearance_post_save, sender=Clearance, dispatch_uid="security_audit.post")
    post_delete.connect(
        clearance_post_delete, sender=Clearance, dispatch_uid="security_audit.delete"
    )
    m2m_changed.connect(groups_m2m_changed, sender=through, dispatch_uid="security_audit.m2m")


def _historical_only(receiver: Any) -> Any:
    """The receiver, for historical models only (the real ones have their own)."""

    def historical(sender: Any, **kwargs: Any) -> None:
        if sender is Clearance or sender is get_user_model().groups.through:
            return
        receiver(sender=sender, **kwargs)

    return historical


_MIGRATION_RECEIVERS = (
    _historical_only(clearance_pre_save),
    _historical_only(clearance_post_save),
    _historical_only(clearance_post_delete),
    _historical_only(groups_m2m_changed),
)


def listen_while_migrating(**_: Any) -> None:
    """pre_migrate: data migrations use historical models, other senders than the real
    ones; catch-all receivers (filtered by model label) see them until migrate ends."""
    for signal, receiver, uid in zip(
        (pre_save, post_save, post_delete, m2m_changed),
        _MIGRATION_RECEIVERS,
        _MIGRATION_UIDS,
        strict=True,
    ):
        signal.connect(receiver, dispatch_uid=uid)


def stop_listening_after_migrating(**_: Any) -> None:
    """post_migrate: back to the real models only."""
    for signal, uid in zip(
        (pre_save, post_save, post_delete, m2m_changed), _MIGRATION_UIDS, strict=True
    ):
        signal.disconnect(dispatch_uid=uid)
