"""The audit trail: every decision, state change, rule change, grant and release.

Entries are written in the same transaction as the change they record, are
never updated or deleted (the model refuses, and on PostgreSQL a trigger
too), and are chained by hash: each entry's hash covers its content and the
previous entry's hash, so a changed, removed or inserted entry breaks the
chain, which ``verify_chain`` (``manage.py audit_verify``) finds.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x61756474  # "audt": serialises appends so the chain stays a chain
EXPORT_FIELDS = (
    "id", "at", "actor_name", "action", "cable_ref", "cable_id", "paragraph_id",
    "object_type", "object_id", "before", "after", "prev_hash", "hash",
)  # fmt: skip


def _content(event: AuditEvent) -> dict[str, Any]:
    return {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "cable_id": event.cable_id,
        "cable_ref": event.cable_ref,
        "paragraph_id": event.paragraph_id,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
    }


def entry_hash(event: AuditEvent, prev_hash: str) -> str:
    payload = json.dumps(
        {"prev": prev_hash, **_content(event)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def audit_record(
    *,
    actor: Any,
    action: str,
    cable: Any = None,
    paragraph_id: int | None = None,
    obj: Any = None,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one entry; must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the change's transaction")
    _lock()
    last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
    event = AuditEvent(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "get_username", lambda: "system")() if actor else "system",
        action=action,
        cable_id=getattr(cable, "pk", None),
        cable_ref=getattr(cable, "reference_id", "") or "",
        paragraph_id=paragraph_id,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
        before=before,
        after=after,
        prev_hash=last or GENESIS,
    )
    event.hash = entry_hash(event, event.prev_hash)
    AuditEvent.objects.bulk_create([event])  # bulk_create: save() refuses on purpose
    return event


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    broken_at: int | None = None
    problem: str = ""


def verify_chain(events: Iterable[AuditEvent] | None = None) -> ChainReport:
    """Walk the trail in order and check every link, and that no entry is dated before
    the one it follows; report the first broken one."""
    events = (
        AuditEvent.objects.order_by("id").iterator(chunk_size=2000) if events is None else events
    )
    prev = GENESIS
    prev_at: datetime | None = None
    count = 0
    for event in events:
        count += 1
        if event.prev_hash != prev:
            return ChainReport(
                count,
                False,
                event.pk,
                f"entry {event.pk} does not follow the entry before it "
                "(one was removed or inserted)",
            )
        if entry_hash(event, prev) != event.hash:
            return ChainReport(
                count, False, event.pk, f"entry {event.pk} was changed after it was written"
            )
        # Appends are serialised (``_lock``) and timed after the lock: honest entries
        # never go back in time, so one that does was backdated, or the one before it
        # dated ahead.
        if prev_at is not None and event.at < prev_at:
            return ChainReport(
                count,
                False,
                event.pk,
                f"entry {event.pk} is dated {event.at.isoformat()}, before the entry before "
                f"it ({prev_at.isoformat()}): one of them was misdated",
            )
        prev, prev_at = event.hash, event.at
    return ChainReport(count, True)


# What a reader who may not read an entry's cable whole is shown for a note recorded
# with it (a move's note may quote the cable; the entry itself stays as written).
NOTE_WITHHELD = "(withheld: a note may quote the cable, which you may not read whole)"


def note_withheld(event: AuditEvent) -> AuditEvent:
    """The entry as shown to a reader who may not read its cable whole: any note in its
    before and after replaced by ``NOTE_WITHHELD``, in memory only (never saved: the
    trail is append-only and its hashes cover what was written)."""
    event.before = _without_note(event.before)
    event.after = _without_note(event.after)
    return event


# What a reader is shown for the TAGS a batch was chosen by, recorded beside its cables,
# when some of those cables' tags go with a subject above them.
TAG_WITHHELD = "(withheld: TAGS go with a subject you may not read)"


def query_tag_withheld(event: AuditEvent) -> AuditEvent:
    """The entry with the tag of the query it records (an assignment's) replaced by
    ``TAG_WITHHELD``, in memory only, as ``note_withheld``."""
    event.before = _without_query_tag(event.before)
    event.after = _without_query_tag(event.after)
    return event


def query_tag_cables(event: AuditEvent) -> list[int]:
    """The cables an entry names beside a query by TAGS (none when it records no such
    query)."""
    out: list[int] = []
    for value in (event.before, event.after):
        if isinstance(value, dict) and _query_tag(value):
            out += [pk for pk in value.get("cable_ids") or () if isinstance(pk, int)]
    return out


def _query_tag(value: dict[str, Any]) -> bool:
    query = value.get("query")
    return isinstance(query, dict) and bool(query.get("tag"))


def _without_query_tag(value: Any) -> Any:
    if isinstance(value, dict) and _query_tag(value):
        return {**value, "query": {**value["query"], "tag": TAG_WITHHELD}}
    return value


def _without_note(value: Any) -> Any:
    if isinstance(value, dict) and value.get("note"):
        return {**value, "note": NOTE_WITHHELD}
    return value


def _row(event: AuditEvent) -> list[Any]:
    row: list[Any] = []
    for name in EXPORT_FIELDS:
        value = getattr(event, name)
        if name in ("before", "after"):
            value = "" if value is None else json.dumps(value, sort_keys=True, default=str)
        elif name == "at":
            value = value.isoformat()
        row.append("" if value is None else value)
    return row


class _Echo:
    """A file-like object whose write returns the line, for streaming responses."""

    def write(self, value: str) -> str:
        return value


def csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The trail as CSV, one line at a time (before/after as JSON)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_FIELDS)
    for event in events:
        yield writer.writerow(_row(event))
