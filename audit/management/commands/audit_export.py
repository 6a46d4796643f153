"""``manage.py audit_export [--cable REF] [--action A]``: the audit trail as CSV on stdout."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.models import AuditEvent
from audit.trail import csv_lines


class Command(BaseCommand):
    help = "Export the audit trail (optionally filtered) as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cable", help="reference id")
        parser.add_argument("--action", help="e.g. decision.recorded")

    def handle(self, *args: Any, **options: Any) -> None:
        events = AuditEvent.objects.order_by("id")
        if options["cable"]:
            events = events.filter(cable_ref=options["cable"])
        if options["action"]:
            events = events.filter(action=options["action"])
        for line in csv_lines(events.iterator(chunk_size=2000)):
            self.stdout.write(line, ending="")
