"""RE2 searches text beyond Latin-1 as UTF-8: character and byte offsets must convert exactly."""

from __future__ import annotations

import random

from redaction.engine.matcher import _Utf8Offsets


def test_offsets_convert_both_ways_at_every_character():
    rng = random.Random(1)
    alphabet = "ab ¶é東😀\u0301Жж"
    texts = ["", "abc", "Жж", "😀a😀"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(300)
    ]
    for text in texts:
        utf8 = text.encode("utf-8")
        offsets = _Utf8Offsets(text, utf8)
        for char in range(len(text) + 1):
            byte = len(text[:char].encode("utf-8"))
            assert offsets.to_byte(char) == byte
            assert offsets.to_char(byte) == char
