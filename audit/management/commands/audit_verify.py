"""``manage.py audit_verify``: check the audit trail's hash chain end to end, then the
chain against the latest signed checkpoint kept outside the database (audit.checkpoint):
a deleted tail leaves a chain that still holds together, which only the checkpoint shows."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from audit.checkpoint import verify_checkpoint
from audit.trail import verify_chain


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chain and the latest checkpoint; exit status 1 if "
        "any entry was changed, removed or inserted, or the chain's tail was deleted."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if not report.ok:
            self.stderr.write(f"audit trail BROKEN at entry {report.broken_at}: {report.problem}")
            sys.exit(1)
        anchored = verify_checkpoint()
        if not anchored.ok:
            for problem in anchored.problems:
                self.stderr.write(f"audit trail BROKEN: {problem}")
            sys.exit(1)
        if anchored.checkpoint is None:
            self.stdout.write(
                f"audit trail intact: {report.checked} entries "
                "(no checkpoint yet: a deleted tail cannot be told)"
            )
            return
        self.stdout.write(
            f"audit trail intact: {report.checked} entries; the checkpoint of "
            f"{anchored.checkpoint['at']} (#{anchored.checkpoint['head_id']}, "
            f"{anchored.checkpoint['count']} entries) holds"
        )
