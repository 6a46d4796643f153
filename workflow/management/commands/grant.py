"""``manage.py grant``: assign or revoke work from a shell, as the "Assign work" page does.

    manage.py grant --to rita --perm review --state due --limit 200 --as admin
    manage.py grant --to group:reviewer --perm view --cables 06ROME123 06ROME124 --as sam
    manage.py grant --to rita --perm review --post Rome --preview --as sam
    manage.py grant --to rita --perm review --tag PREL --revoke --as sam
    manage.py grant --revoke --batch 12 --as sam

Every assignment and revocation is made in the name of ``--as`` (a supervisor or an
admin), with the same checks and audit entries as the pages and the API.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cables.models import Cable, ClassificationLevel
from workflow import assignment
from workflow.assignment import AssignmentError, CableQuery
from workflow.models import AssignmentBatch, ReviewState

LEVELS = {label: int(value) for value, label in ClassificationLevel.choices}
LEVELS.update({"U": 0, "C": 1, "S": 2, "TS": 3})


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


class Command(BaseCommand):
    help = (
        "Assign (or --revoke) view, review or release on cables to a user or group, "
        "by --cables or by query, the next --limit due first; --preview only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="actor", required=True, help="Who assigns (username).")
        parser.add_argument("--to", help='Assignee: a username, or "group:NAME".')
        parser.add_argument(
            "--perm", choices=["view", "review", "release"], help="The permission to give."
        )
        parser.add_argument(
            "--cables", nargs="+", metavar="REF", help="Reference ids (or database ids)."
        )
        parser.add_argument("--post", default="", help="Post (origin), any case.")
        parser.add_argument("--tag", default="", help="One TAGS entry.")
        parser.add_argument("--level", help="Classification: U, C, S, TS (or the full name).")
        parser.add_argument("--state", default="", choices=["", *ReviewState.values])
        parser.add_argument("--sent-from", type=_day, help="Sent on or after (YYYY-MM-DD).")
        parser.add_argument("--sent-until", type=_day, help="Sent on or before (YYYY-MM-DD).")
        parser.add_argument(
            "--due-within", type=int, metavar="DAYS", help="Declassification date within N days."
        )
        parser.add_argument("--unassigned", action="store_true", help="Nobody holds it yet.")
        parser.add_argument("--assigned", action="store_true", help="Someone holds it already.")
        parser.add_argument("--limit", type=int, help="Batch size: the first N, due soonest.")
        parser.add_argument("--revoke", action="store_true", help="Take back instead.")
        parser.add_argument("--batch", type=int, help="With --revoke: revoke this batch.")
        parser.add_argument("--preview", action="store_true", help="Count only; change nothing.")
        parser.add_argument("--json", action="store_true", help="Print a JSON report.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = get_user_model().objects.filter(username=options["actor"]).first()
        if actor is None:
            raise CommandError(f"no user named {options['actor']!r} (--as)")
        try:
            report = self._run(actor, options)
        except (AssignmentError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True))
        else:
            self.stdout.write(report["message"])

    def _run(self, actor: object, options: dict[str, Any]) -> dict[str, Any]:
        if options["batch"] is not None:
            if not options["revoke"]:
                raise CommandError("--batch goes with --revoke")
            batch = AssignmentBatch.objects.filter(pk=options["batch"]).first()
            if batch is None:
                raise CommandError(f"no batch {options['batch']}")
            done = assignment.revoke_batch(actor=actor, batch=batch)
            return {
                "action": "revoked",
                "batch": batch.pk,
                "count": done.count,
                "cables": done.references,
                "message": f"Batch {batch.pk} revoked: {done.count} cables taken back "
                f"from {batch.assignee_name}.",
            }
        if not options["to"] or not options["perm"]:
            raise CommandError("--to and --perm are needed (or --revoke --batch ID)")
        who = assignment.find_assignee(options["to"])
        arguments = {
            "actor": actor,
            "assignee": who,
            "permission": options["perm"],
            "limit": options["limit"],
            **self._cables(options),
        }
        name = assignment.assignee_name(who)
        if options["preview"]:
            shown = assignment.preview(**arguments, revoke=options["revoke"])
            verb = "revoke from" if options["revoke"] else "assign to"
            refs = ", ".join(shown.references)
            return {
                "action": "preview",
                "count": shown.count,
                "matching": shown.matching,
                "already_held": shown.already_held,
                "above_clearance": shown.above_clearance,
                "cables": shown.references,
                "message": f"Would {verb} {name}: {shown.count} cables ({shown.matching} match, "
                f"{shown.already_held} held already){': ' + refs if refs else ''}.",
            }
        if options["revoke"]:
            done = assignment.revoke(**arguments)
            return {
                "action": "revoked",
                "count": done.count,
                "cables": done.references,
                "message": f"Revoked {options['perm']} on {done.count} cables from {name}.",
            }
        batch = assignment.assign(**arguments)
        return {
            "action": "assigned",
            "batch": batch.pk,
            "count": batch.cable_count,
            "message": f"Batch {batch.pk}: {options['perm']} on {batch.cable_count} cables "
            f"assigned to {name}.",
        }

    def _cables(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["cables"]:
            wanted = options["cables"]
            refs = dict(
                Cable.objects.filter(reference_id__in=wanted).values_list("reference_id", "pk")
            )
            numbers = {int(w) for w in wanted if _is_id(w) and w not in refs}
            by_id = set(Cable.objects.filter(pk__in=numbers).values_list("pk", flat=True))
            unknown = [w for w in wanted if w not in refs and not (_is_id(w) and int(w) in by_id)]
            if unknown:
                raise CommandError(f"no such cable: {', '.join(unknown)}")
            return {"cable_ids": sorted(set(refs.values()) | by_id)}
        if options["assigned"] and options["unassigned"]:
            raise CommandError("--assigned or --unassigned, not both")
        level = None
        if options["level"]:
            key = options["level"].upper()
            if key not in LEVELS:
                raise CommandError(f"unknown level {options['level']!r} (U, C, S, TS)")
            level = LEVELS[key]
        query = CableQuery(
            post=options["post"],
            tag=options["tag"],
            level=level,
            state=options["state"],
            sent_from=options["sent_from"],
            sent_until=options["sent_until"],
            due_within_days=options["due_within"],
            assigned="yes" if options["assigned"] else ("no" if options["unassigned"] else ""),
        )
        return {"query": query}
