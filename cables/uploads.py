"""Uploaded files (admin upload, API import) as import sources, and the size limit of
one cable file (``DECLASS_MAX_CABLE_BYTES``), checked before a file is read."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from cables.ingest import CableSource
from cables.parsing import ParseError
from cables.parsing.files import decode_utf8


def oversize(size: int) -> str | None:
    """Why a file of ``size`` bytes is refused, or None when it is within the limit.

    A cable larger than the limit is not a cable (real ones are under 40 KB), and
    parsing it would hold many times its size in memory: it is refused unread."""
    limit = settings.DECLASS_MAX_CABLE_BYTES
    if size <= limit:
        return None
    return (
        f"{size:,} bytes, over the limit of {limit:,} bytes for one cable (DECLASS_MAX_CABLE_BYTES)"
    )


def upload_refusal(upload: Any) -> ParseError | None:
    """The named error of an uploaded file over the size limit, or None."""
    problem = oversize(upload.size)
    if problem is None:
        return None
    return ParseError(problem, source=getattr(upload, "name", None) or "upload")


def upload_source(upload: Any) -> CableSource | ParseError:
    """An uploaded file as an import source; a file over the size limit (left unread) or
    text that is not UTF-8 (named with the line of its first bad byte, as for a file
    on disk) is a named error, reported with the other files' results instead of
    stopping the upload."""
    name = getattr(upload, "name", None) or "upload"
    if refusal := upload_refusal(upload):
        return refusal
    try:
        text = decode_utf8(upload.read(), name)
    except ParseError as error:
        return error
    return CableSource(name=name, text=text)
