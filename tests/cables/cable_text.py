"""Build small synthetic cables in the real telegram shape, for tests."""

from __future__ import annotations

from typing import Any

# The keys parse_cable's JSON must carry (issue "Cables in").
REQUIRED_JSON_KEYS = frozenset({
    "reference_id", "datetime", "origin", "classification", "controls", "executive_order",
    "decl", "classified_by", "reasons", "tags", "subject", "paragraphs", "warnings",
    "from_metadata",
})  # fmt: skip


def telegram(
    *,
    post: str = "EXAMPLETOWN",
    serial: int = 123,
    year: int = 2006,
    banner: str = "C O N F I D E N T I A L",
    decl: str = "E.O. 12958: DECL: 02/10/2016",
    paragraphs: tuple[str, ...] = (
        "1. (C) Summary: the minister said the talks would resume.",
        "2. (U) The press reported the meeting.",
        "3. (C) Comment: we expect little progress. End comment.",
    ),
    subject: str = "(C) EXAMPLE TALKS RESUME",
) -> str:
    yy = f"{year % 100:02d}"
    body = "\n\n".join(paragraphs)
    return (
        f"VZCZCXRO1234\n"
        f"PP RUEHWEB\n"
        f"DE RUEHXX #{serial:04d}/01 0411530\n"
        f"ZNY CCCCC ZZH\n"
        f"P 101530Z FEB {yy}\n"
        f"FM AMEMBASSY {post}\n"
        f"TO RUEHC/SECSTATE WASHDC PRIORITY 1234\n"
        f"INFO RUEHZL/EUROPEAN POLITICAL COLLECTIVE\n"
        f"\n"
        f"{banner} {post} {serial:06d}\n"
        f"\n"
        f"SIPDIS\n"
        f"\n"
        f"{decl}\n"
        f"TAGS: PREL PGOV XX\n"
        f"SUBJECT: {subject}\n"
        f"\n"
        f"Classified By: DCM Jane Doe, reasons 1.4 (b) and (d)\n"
        f"\n"
        f"{body}\n"
        f"\n"
        f"DOE\n"
    )


def reference_id(*, post: str = "EXAMPLETOWN", serial: int = 123, year: int = 2006) -> str:
    return f"{year % 100:02d}{post}{serial}"


def paragraph_texts(parsed: Any) -> list[str]:
    """The parsed cable's paragraphs' texts, in order."""
    return [p.text for p in parsed.paragraphs]


def parsed_telegram(**kwargs: Any) -> Any:
    """``telegram(**kwargs)`` parsed, from post VALDERRA, serial 77 unless told."""
    from cables.parsing import parse_cable

    kwargs.setdefault("post", "VALDERRA")
    kwargs.setdefault("serial", 77)
    return parse_cable(telegram(**kwargs))
