"""Write parsed cables to the database in as few statements as possible.

Everything goes in with ``COPY``.  The rows are formatted in COPY's text format by
``prepare_copy`` in the parser's worker processes, so that the main process
only takes ids from the sequence (one query per batch), prefixes them and
streams the text: the costly formatting runs in parallel with the load.
Callers own the transaction.  Each cable's workflow status row is made by the
workflow's database trigger, not here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
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
_DEFAULTED = [f for f in Cable._meta.concrete_fields if not f.primary_key]
_JSON_FIELDS = frozenset(f.attname for f in _DEFAULTED if f.get_internal_type() == "JSONField")
CABLE_COLUMNS = ("id", *(f.attname for f in _DEFAULTED))
# Text last: bench/ cuts rows before it to reuse a paragraph's other columns.
PARAGRAPH_COLUMNS = (
    "cable_id",
    "ordinal",
    "number",
    "level",
    "controls",
    "explicit",
    "heading",
    "text",
)


# (column, default, whether the default is a factory such as ``list``), in column order.
_DEFAULTS = tuple(
    (f.attname, f.default, True)
    if f.has_default() and callable(f.default)
    else (f.attname, f.get_default(), False)
    for f in _DEFAULTED
)


def _defaults() -> dict[str, Any]:
    """Every column's model default in column order, a factory (``list``) called afresh:
    asking each field for its default per cable was a tenth of formatting the row."""
    return {name: value() if factory else value for name, value, factory in _DEFAULTS}


def cable_fields(parsed: ParsedCable, *, now: datetime) -> dict[str, Any]:
    """Every Cable column (but the id) for one parsed cable; CharFields clipped to fit.

    Columns the parser does not fill take their model default: COPY has no
    Python-side defaults to fall back on.
    """
    marking = parsed.classification
    subject_mark = parsed.subject_marking
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
        "subject_level": int(subject_mark.level) if subject_mark else None,
        "subject_controls": list(subject_mark.controls) if subject_mark else [],
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


def paragraph_rows(
    parsed: ParsedCable,
) -> Iterator[tuple[int, str, int, list[str], bool, bool, str]]:
    """One row per paragraph, in PARAGRAPH_COLUMNS order (without the cable id)."""
    for p in parsed.paragraphs:
        yield (
            p.ordinal,
            p.number[:16],
            int(p.marking.level),
            list(p.marking.controls),
            p.explicit,
            p.heading,
            p.text,
        )


def tag_values(parsed: ParsedCable) -> list[str]:
    return list(dict.fromkeys(t.upper()[:64] for t in parsed.tags if t.strip()))


# -- COPY text format ---------------------------------------------------------------------


def _escape(text: str) -> str:
    # Chained str.replace runs in C; str.translate with a dict is ten times slower.
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\n" in text:
        text = text.replace("\n", "\\n")
    if "\r" in text:
        text = text.replace("\r", "\\r")
    if "\t" in text:
        text = text.replace("\t", "\\t")
    return text


def copy_text(value: Any) -> str:
    """One value in COPY's text format: escaped, with None as \\N."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return _escape(value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return _escape(str(value))


# One encoder for every value: ``json.dumps`` with a non-default option builds a new
# encoder per call, which was a fifth of formatting a cable's row.
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def copy_json(value: Any) -> str:
    if not value and isinstance(value, list):
        return "[]"
    return _escape(_encode_json(value))


@dataclass(frozen=True, slots=True)
class CopyRows:
    """One cable's rows in COPY text format, each still missing its cable id prefix."""

    source: str
    reference_id: str
    sha256: str
    cable: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def paragraph_count(self) -> int:
        return len(self.paragraphs)


def prepare_copy(parsed: ParsedCable, *, now: datetime) -> CopyRows:
    """Format one parsed cable's rows for COPY (pure: runs in the parser's workers)."""
    row = cable_fields(parsed, now=now)
    cable = "\t".join(copy_json(v) if k in _JSON_FIELDS else copy_text(v) for k, v in row.items())
    paragraphs = tuple(
        f"{p.ordinal}\t{_escape(p.number[:16])}\t{int(p.marking.level)}\t"
        f"{copy_json(list(p.marking.controls))}\t{'t' if p.explicit else 'f'}\t"
        f"{'t' if p.heading else 'f'}\t{_escape(p.text)}"
        for p in parsed.paragraphs
    )
    return CopyRows(
        source=parsed.source,
        reference_id=parsed.reference_id or "",
        sha256=parsed.sha256,
        cable=cable,
        paragraphs=paragraphs,
        tags=tuple(_escape(t) for t in tag_values(parsed)),
    )


# -- inserting ----------------------------------------------------------------------------


def insert_cables(batch: list[ParsedCable] | list[CopyRows], *, now: datetime) -> list[int]:
    """Insert cables with their paragraphs and tags with COPY; return the new ids in order.

    ``batch`` holds ``CopyRows`` (prepared in the parser's workers); a ``ParsedCable``
    is prepared here.
    """
    if not batch:
        return []
    rows = [b if isinstance(b, CopyRows) else prepare_copy(b, now=now) for b in batch]
    return _insert_copy(rows)


def _copy(cursor: Any, table: str, columns: tuple[str, ...], text: str) -> None:
    """COPY ``text`` (whole lines, each ending in a newline) into ``table``."""
    if not text:
        return
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    # The raw psycopg cursor raises psycopg's errors; callers catch Django's
    # (a concurrent import of the same reference id is an IntegrityError).
    with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        copy.write(text)


def _prefixed(prefix: str, lines: tuple[str, ...]) -> str:
    """``lines`` as COPY lines, each after ``prefix`` (the cable id column)."""
    if not lines:
        return ""
    glue = "\n" + prefix
    return f"{prefix}{glue.join(lines)}\n"


def _insert_copy(batch: list[CopyRows]) -> list[int]:
    """Why the text is built per cable: the loading process is the import's one serial
    step, and a line per paragraph, joined and then copied once more to end it with a
    newline, was a quarter of its own CPU (py-spy on bench/ingest.py)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Cable._meta.db_table, len(batch)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        pairs = [(f"{i}\t", r) for i, r in zip(ids, batch, strict=True)]  # (id column, rows)
        pg = cursor.cursor  # the psycopg cursor under Django's wrapper
        _copy(
            pg, Cable._meta.db_table, CABLE_COLUMNS, "".join([f"{p}{r.cable}\n" for p, r in pairs])
        )
        _copy(
            pg,
            Paragraph._meta.db_table,
            PARAGRAPH_COLUMNS,
            "".join([_prefixed(p, r.paragraphs) for p, r in pairs]),
        )
        _copy(
            pg,
            CableTag._meta.db_table,
            ("cable_id", "tag"),
            "".join([_prefixed(p, r.tags) for p, r in pairs]),
        )

    return ids
