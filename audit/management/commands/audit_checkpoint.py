"""``manage.py audit_checkpoint``: sign the audit chain's length and head, write it out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from audit.checkpoint import checkpoint_write


class Command(BaseCommand):
    help = (
        "Append a signed checkpoint of the audit chain (entries, head id and hash, time) "
        "to DECLASS_AUDIT_CHECKPOINT_PATH, outside the database."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        record = checkpoint_write()
        self.stdout.write(
            f"checkpoint of {record['at']}: {record['count']} entries, head "
            f"#{record['head_id']} written to {settings.DECLASS_AUDIT_CHECKPOINT_PATH}"
        )
