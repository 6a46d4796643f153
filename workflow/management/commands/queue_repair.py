"""``manage.py queue_repair``: check the whole review queue index now.

The sweep checks it after every run (the cables logged since, or the whole index after
the day's first run); this is for after a restore, or a change made to the index by hand.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from workflow.queue_index import queue_index_repair


class Command(BaseCommand):
    help = "Put right every row of the review queue index that disagrees with the grants."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--logged-only",
            action="store_true",
            help="only the cables the triggers logged since the last check",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        changed = queue_index_repair(every_cable=not options["logged_only"])
        self.stdout.write(f"{changed} queue row(s) put right")
