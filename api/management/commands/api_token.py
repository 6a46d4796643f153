"""``manage.py api_token USER [--ttl-hours N]``: issue an API token, printed once.

The token alone goes to standard output (``TOKEN=$(manage.py api_token alice)``), its
expiry to standard error. The database keeps only a digest: the token cannot be shown
again; issue another if it is lost, and revoke the old one (``POST /api/auth/logoutall/``
or the admin).
"""

from __future__ import annotations

from argparse import ArgumentTypeError
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from knox.settings import knox_settings

from api.tokens import token_issue


def _hours(raw: str) -> int:
    try:
        hours = int(raw)
    except ValueError:
        raise ArgumentTypeError(f"a whole number of hours, not {raw!r}") from None
    if hours < 1:
        raise ArgumentTypeError(f"at least 1 hour, not {hours}")
    return hours


class Command(BaseCommand):
    help = "Issue an API token for USER and print it once (only its digest is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", metavar="USER")
        parser.add_argument(
            "--ttl-hours",
            type=_hours,
            default=None,
            metavar="N",
            help="Hours until the token expires (default: DECLASS_API_TOKEN_TTL_HOURS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        try:
            user = user_model._default_manager.get_by_natural_key(options["username"])
        except user_model.DoesNotExist:
            raise CommandError(f"No user {options['username']!r}.") from None
        if not user.is_active:
            raise CommandError(f"User {options['username']!r} is inactive: no token issued.")
        hours = options["ttl_hours"]
        ttl = timedelta(hours=hours) if hours else knox_settings.TOKEN_TTL
        instance, token = token_issue(user=user, ttl=ttl)
        self.stdout.write(token)
        expiry = timezone.localtime(instance.expiry).isoformat(timespec="minutes")
        self.stderr.write(
            f"Token for {user.get_username()!r}, expires {expiry}. It is shown only now."
        )
