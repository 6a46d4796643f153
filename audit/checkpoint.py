"""Checkpoints of the audit chain, signed and kept outside the database.

The hash chain shows a changed or removed entry, but not a removed tail: delete the
last rows and what remains is still a chain.  So, every hour (beat: ``audit.checkpoint``)
and on demand (``manage.py audit_checkpoint``), the chain's length and head (id and
hash) are signed with HMAC-SHA256 under ``DECLASS_AUDIT_CHECKPOINT_KEY``, a key the
database does not hold, and appended as one JSON line to
``DECLASS_AUDIT_CHECKPOINT_PATH``, a file outside the database (on a volume, or
synchronised to an object store, that the database's administrators cannot write).

``verify_checkpoint`` (``manage.py audit_verify``) checks the latest checkpoint's
signature, that the entry it names still exists with that hash and that the chain up
to it still holds as many entries: the rows deleted since are reported.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

FIELDS = ("count", "head_id", "head_hash", "at")


def _key() -> bytes:
    key = getattr(settings, "DECLASS_AUDIT_CHECKPOINT_KEY", None)
    if not key:
        raise ImproperlyConfigured(
            "DECLASS_AUDIT_CHECKPOINT_KEY is not set: audit checkpoints cannot be signed"
        )
    return key.encode()


def _path() -> Path:
    return Path(settings.DECLASS_AUDIT_CHECKPOINT_PATH)


def _payload(record: dict[str, Any]) -> bytes:
    fields = {k: record[k] for k in FIELDS}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def sign(record: dict[str, Any]) -> str:
    return hmac.new(_key(), _payload(record), hashlib.sha256).hexdigest()


def chain_head() -> tuple[int, int | None, str | None]:
    """(entries, id of the last, its hash), read at one instant."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), (array_agg(id ORDER BY id DESC))[1], "
            "(array_agg(hash ORDER BY id DESC))[1] FROM audit_auditevent"
        )
        count, head_id, head_hash = cursor.fetchone()
    return int(count), head_id, head_hash


def checkpoint_write(now: datetime | None = None) -> dict[str, Any]:
    """Append a signed checkpoint of the chain as it is now; the record written."""
    count, head_id, head_hash = chain_head()
    record: dict[str, Any] = {
        "count": count,
        "head_id": head_id,
        "head_hash": head_hash,
        "at": (now or timezone.now()).isoformat(),
    }
    record["signature"] = sign(record)
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, sort_keys=True) + "\n"
    # O_APPEND: one short write per line, so concurrent writers never interleave.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return record


def latest_checkpoint() -> dict[str, Any] | None:
    path = _path()
    if not path.exists():
        return None
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return json.loads(lines[-1]) if lines else None


@dataclass(frozen=True)
class CheckpointReport:
    checkpoint: dict[str, Any] | None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_checkpoint() -> CheckpointReport:
    """The chain in the database against the latest checkpoint written outside it."""
    try:
        checkpoint = latest_checkpoint()
    except (OSError, ValueError) as exc:
        return CheckpointReport(None, (f"the checkpoint file cannot be read: {exc}",))
    if checkpoint is None:
        return CheckpointReport(None)
    if not isinstance(checkpoint, dict) or any(k not in checkpoint for k in FIELDS):
        return CheckpointReport(None, ("the latest checkpoint is malformed",))
    if not hmac.compare_digest(str(checkpoint.get("signature", "")), sign(checkpoint)):
        return CheckpointReport(
            checkpoint, (f"the checkpoint of {checkpoint['at']} has a bad signature",)
        )
    count, head_id, head_hash = chain_head()
    if checkpoint["head_id"] is None:
        return CheckpointReport(checkpoint)
    from audit.models import AuditEvent

    kept = AuditEvent.objects.filter(pk=checkpoint["head_id"]).values_list("hash", flat=True)
    recorded = f"#{checkpoint['head_id']} with hash {checkpoint['head_hash']}"
    ends = f"at #{head_id}" if head_id is not None else "nowhere (it is empty)"
    problems = []
    if not kept:
        problems.append(
            f"the chain ends {ends} but the checkpoint of {checkpoint['at']} recorded "
            f"{recorded} ({checkpoint['count']} entries): rows deleted"
        )
    elif kept[0] != checkpoint["head_hash"]:
        problems.append(
            f"entry #{checkpoint['head_id']} no longer has the hash the checkpoint of "
            f"{checkpoint['at']} recorded ({checkpoint['head_hash']}): it was changed"
        )
    else:
        upto = AuditEvent.objects.filter(pk__lte=checkpoint["head_id"]).count()
        if upto != checkpoint["count"]:
            problems.append(
                f"the checkpoint of {checkpoint['at']} recorded {checkpoint['count']} entries "
                f"up to {recorded}; the chain now holds {upto}: rows deleted or inserted"
            )
    return CheckpointReport(checkpoint, tuple(problems))
