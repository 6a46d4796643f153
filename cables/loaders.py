"""Write parsed cables to the database in as few statements as possible.

PostgreSQL gets ``COPY`` (ids taken from the sequence in one query, so that
paragraphs and tags can reference their cable in the same COPY round);
other databases get ``bulk_create``.  Callers own the transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db import connection

from cables.models import Cable, CableTag, Paragraph
from cables.parsing import ParsedCable

_CABLE_LIMITS = {
    f.name: f.max_length
    for f in Cable._meta.concrete_fields
    if getattr(f, "max_length", None)
    and f.get_internal_type() == "CharField"
    and f.name != "reference_id"  # never clipped: ingest refuses one that is too long
}


def _defaults() -> dict[str, Any]:
    """Every other column's model default: COPY has no Python-side defaults to fall back on."""
    return {f.attname: f.get_default() for f in Cable._meta.concrete_fields if not f.primary_key}


def cable_fields(parsed: ParsedCable, *, now: datetime) -> dict[str, Any]:
    """The Cable column values for one parsed cable (CharFields clipped to fit)."""
    marking = parsed.classification
    values: dict[str, Any] = _defaults()
    values |= {
        "reference_id": parsed.reference_id,
        "dtg": parsed.dtg or "",
        "sent_at": parsed.sent_at,
        "origin": parsed.origin or "",
        "originator": parsed.originator or "",
        "precedence": parsed.precedence or "",
        "to_addressees": parsed.to,
        "info_addressees": parsed.info,
        "level": int(marking.level) if marking else 0,
        "controls": list(marking.controls) if marking else [],
        "banner": str(parsed.banner) if parsed.banner else "",
        "captions": parsed.captions,
        "executive_order": parsed.executive_order or "",
        "decl": parsed.decl or "",
        "classified_by": parsed.classified_by or "",
        "reasons": parsed.reasons,
        "tags": parsed.tags,
        "subject": parsed.subject or "",
        "references": parsed.references,
        "section_count": parsed.section_count,
        "signature": parsed.signature or "",
        "source_format": parsed.format,
        "source_name": parsed.source,
        "parse_warnings": parsed.warnings,
        "from_metadata": parsed.from_metadata,
        "raw_text": parsed.raw_text,
        "sha256": parsed.sha256,
        "imported_at": now,
    }
    for name, limit in _CABLE_LIMITS.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            values[name] = value[:limit]
    return values


def paragraph_rows(parsed: ParsedCable) -> Iterator[tuple[int, str, int, list[str], bool, str]]:
    for p in parsed.paragraphs:
        yield (p.ordinal, p.number[:16], int(p.marking.level), list(p.marking.controls),
               p.explicit, p.text)


def tag_values(parsed: ParsedCable) -> list[str]:
    return list(dict.fromkeys(t.upper()[:64] for t in parsed.tags if t.strip()))


def insert_cables(batch: list[ParsedCable], *, now: datetime) -> list[int]:
    """Insert cables with their paragraphs and tags; return the new cable ids in order."""
    if not batch:
        return []
    if connection.vendor == "postgresql":
        return _insert_postgres(batch, now)
    return _insert_generic(batch, now)


def _insert_generic(batch: list[ParsedCable], now: datetime) -> list[int]:
    cables = Cable.objects.bulk_create([Cable(**cable_fields(p, now=now)) for p in batch])
    paragraphs: list[Paragraph] = []
    tags: list[CableTag] = []
    for cable, parsed in zip(cables, batch, strict=True):
        paragraphs.extend(
            Paragraph(cable_id=cable.pk, ordinal=o, number=n, level=lv, controls=c,
                      explicit=e, text=t)
            for o, n, lv, c, e, t in paragraph_rows(parsed)
        )
        tags.extend(CableTag(cable_id=cable.pk, tag=t) for t in tag_values(parsed))
    Paragraph.objects.bulk_create(paragraphs, batch_size=2000)
    CableTag.objects.bulk_create(tags, batch_size=2000)
    return [c.pk for c in cables]


_JSON_FIELDS = frozenset(
    f.name for f in Cable._meta.concrete_fields if f.get_internal_type() == "JSONField"
)


def _copy_value(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return json.dumps(value, ensure_ascii=False)
    return value


def _insert_postgres(batch: list[ParsedCable], now: datetime) -> list[int]:
    cable_table = Cable._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [cable_table, len(batch)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        rows = [cable_fields(p, now=now) for p in batch]
        columns = ", ".join(connection.ops.quote_name(c) for c in ["id", *rows[0].keys()])
        pg = cursor.cursor  # the psycopg cursor under Django's wrapper
        with pg.copy(f"COPY {cable_table} ({columns}) FROM STDIN") as copy:
            for cable_id, row in zip(ids, rows, strict=True):
                copy.write_row([cable_id, *(_copy_value(k, v) for k, v in row.items())])
        with pg.copy(
            f"COPY {Paragraph._meta.db_table} "
            "(cable_id, ordinal, number, level, controls, explicit, text) FROM STDIN"
        ) as copy:
            for cable_id, parsed in zip(ids, batch, strict=True):
                for o, n, lv, c, e, t in paragraph_rows(parsed):
                    copy.write_row((cable_id, o, n, lv, json.dumps(c), e, t))
        with pg.copy(f"COPY {CableTag._meta.db_table} (cable_id, tag) FROM STDIN") as copy:
            for cable_id, parsed in zip(ids, batch, strict=True):
                for tag in tag_values(parsed):
                    copy.write_row((cable_id, tag))
    return ids
