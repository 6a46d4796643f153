"""MinHash signatures and LSH band keys for many paragraphs at once, vectorised with numpy.

Why not a per-document library (datasketch): it hashes shingles one Python call at
a time, a few microseconds each; a quarter of a million cables hold some 300
million shingles, minutes of pure Python.  Here a batch of paragraphs is one
byte buffer and every step (normalising, cutting words, hashing words and
shingles, the minimum per paragraph of each hash function) is one numpy
operation over the whole batch.

How two paragraphs become candidates: each has ``NUM_HASHES`` MinHash values;
for two paragraphs with Jaccard similarity ``s`` each value agrees with
probability ``s``.  The values are cut into ``BANDS`` bands of ``ROWS``; a band
key hashes one band, and two paragraphs sharing any band key are candidates.
The chance of that is ``1 - (1 - s**ROWS) ** BANDS``: with 10 bands of 3 rows,
0.985 at s = 0.7, 0.999 at s = 0.8, 0.24 at s = 0.3 and under 1 in 10,000 at
s = 0.02 (typical of unrelated paragraphs).  Candidates are then confirmed
with the exact Jaccard similarity, so a false candidate costs a comparison,
never a false conflict.  Changing these numbers means rebuilding the index.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cables.similarity.text import ENCODING_ERRORS, SHINGLE_WORDS

BANDS = 10
ROWS = 3
NUM_HASHES = BANDS * ROWS
BATCH = 2_000  # paragraphs hashed together: large enough for numpy, small enough for cache

_U64 = np.uint64
_SEP = 0x20
_PRIME = 0x100000001B3  # odd, so invertible modulo 2**64
_PRIME_INV = pow(_PRIME, -1, 2**64)
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_rng = np.random.default_rng(0x5EED_C0DE)  # fixed: keys must be the same in every process
_MUL = _rng.integers(1, 2**63, NUM_HASHES, dtype=np.uint64) * _U64(2) + _U64(1)
_ADD = _rng.integers(0, 2**63, NUM_HASHES, dtype=np.uint64)
_BAND_SALT = _rng.integers(0, 2**63, BANDS, dtype=np.uint64)


def _byte_map() -> np.ndarray:
    """ASCII letters folded, other ASCII but digits a separator, other bytes kept."""
    table = np.arange(256, dtype=np.uint8)
    for byte in range(128):
        char = chr(byte)
        if "A" <= char <= "Z":
            table[byte] = byte + 32
        elif not ("a" <= char <= "z" or "0" <= char <= "9"):
            table[byte] = _SEP
    return table


_BYTE_MAP = _byte_map()
_tables = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def _powers_upto(n: int) -> tuple[np.ndarray, np.ndarray]:
    """PRIME**i and PRIME**-i modulo 2**64 for i < n (grown on demand, kept).

    Both tables are built apart and published together as one tuple: threads of a
    web server read them while another may be growing them.
    """
    global _tables
    tables = _tables
    if len(tables[0]) < n:
        size = max(n, 2 * len(tables[0]), 1 << 16)
        with np.errstate(over="ignore"):
            powers = np.ones(size, dtype=np.uint64)
            np.cumprod(np.full(size - 1, _PRIME, dtype=np.uint64), out=powers[1:])
            inverse = np.ones(size, dtype=np.uint64)
            np.cumprod(np.full(size - 1, _PRIME_INV, dtype=np.uint64), out=inverse[1:])
        tables = _tables = (powers, inverse)
    return tables[0][:n], tables[1][:n]


def _mix(x: np.ndarray) -> np.ndarray:
    """A 64-bit finaliser (MurmurHash3's): every input bit affects every output bit."""
    x = x ^ (x >> _U64(33))
    x *= _U64(0xFF51AFD7ED558CCD)
    x ^= x >> _U64(33)
    x *= _U64(0xC4CEB9FE1A85EC53)
    x ^= x >> _U64(33)
    return x


def _normalised(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The texts as one normalised byte array, and where each text starts in it."""
    encoded = [t.encode("utf-8", ENCODING_ERRORS) for t in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) + 1
    starts = np.zeros(len(encoded), dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    raw = np.frombuffer(b"\n".join(encoded) + b"\n", dtype=np.uint8).copy()
    # U+00A0-U+00BF is C2 A0-BF in UTF-8; U+2000-U+206F is E2 80 xx and E2 81 80-AF.
    lead = np.flatnonzero(raw[:-1] == 0xC2)
    lead = lead[raw[lead + 1] >= 0xA0]
    raw[lead] = _SEP
    raw[lead + 1] = _SEP
    lead = np.flatnonzero(raw[:-2] == 0xE2)
    second, third = raw[lead + 1], raw[lead + 2]
    lead = lead[(second == 0x80) | ((second == 0x81) & (third < 0xB0))]
    for k in range(3):
        raw[lead + k] = _SEP
    return _BYTE_MAP[raw], starts


def _word_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of every word and the index of the text it belongs to."""
    buf, starts = _normalised(texts)
    is_word = (buf != _SEP).view(np.int8)
    edges = np.diff(is_word, prepend=np.int8(0), append=np.int8(0))
    word_start = np.flatnonzero(edges == 1)
    word_end = np.flatnonzero(edges == -1)
    owner = np.searchsorted(starts, word_start, side="right") - 1
    powers, inverse = _powers_upto(len(buf) + 1)
    with np.errstate(over="ignore"):
        # Polynomial hash of each word from prefix sums: sum(b_i * P**i) over the
        # word, shifted back to its start; all modulo 2**64, so wrapping is correct.
        prefix = np.zeros(len(buf) + 1, dtype=np.uint64)
        np.cumsum(buf.astype(np.uint64) * powers[: len(buf)], out=prefix[1:])
        hashes = (prefix[word_end] - prefix[word_start]) * inverse[word_start]
        return _mix(hashes ^ (word_end - word_start).astype(np.uint64)), owner


def shingle_hashes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every shingle's hash, the text it belongs to, and each text's word count."""
    words, owner = _word_hashes(texts)
    word_counts = np.bincount(owner, minlength=len(texts))
    n = len(words) - SHINGLE_WORDS + 1
    if n <= 0:
        return np.empty(0, np.uint64), np.empty(0, np.int64), word_counts
    with np.errstate(over="ignore"):
        combined = words[:n].copy()
        for k in range(1, SHINGLE_WORDS):
            combined = combined * _GOLDEN + words[k : k + n]
        within = owner[:n] == owner[SHINGLE_WORDS - 1 :]  # no shingle spans two texts
        return _mix(combined[within]), owner[:n][within], word_counts


def _band_keys_batch(texts: Sequence[str], min_words: int) -> tuple[np.ndarray, np.ndarray]:
    hashes, owner, word_counts = shingle_hashes(texts)
    counts = np.bincount(owner, minlength=len(texts))
    indexable = (word_counts >= max(min_words, SHINGLE_WORDS)) & (counts > 0)
    keep = indexable[owner]
    hashes, counts = hashes[keep], np.where(indexable, counts, 0)
    rows = np.flatnonzero(indexable)
    bounds = np.zeros(len(rows), dtype=np.int64)
    np.cumsum(counts[rows][:-1], out=bounds[1:])
    signatures = np.empty((len(rows), NUM_HASHES), dtype=np.uint64)
    with np.errstate(over="ignore"):
        if len(rows):
            for k in range(NUM_HASHES):
                signatures[:, k] = np.minimum.reduceat(hashes * _MUL[k] + _ADD[k], bounds)
        bands = signatures.reshape(len(rows), BANDS, ROWS)
        keys = bands[:, :, 0] ^ _BAND_SALT
        for r in range(1, ROWS):
            keys = keys * _GOLDEN + bands[:, :, r]
        keys = _mix(keys)
    out = np.zeros((len(texts), BANDS), dtype=np.int64)
    out[rows] = keys.view(np.int64)
    return out, indexable


def band_keys(texts: Sequence[str], *, min_words: int) -> tuple[np.ndarray, np.ndarray]:
    """LSH band keys of each text, shape (len(texts), BANDS), as signed 64-bit integers
    (what a database bigint holds), and which texts have them: a text with fewer than
    ``min_words`` words is too short to say anything by its likeness and gets none."""
    if not texts:
        return np.zeros((0, BANDS), dtype=np.int64), np.zeros(0, dtype=bool)
    parts = [_band_keys_batch(texts[i : i + BATCH], min_words) for i in range(0, len(texts), BATCH)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
