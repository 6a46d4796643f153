"""``parse_cable``: one JSON object per file, errors as objects, no database."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from cables.models import Cable
from tests.cables.cable_text import REQUIRED_JSON_KEYS, reference_id, telegram

REQUIRED_KEYS = REQUIRED_JSON_KEYS


def test_it_prints_one_json_object_per_file_and_an_error_object_for_a_bad_one(tmp_path, capsys):
    # No django_db mark: any database access in the command would raise here.
    good = tmp_path / "good.txt"
    good.write_text(telegram(banner="S E C R E T"), encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text("\n\n   \n", encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(telegram(serial=7), encoding="utf-8")

    with pytest.raises(SystemExit) as exit_info:
        call_command("parse_cable", str(good), str(bad), str(other), "--json")

    assert exit_info.value.code == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    first, error, last = lines
    assert REQUIRED_KEYS <= first.keys()
    assert first["reference_id"] == reference_id()
    assert first["datetime"].startswith("2006-02-10T15:30")
    assert first["classification"] == "SECRET"
    assert first["origin"] == "Embassy Exampletown"
    assert first["tags"][:2] == ["PREL", "PGOV"]
    assert [p["marking"] for p in first["paragraphs"]] == ["C", "U", "C"]
    assert "bad.txt" in error["error"]
    assert last["reference_id"] == reference_id(serial=7)


@pytest.mark.django_db
def test_parse_cable_stores_nothing(tmp_path, capsys):
    path = tmp_path / "good.txt"
    path.write_text(telegram(), encoding="utf-8")

    call_command("parse_cable", str(path), "--json")

    assert Cable.objects.count() == 0
