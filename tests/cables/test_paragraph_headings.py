"""Headings between paragraphs are stored as portions of their own, flagged ``heading``."""

from __future__ import annotations

import pytest

from cables.ingest import cables_import, expand_paths, sources_from_paths
from cables.loaders import PARAGRAPH_COLUMNS, paragraph_rows
from cables.models import Cable, Paragraph
from cables.parsing import parse_cable
from tests.cables.cable_text import reference_id, telegram

HEADED = (
    "1. (C) The minister set out his priorities.\n\nSyria/Lebanon\n-------------",
    "2. (S) He said the cabinet was divided.",
)


def test_the_copy_columns_are_every_paragraph_column_but_the_id_with_text_last():
    fields = {f.attname for f in Paragraph._meta.concrete_fields if not f.primary_key}

    assert set(PARAGRAPH_COLUMNS) == fields
    assert PARAGRAPH_COLUMNS[-1] == "text"  # bench/ reuses rows cut before the text
    row = next(paragraph_rows(parse_cable(telegram(paragraphs=HEADED))))
    assert len(row) == len(PARAGRAPH_COLUMNS) - 1  # the cable id is prefixed at insert


@pytest.mark.django_db
def test_an_imported_heading_is_stored_as_its_own_heading_portion(tmp_path):
    (tmp_path / "headed.txt").write_text(telegram(paragraphs=HEADED), encoding="utf-8")

    report = cables_import(sources_from_paths(expand_paths([tmp_path])), workers=1)

    assert report.failed == []
    cable = Cable.objects.get(reference_id=reference_id())
    rows = list(
        cable.paragraphs.order_by("ordinal").values_list(
            "ordinal", "number", "level", "explicit", "heading", "text"
        )
    )
    assert rows == [
        (1, "1", 1, True, False, "The minister set out his priorities."),
        (2, "", 2, False, True, "Syria/Lebanon"),  # inherits the cable's level (S)
        (3, "2", 2, True, False, "He said the cabinet was divided."),
    ]
