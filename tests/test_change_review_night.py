"""Defects found reviewing today's changes: the database cursor (config/db_cursor.py,
server-side binding and prepared statements) and the parser's control in a second
parenthesis (cables/parsing, "(S) (NF)").

Each test states the right behaviour; each was marked ``xfail(strict=True)`` until its
defect was fixed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import NotSupportedError, connection, transaction

from cables.markings import Level, Marking
from cables.models import Cable
from config.db_cursor import MAX_SERVER_PARAMETERS
from tests.cables.cable_text import paragraph_texts
from tests.cables.cable_text import parsed_telegram as cable
from tests.db_roles import superuser_connection
from tests.factories import CableFactory

_PROBE_TABLE = "review_night_probe"


@pytest.mark.django_db
def test_an_iterator_past_the_protocols_parameter_limit_still_runs() -> None:
    """``QuerySet.iterator()`` runs through a named cursor, which Django creates with
    ``connection.cursor(name)`` (psycopg's ``ServerCursor``), not through the configured
    ``PreparingCursor``: a statement of more than 65,535 parameters fails there
    ("number of parameters must be between 0 and 65535"), where with client-side binding,
    as before the change, it ran.  The project streams with ``iterator()``
    (redaction/dry_run.py, workflow/review_views.py audit export, audit_export) over
    querysets whose filters the caller builds.  Right: the same rows as ``list()``."""
    cable = CableFactory()
    wanted = [cable.pk, *range(-MAX_SERVER_PARAMETERS - 10, 0)]
    rows = Cable.objects.filter(pk__in=wanted).values_list("pk", flat=True)
    assert list(rows.iterator(chunk_size=100)) == [cable.pk]


@pytest.fixture
def probe_table() -> Iterator[None]:
    """A table of the superuser's, readable by the application role, dropped after."""
    with superuser_connection() as su:
        su.execute(f"CREATE TABLE {_PROBE_TABLE} (id int PRIMARY KEY, name varchar(10))")
        su.execute(f"INSERT INTO {_PROBE_TABLE} VALUES (1, 'Doe')")
        su.execute(f"GRANT SELECT ON {_PROBE_TABLE} TO declass_app")
    try:
        yield
    finally:
        with superuser_connection() as su:
            su.execute(f"DROP TABLE IF EXISTS {_PROBE_TABLE}")


def _probe_name() -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name FROM {_PROBE_TABLE} WHERE id = %s", [1])  # nosec B608
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_survives_a_migration_run_by_another_process(probe_table) -> None:
    """The deploy runs ``migrate`` in a process of its own while the web and worker
    processes keep their connections (``DB_CONN_MAX_AGE``, 60 s; deploy/README.md:
    "migrate first, then roll out").  A statement such a connection has run
    ``DB_PREPARE_THRESHOLD`` times is prepared; when the migration changes the type of a
    column it returns (a ``max_length`` change: ``varchar(10)`` to ``varchar(20)``),
    PostgreSQL refuses to run it ("cached plan must not change result type") and the
    request fails.  psycopg forgets the statement only after that failure, and only when
    the DDL ran on the same connection does it drop its prepared statements beforehand.
    Right: the query answers after the migration as it did before (as it does with
    client-side binding, ``DB_PREPARE_THRESHOLD=0``)."""
    threshold = connection.settings_dict["OPTIONS"].get("prepare_threshold") or 5
    for _ in range(threshold + 1):
        assert _probe_name() == "Doe"
    with superuser_connection() as su:  # the migration's own connection
        su.execute(f"ALTER TABLE {_PROBE_TABLE} ALTER COLUMN name TYPE varchar(20)")
    assert _probe_name() == "Doe"


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_a_stale_plan_fails_once_and_the_rollback_forgets_it(
    probe_table,
) -> None:
    """Inside a transaction the failed statement cannot be run again (the transaction is
    aborted): the error goes up, and the rollback makes the connection forget its
    prepared statements, so the next request answers."""
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    for _ in range(threshold + 1):
        assert _probe_name() == "Doe"
    with superuser_connection() as su:
        su.execute(f"ALTER TABLE {_PROBE_TABLE} ALTER COLUMN name TYPE varchar(20)")
    with pytest.raises(NotSupportedError, match="cached plan"), transaction.atomic():
        _probe_name()
    assert _probe_name() == "Doe"


def test_a_second_parenthesis_of_prose_after_rel_to_stays_text() -> None:
    """A second parenthesis is read as part of the mark only for dissemination controls
    ("so that ... prose keeps its text"), but every control starting "REL TO " passes,
    and ``Marking.parse`` takes any words after "REL TO": "(C) (REL TO REF A)", prose
    pointing at a reference, becomes the release marking "C//REL TO REF A" and leaves
    the paragraph's text.  Right: a REL TO list of country or organisation codes only;
    other words stay the paragraph's text and its mark stays "(C)"."""
    parsed = cable(paragraphs=("1. (C) First point.", "2. (C) (REL TO REF A) The minister agreed."))
    assert parsed.paragraphs[1].marking == Marking(Level.C)
    assert paragraph_texts(parsed)[1] == "(REL TO REF A) The minister agreed."
