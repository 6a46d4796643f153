"""Uploaded files (admin upload, API import) as import sources."""

from __future__ import annotations

from typing import Any

from cables.ingest import CableSource
from cables.parsing import ParseError


def upload_source(upload: Any) -> CableSource | ParseError:
    """An uploaded file as an import source; text that is not UTF-8 is a named error,
    reported with the other files' results instead of stopping the upload."""
    name = getattr(upload, "name", None) or "upload"
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParseError(f"not UTF-8 text (byte {exc.start})", source=name)
    return CableSource(name=name, text=text)
