"""``manage.py similarity_index``: build the near-duplicate index of paragraphs.

Without options it indexes the cables that are not indexed yet (new cables are
indexed after their import; this catches up with cables stored before the
index existed), chunk by chunk, resumable.  ``--rebuild`` redoes the whole
index, as needed after a change of ``DECLASS_SIMILARITY_MIN_WORDS``; it locks
the index until it is done.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from cables.models import Paragraph
from cables.similarity import store
from cables.tasks import similarity_rebuild_task


class Command(BaseCommand):
    help = "Index cables for near-duplicate paragraphs (the ones missing, or all with --rebuild)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rebuild", action="store_true", help="index every paragraph again, from scratch"
        )
        parser.add_argument(
            "--queue", action="store_true", help="with --rebuild: hand it to a Celery worker"
        )
        parser.add_argument("--workers", type=int, default=None, help="hashing processes")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        show = not options["no_progress"] and sys.stderr.isatty()
        if options["queue"]:
            if not options["rebuild"]:
                self.stderr.write("--queue goes with --rebuild")
                sys.exit(2)
            similarity_rebuild_task.delay()
            self.stdout.write("queued=rebuild")
            return
        if options["rebuild"]:
            total = Paragraph.objects.count()
            with tqdm(total=total, unit="paragraph", disable=not show, file=sys.stderr) as bar:
                report = store.index_rebuild(workers=options["workers"], on_progress=bar.update)
            self.stdout.write(
                f"paragraphs={report.paragraphs} indexed={report.indexed} rows={report.rows}"
            )
            return
        with tqdm(unit="cable", disable=not show, file=sys.stderr) as bar:
            done = store.index_missing(on_progress=bar.update)
        self.stdout.write(f"cables={done}")
