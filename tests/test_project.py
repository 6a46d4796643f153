"""Project-wide checks: system checks pass and models match their migrations."""

import pytest
from django.core.management import call_command


def test_system_checks_pass():
    # Raises SystemCheckError on any error-level message.
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_models_have_no_missing_migrations():
    # Exits non-zero (SystemExit) if makemigrations would write anything.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
