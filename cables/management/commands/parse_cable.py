"""``manage.py parse_cable FILE... --json``: show what the parser reads, store nothing."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cables.parsing import ParseError, metadata_for_file, parse_file


class Command(BaseCommand):
    help = "Parse cable files and print their structure; touches no database."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+")
        parser.add_argument(
            "--json", action="store_true", help="one JSON object per line (the default)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        failed = False
        for name in options["files"]:
            try:
                path = Path(name)
                obj = parse_file(path, metadata=metadata_for_file(path)).to_json_dict()
            except ParseError as exc:
                failed = True
                obj = {"source": name, "error": str(exc), "line": exc.line}
            except OSError as exc:
                failed = True
                obj = {"source": name, "error": f"{name}: {exc.strerror or exc}"}
            self.stdout.write(json.dumps(obj, ensure_ascii=False))
        if failed:
            sys.exit(1)
