"""``manage.py recompute_declass``: recompute every cable's declassification status.

Chunked and resumable: only cables not yet computed under the current rules
version are touched, so an interrupted run continues where it stopped.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from cables import declass_store
from cables.models import Cable


class Command(BaseCommand):
    help = "Recompute the declassification status of cables computed under older rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="recompute every cable, not only stale ones"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            Cable.objects.update(declass_version="")
        todo = Cable.objects.exclude(declass_version=declass_store.RULES_VERSION).count()
        show = not options["no_progress"] and sys.stderr.isatty()
        with tqdm(total=todo, unit="cable", disable=not show, file=sys.stderr) as bar:
            done = declass_store.declass_recompute_stale(on_chunk=bar.update)
        self.stdout.write(f"recomputed={done} rules_version={declass_store.RULES_VERSION}")
