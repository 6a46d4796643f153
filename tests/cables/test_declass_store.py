"""Storing the engine's results on cables: at import, in chunks, and on recompute."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from audit.db_roles import UPDATABLE_COLUMNS
from cables import declass_store
from cables.ingest import CableSource, cables_import
from cables.management.commands.declass_date import Command as DeclassDateCommand
from cables.markings import Level
from cables.models import Cable
from tests.cables.cable_text import telegram
from tests.factories import CableFactory
from workflow.models import ReviewState

AS_OF = date(2025, 7, 1)


@pytest.mark.django_db
def test_compute_stores_date_rule_and_explanation():
    cable = CableFactory(decl="E.O. 12958: DECL: 01/10/2016", reasons=["1.4(b)", "1.4(d)"])

    assert declass_store.declass_compute([cable.pk], as_of=AS_OF) == 1

    cable.refresh_from_db()
    assert cable.status.declass_date == date(2016, 1, 10)
    assert cable.declass_rule == "R-DATE"
    assert cable.declass_kind == "exact"
    assert cable.declass_review_required is False
    assert cable.declass_flags == ["F_FGI"]
    assert any("R-DATE" in step for step in cable.declass_explanation)
    assert cable.declass_version == declass_store.RULES_VERSION


@pytest.mark.django_db
def test_a_cable_without_origin_date_is_never_releasable():
    cable = CableFactory(sent_at=None)

    declass_store.declass_compute([cable.pk], as_of=AS_OF)

    cable.refresh_from_db()
    assert cable.status.declass_date is None
    assert cable.declass_review_required is True
    assert cable.declass_rule == "R-NO-ORIGIN"


@pytest.mark.django_db
def test_computing_twice_stores_the_same_values():
    cable = CableFactory(level=int(Level.S), decl="OADR", sent_at=datetime(1988, 5, 20, tzinfo=UTC))
    declass_store.declass_compute([cable.pk], as_of=AS_OF)
    fields = ("status__declass_date", "declass_rule", "declass_warnings")
    first = Cable.objects.values(*fields).get()

    declass_store.declass_compute([cable.pk], as_of=AS_OF)

    assert Cable.objects.values(*fields).get() == first
    assert first["status__declass_date"] == date(2013, 12, 31)


@pytest.mark.django_db
def test_recompute_touches_only_stale_cables_and_resumes(monkeypatch):
    cables = CableFactory.create_batch(5)
    declass_store.declass_compute([c.pk for c in cables[:2]], as_of=AS_OF)
    monkeypatch.setattr(declass_store, "CHUNK_SIZE", 2)

    seen: list[int] = []
    done = declass_store.declass_recompute_stale(as_of=AS_OF, on_chunk=seen.append)

    assert done == 3
    assert seen == [2, 1]
    assert not Cable.objects.exclude(declass_version=declass_store.RULES_VERSION).exists()
    assert declass_store.declass_recompute_stale(as_of=AS_OF) == 0


@pytest.mark.django_db
def test_recompute_command_reports_what_it_did():
    CableFactory.create_batch(3)
    out = io.StringIO()

    call_command("recompute_declass", "--no-progress", stdout=out)

    assert f"recomputed=3 rules_version={declass_store.RULES_VERSION}" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_import_queues_the_computation_for_the_new_cables():
    # Eager Celery in tests: the on-commit task runs at once, as a worker would.
    cables_import([CableSource(name="a.txt", text=telegram())], workers=1)

    cable = Cable.objects.get()
    assert cable.declass_rule == "R-DATE"
    assert cable.status.declass_date == date(2016, 2, 10)
    assert cable.status.review_state == ReviewState.INGESTED


def test_declass_date_command_answers_each_line_and_names_bad_fields():
    lines = [
        {
            "origin": "2006-01-10",
            "level": "CONFIDENTIAL",
            "decl": "E.O. 12958: DECL: 01/10/2016",
            "reasons": ["1.4(b) and (d)"],
            "exemptions": [],
            "as_of": "2025-07-01",
        },
        {
            "origin": "2006-01-10",
            "level": "RESTRICTED",
            "decl": None,
            "reasons": [],
            "exemptions": [],
        },
        {"origin": "10/01/2006", "level": "C", "decl": None, "reasons": [], "exemptions": []},
        "not json",
        {"origin": "2007-01-04", "level": "C", "decl": None, "reasons": "1.4(d)", "exemptions": []},
        {
            "origin": "2008-06-30",
            "level": "S",
            "decl": "DECL: 25X1",
            "reasons": ["1.4(c)"],
            "exemptions": [],
            "as_of": "2025-07-01",
        },
    ]
    stdin = io.StringIO("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    out = io.StringIO()

    DeclassDateCommand().run(stdin, out)

    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(results) == 6
    assert results[0]["declass_date"] == "2016-01-10"
    assert results[0]["rule"] == "R-DATE"
    assert results[0]["error"] is None
    assert "level" in results[1]["error"] and "RESTRICTED" in results[1]["error"]
    assert results[1]["declass_date"] is None
    assert results[2]["error"].startswith("origin:")
    assert "not JSON" in results[3]["error"]
    assert results[4]["error"].startswith("reasons:")
    assert results[5]["declass_date"] == "2058-12-31"
    assert results[5]["warnings"] == ["W_EXEMPTION_WITHOUT_DATE"]


def test_the_store_writes_only_the_columns_the_application_role_may_update():
    """The application's database role may update a cable only in these columns
    (``audit.db_roles``): an UPDATE naming another would be refused by PostgreSQL."""
    set_clause = declass_store._STORE_SQL.split(" SET", 1)[1].split("FROM", 1)[0]
    written = set(re.findall(r"(\w+) = ", set_clause))
    assert written == set(UPDATABLE_COLUMNS[Cable._meta.db_table])
