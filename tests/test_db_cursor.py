"""The database cursor (config/db_cursor.py): statements prepared once run often, and a
statement with more parameters than the protocol carries still runs."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.db.models.expressions import RawSQL

from cables.models import Cable
from config.db_cursor import MAX_SERVER_PARAMETERS
from tests.factories import CableFactory

pytestmark = pytest.mark.django_db


def _prepared() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        return cursor.fetchone()[0]


def test_the_default_configuration_prepares_what_a_connection_runs_often() -> None:
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["server_side_binding"] is True
    threshold = options["prepare_threshold"]
    cable = CableFactory()
    before = _prepared()
    for _ in range(threshold + 1):
        assert Cable.objects.filter(pk=cable.pk, level__lte=3).count() == 1
    assert _prepared() == before + 1


def test_a_statement_past_the_protocols_parameter_limit_is_bound_on_the_client() -> None:
    cable = CableFactory()
    wanted = [cable.pk, *range(-MAX_SERVER_PARAMETERS - 10, 0)]
    assert len(wanted) > MAX_SERVER_PARAMETERS
    assert list(Cable.objects.filter(pk__in=wanted).values_list("pk", flat=True)) == [cable.pk]
    # A literal percent sign in such a statement stays one.
    rows = Cable.objects.filter(pk__in=wanted).annotate(pct=RawSQL("'100%%'", []))
    assert list(rows.values_list("pct", flat=True)) == ["100%"]
