"""``manage.py audit_verify``: check the audit trail's hash chain end to end."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from audit.trail import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit status 1 if any entry was tampered with."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.ok:
            self.stdout.write(f"audit trail intact: {report.checked} entries")
            return
        self.stderr.write(f"audit trail BROKEN at entry {report.broken_at}: {report.problem}")
        sys.exit(1)
