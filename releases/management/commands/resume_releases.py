"""``manage.py resume_releases``: queue again the releases a lost worker left pending."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from releases.models import Release
from releases.tasks import release_generate_task


class Command(BaseCommand):
    help = "Queue generation again for every pending release (safe at any time: idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(
            Release.objects.filter(status=Release.Status.PENDING).values_list("id", flat=True)
        )
        for pk in ids:
            release_generate_task.delay(pk)
        self.stdout.write(f"queued={len(ids)}")
