"""``manage.py verify_release ID... | --all``: check published releases as stored."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from releases.models import Release
from releases.services import release_verify_stored


class Command(BaseCommand):
    help = (
        "Check published releases as stored: files against the manifest and their "
        "checksums, the withholding index, and every output against the approved "
        "decisions (no withheld text, exactly the approved release). Exit status 1 if "
        "any fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="release ids")
        parser.add_argument("--all", action="store_true", help="every published release")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            ids = list(
                Release.objects.filter(status=Release.Status.PUBLISHED)
                .order_by("id")
                .values_list("id", flat=True)
            )
        elif options["ids"]:
            ids = options["ids"]
        else:
            self.stderr.write("give release ids or --all")
            sys.exit(2)
        failed = 0
        for pk in ids:
            release = Release.objects.select_related("cable").filter(pk=pk).first()
            problems = [f"no release {pk}"] if release is None else release_verify_stored(release)
            if problems:
                failed += 1
                self.stderr.write(f"release {pk}: FAILED")
                for problem in problems:
                    self.stderr.write(f"  {problem}")
            else:
                self.stdout.write(f"release {pk} ({release}): ok")
        self.stdout.write(f"checked={len(ids)} failed={failed}")
        if failed:
            sys.exit(1)
