"""What a word is, for comparing paragraphs: one definition for the bulk index and the check.

Two paragraphs that differ only in case, spacing, line breaks or punctuation
compare equal.  A word is a run of ASCII letters and digits or of characters
outside ASCII; everything else separates words: ASCII punctuation and
whitespace, Latin-1 punctuation and symbols (U+00A0 to U+00BF: no-break space,
guillemets, section sign...) and general punctuation (U+2000 to U+206F: curly
quotes, dashes, thin spaces, ellipsis).  ASCII letters are folded to lower
case; other characters are kept as they are.  So ``MUGABE’S`` (curly
apostrophe) and ``Mugabe's`` are the same two words, ``mugabe s``.

The vectorised path (``cables.similarity.minhash``) applies the same rules to
UTF-8 bytes; ``tests/cables/test_near_duplicates.py`` checks that both agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Words per shingle.  Three words keep a paragraph with a few words changed
# above the similarity threshold (one changed word spoils at most three
# shingles) while unrelated paragraphs of the corpus share almost none: on the
# development corpus unrelated pairs stay below 0.05, a paragraph with three
# words changed stays above 0.7 in nine cases out of ten.  Changing it means
# rebuilding the index (``manage.py similarity_index --rebuild``).
SHINGLE_WORDS = 3

_WORD = re.compile("[A-Za-z0-9\u0080-\u009f\u00c0-\u1fff\u2070-\U0010ffff]+")
ENCODING_ERRORS = "surrogatepass"  # the same bytes on both paths, even for odd text


@dataclass(frozen=True, slots=True)
class Word:
    """One normalised word and where it stands in the original text (character offsets)."""

    text: bytes
    start: int
    end: int


def words(text: str, *, offset: int = 0) -> list[Word]:
    """The words of ``text``, normalised, with their offsets (plus ``offset``) in it."""
    return [
        Word(m.group().encode("utf-8", ENCODING_ERRORS).lower(), start + offset, end + offset)
        for m in _WORD.finditer(text)
        for start, end in (m.span(),)
    ]


Shingle = tuple[bytes, ...]


def shingles(sequence: Sequence[Word]) -> set[Shingle]:
    """The word shingles of a run of words (empty when it is shorter than one shingle)."""
    texts = [w.text for w in sequence]
    return {tuple(texts[i : i + SHINGLE_WORDS]) for i in range(len(texts) - SHINGLE_WORDS + 1)}


def jaccard(a: set[Shingle], b: set[Shingle]) -> float:
    """|a & b| / |a | b|; 0 for two empty sets (nothing to compare is not a duplicate)."""
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def merged_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character ranges with overlapping or touching ones joined (a run of words
    found piecemeal reads as one passage)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
