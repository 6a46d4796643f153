"""Cables on disk: read a file, and find the metadata that sits beside it.

Archives ship an INDEX.tsv per folder (file, reference_id, date, origin, ...);
the importer reads it once per folder, so it is cached per directory.  A
file not in an index still gets its reference id when its name is one
("06MOSCOW1323.txt").
"""

from __future__ import annotations

import csv
import io
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

from cables.parsing.core import parse_cable
from cables.parsing.model import CableMetadata, ParsedCable, ParseError

INDEX_NAME = "INDEX.tsv"
_REFERENCE_ID_RE = re.compile(r"^\d{2}[A-Z][A-Z0-9]*[A-Z]\d{1,7}$")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d",
)

_index_cache: dict[str, dict[str, CableMetadata] | None] = {}
_cache_lock = threading.Lock()


def parse_file(
    path: str | os.PathLike[str], *, metadata: CableMetadata | None = None
) -> ParsedCable:
    """Parse a UTF-8 cable file; ``source`` is the path as given.

    Raises ``ParseError`` for a file that cannot be read or is not UTF-8
    (naming the line of the first bad byte), and for anything parse_cable refuses.
    """
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read the file ({exc.strerror or exc})", source=source) from exc
    return parse_cable(decode_utf8(data, source), source=source, metadata=metadata)


def decode_utf8(data: bytes, source: str) -> str:
    """The text of a cable file's bytes; ``ParseError`` naming the line of the first byte
    that is not UTF-8 (a file saved as Windows-1252 or Latin-1).

    Why no fallback to Windows-1252: a guessed encoding could silently change a name
    or a mark, and the stored raw text must be what the archive holds; the person
    importing re-saves the file as UTF-8, told exactly where the bad byte is.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ParseError(
            f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}",
            source=source,
            line=line,
        ) from None


def load_metadata_index(path: str | os.PathLike[str]) -> dict[str, CableMetadata]:
    """Read an INDEX.tsv-style file into {file name: CableMetadata}.

    Columns used: file, reference_id, date (UTC, "YYYY-MM-DD HH:MM"), origin;
    others (classification included: markings come from the text) are ignored.
    A missing ``file`` column raises ParseError; a bad date leaves that date empty.
    """
    source = os.fspath(path)
    try:
        text = Path(source).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read the metadata index ({exc})", source=source) from exc
    reader = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    if "file" not in columns:
        raise ParseError("metadata index has no 'file' column", source=source, line=1)
    reader.fieldnames = columns
    index: dict[str, CableMetadata] = {}
    for row in reader:
        name = (row.get("file") or "").strip()
        if not name:
            continue
        index[name] = CableMetadata(
            reference_id=(row.get("reference_id") or "").strip() or None,
            sent_at=_parse_date(row.get("date")),
            origin=(row.get("origin") or "").strip() or None,
        )
    return index


def _parse_date(value: str | None) -> datetime | None:
    text = (value or "").strip().removesuffix("Z")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def metadata_for_file(path: str | os.PathLike[str]) -> CableMetadata | None:
    """Metadata for a cable file: its INDEX.tsv row, else the id its name spells, else None."""
    file = Path(path)
    index = _directory_index(file.parent)
    found = index.get(file.name) if index else None
    stem_id = file.stem if _REFERENCE_ID_RE.match(file.stem) else None
    if found is not None:
        if found.reference_id is None and stem_id:
            return CableMetadata(stem_id, found.sent_at, found.origin)
        return found
    return CableMetadata(reference_id=stem_id) if stem_id else None


def _directory_index(folder: Path) -> dict[str, CableMetadata] | None:
    key = os.path.abspath(folder)
    with _cache_lock:
        if key in _index_cache:
            return _index_cache[key]
    index_path = Path(key) / INDEX_NAME
    index: dict[str, CableMetadata] | None = None
    if index_path.is_file():
        try:
            index = load_metadata_index(index_path)
        except ParseError:
            index = None  # an unreadable index is as good as none: ids still come from text
    with _cache_lock:
        _index_cache[key] = index
    return index


def clear_metadata_cache() -> None:
    """Forget cached INDEX.tsv files (after they change on disk)."""
    with _cache_lock:
        _index_cache.clear()
