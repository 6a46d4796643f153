"""Parse real cables (raw telegram text, archive HTML, Markdown scrapes).

Pure Python: no ORM, no Django.  Only ``cables.services`` turns a
``ParsedCable`` into rows.

Modules: ``normalize`` (formats), ``header`` (routing, classification line,
header fields), ``markers`` and ``body`` (paragraphs), ``fields`` (single
field readers), ``classify`` (overall marking, rules 2.3 and 1.6), ``core``
(``parse_cable``) and ``files`` (files and INDEX.tsv metadata).
"""

from __future__ import annotations

from cables.parsing.core import parse_cable
from cables.parsing.files import (
    clear_metadata_cache,
    load_metadata_index,
    metadata_for_file,
    parse_file,
)
from cables.parsing.model import CableMetadata, ParsedCable, ParsedParagraph, ParseError

__all__ = [
    "CableMetadata",
    "ParseError",
    "ParsedCable",
    "ParsedParagraph",
    "clear_metadata_cache",
    "load_metadata_index",
    "metadata_for_file",
    "parse_cable",
    "parse_file",
]
