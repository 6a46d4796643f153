"""Classification levels (sections 1.1, 1.4 and 4.6.1): each accepted spelling of a level
reduced to its code, and the line that opens every explanation."""

from __future__ import annotations

import re
from functools import lru_cache

from .values import DeclassInputError

_LEVEL_NAMES = {
    "U": "UNCLASSIFIED",
    "C": "CONFIDENTIAL",
    "S": "SECRET",
    "TS": "TOP SECRET",
}
# Accepted spellings after upper-casing, dropping "//..." and collapsing spaces.
_LEVEL_FORMS: dict[str, str] = {
    "TS": "TS",
    "TOP SECRET": "TS",
    "S": "S",
    # A classification level, not a password.
    "SECRET": "S",  # nosec B105
    "C": "C",
    "CONFIDENTIAL": "C",
    "U": "U",
    "UNCLAS": "U",
    "UNCLASSIFIED": "U",
    "UNCLAS EFTO": "U",
    "SBU": "U",
    "SBU NOFORN": "U",
    "SENSITIVE BUT UNCLASSIFIED": "U",
    "LOU": "U",
    "LIMITED OFFICIAL USE": "U",
    "FOUO": "U",
}
# Letter-spaced first lines of a cable body (sections 1.1 and 1.4): "S E C R E T".
_LETTER_SPACED_LEVELS = {
    "TOPSECRET": "TS",
    # A classification level, not a password.
    "SECRET": "S",  # nosec B105
    "CONFIDENTIAL": "C",
}
_UNCLAS_EFTO_SPACED = re.compile(r"UNCLAS E ?F ?T ?O", re.ASCII)

# The first line of every explanation, by level code.
LEVEL_LINES = {
    code: f"Level {name} is not classified." if code == "U" else f"Level {name} is classified."
    for code, name in _LEVEL_NAMES.items()
}


def normalise_level(level: str) -> str:
    """Reduce any accepted spelling of a level to "U", "C", "S" or "TS".

    Unknown words raise instead of defaulting: silently reading "RESTRICTED" (a NATO
    or foreign level) as unclassified would release it.
    """
    if not isinstance(level, str):
        raise DeclassInputError("level", "classification level must be text, got", level)
    code = _LEVEL_FORMS.get(level)
    if code is not None:
        return code
    return _normalise_level_slow(level)


@lru_cache(maxsize=256)
def _normalise_level_slow(level: str) -> str:
    key = " ".join(level.split("//", 1)[0].upper().split())
    code = _LEVEL_FORMS.get(key)
    if code is not None:
        return code
    tokens = key.split(" ")
    if len(tokens) > 1 and all(len(t) == 1 for t in tokens):
        code = _LETTER_SPACED_LEVELS.get("".join(tokens))
        if code is not None:
            return code
    if _UNCLAS_EFTO_SPACED.fullmatch(key):
        return "U"
    raise DeclassInputError("level", "unknown classification level", level)
