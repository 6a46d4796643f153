"""``manage.py import_cables PATH...``: bulk, idempotent import of cable files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from cables.ingest import (
    DEFAULT_BATCH_SIZE,
    CableSource,
    cables_import,
    expand_paths,
    sources_from_paths,
)
from cables.parsing import ParseError
from cables.uploads import oversize


class Command(BaseCommand):
    help = (
        "Import cables from files, folders and globs (raw text, HTML, Markdown). "
        "Re-importing the same text is a no-op; the same reference id with other "
        "text is reported as a conflict. Exit status 1 when anything failed or conflicted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="files, folders or glob patterns")
        parser.add_argument("--json", action="store_true", help="print a JSON report")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--workers", type=int, default=None, help="parser processes (default: cores)"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            paths = expand_paths(options["paths"])
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from None
        show_bar = not options["no_progress"] and sys.stderr.isatty()
        with tqdm(total=len(paths), unit="cable", disable=not show_bar, file=sys.stderr) as bar:
            report = cables_import(
                _within_limit(paths),
                batch_size=options["batch_size"],
                workers=options["workers"],
                on_progress=bar.update,
            )
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self._print_summary(report.as_dict())
        if not report.ok:
            sys.exit(1)

    def _print_summary(self, summary: dict[str, Any]) -> None:
        self.stdout.write(
            f"imported={summary['imported']} unchanged={summary['unchanged']} "
            f"conflicts={len(summary['conflicts'])} failed={len(summary['failed'])} "
            f"paragraphs={summary['paragraphs']}"
        )
        for item in summary["conflicts"]:
            self.stderr.write(f"conflict: {item['error']}")
        for item in summary["failed"]:
            self.stderr.write(f"failed: {item['error']}")


def _within_limit(paths: Sequence[Path]) -> Iterator[CableSource | ParseError]:
    """The files' sources, a file over DECLASS_MAX_CABLE_BYTES replaced, unread, by an
    error naming it: it is reported as failed and the others are imported."""
    for path in paths:
        try:
            problem = oversize(path.stat().st_size)
        except OSError:
            problem = None  # the worker reading it reports why it cannot
        if problem:
            yield ParseError(problem, source=str(path))
        else:
            yield from sources_from_paths([path])
