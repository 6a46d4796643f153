"""``manage.py resume_rule_jobs``: queue again the rule-application chunks not yet done."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from redaction.rule_services import rule_jobs_resume


class Command(BaseCommand):
    help = "Queue again every redaction-rule chunk not done yet (safe to run at any time)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"queued={rule_jobs_resume()}")
