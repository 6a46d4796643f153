"""The near-duplicate index: band keys of every paragraph, kept in ``ParagraphBand``.

Writing: ``index_cables`` (re)indexes some cables, deleting and inserting their
rows in one transaction, so running it twice changes nothing; newly imported
cables get it from a task queued by the importer.  ``index_rebuild`` redoes the
whole index; on PostgreSQL it streams the paragraphs once, hashes them in
worker processes and loads the rows with binary COPY into the emptied table,
building its two indexes afterwards (faster than maintaining them row by row).
The table stays locked for writers and readers until the rebuild commits.

Reading: ``candidate_ids`` is the one indexed lookup that finds candidates;
``near_duplicates`` confirms them with the exact Jaccard similarity.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet

from cables.models import Cable, Paragraph, ParagraphBand
from cables.similarity import text as words_
from cables.similarity.minhash import BANDS, band_keys

CABLE_CHUNK = 500  # cables re-indexed per transaction
REBUILD_CHUNK = 20_000  # paragraphs read, hashed and loaded per step of a rebuild
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8  # header, no flags, no extension
_COPY_TRAILER = b"\xff\xff"
# One row: the field count, then each bigint as (length, big-endian value).
_COPY_ROW = np.dtype(
    [
        ("n", ">i2"),
        ("kl", ">i4"),
        ("k", ">i8"),
        ("pl", ">i4"),
        ("p", ">i8"),
        ("cl", ">i4"),
        ("c", ">i8"),
    ]
)


def min_words() -> int:
    """Paragraphs with fewer words are neither indexed nor compared (setting
    ``DECLASS_SIMILARITY_MIN_WORDS``): a signature block or "2. (U) Agreed." says
    nothing by its likeness to another."""
    value = getattr(settings, "DECLASS_SIMILARITY_MIN_WORDS", 8)
    if not isinstance(value, int) or value < words_.SHINGLE_WORDS:
        raise ImproperlyConfigured(
            f"DECLASS_SIMILARITY_MIN_WORDS must be an integer of at least "
            f"{words_.SHINGLE_WORDS} (words per shingle), got {value!r}"
        )
    return value


def threshold() -> float:
    """The Jaccard similarity at which two paragraphs are near-duplicates (setting
    ``DECLASS_SIMILARITY_THRESHOLD_PCT``, in percent)."""
    value = getattr(settings, "DECLASS_SIMILARITY_THRESHOLD_PCT", 70)
    if not isinstance(value, int) or not 1 <= value <= 100:
        raise ImproperlyConfigured(
            f"DECLASS_SIMILARITY_THRESHOLD_PCT must be an integer from 1 to 100, got {value!r}"
        )
    return value / 100


def keys_for(texts: Sequence[str]) -> list[list[int]]:
    """The band keys of each text (an empty list for a text too short to index)."""
    keys, indexable = band_keys(texts, min_words=min_words())
    return [row if ok else [] for row, ok in zip(keys.tolist(), indexable.tolist(), strict=True)]


# -- reading ------------------------------------------------------------------------------


def candidate_ids(keys: Iterable[int]) -> QuerySet[ParagraphBand]:
    """Ids (``paragraph_id``) of the paragraphs sharing any of these band keys: one
    index lookup, meant as a subquery (``paragraph_id__in=candidate_ids(...)``)."""
    return ParagraphBand.objects.filter(key__in=sorted(set(keys))).values("paragraph_id")


def candidates_elsewhere(keys: Iterable[int], *, exclude_cable_id: int) -> list[int]:
    """Ids of the paragraphs of other cables sharing any of these band keys (one
    query; the keys travel as one array parameter)."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    table = ParagraphBand._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT paragraph_id FROM {table}"  # nosec B608
            " WHERE key = ANY(%s) AND cable_id <> %s",
            [wanted, exclude_cable_id],
        )
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True, slots=True)
class Match:
    paragraph_id: int
    cable_id: int
    similarity: float


def near_duplicates(text: str, *, exclude_cable_id: int | None = None) -> list[Match]:
    """Stored paragraphs whose similarity to ``text`` reaches the threshold, most
    similar first (one query)."""
    keys = keys_for([text])[0]
    if not keys:
        return []
    rows = Paragraph.objects.filter(pk__in=candidate_ids(keys))
    if exclude_cable_id is not None:
        rows = rows.exclude(cable_id=exclude_cable_id)
    mine = words_.shingles(words_.words(text))
    limit = threshold()
    found = []
    for pk, cable_id, other in rows.values_list("pk", "cable_id", "text"):
        score = words_.jaccard(mine, words_.shingles(words_.words(other)))
        if score >= limit:
            found.append(Match(pk, cable_id, score))
    return sorted(found, key=lambda m: (-m.similarity, m.paragraph_id))


# -- writing ------------------------------------------------------------------------------


def _band_rows(
    ids: Sequence[int], cable_ids: Sequence[int], texts: Sequence[str], minimum: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(key, paragraph id, cable id) columns of the index rows for these paragraphs
    (pure: also runs in a rebuild's worker processes)."""
    keys, indexable = band_keys(texts, min_words=minimum)
    keep = np.flatnonzero(indexable)
    return (
        keys[keep].ravel(),
        np.repeat(np.asarray(ids, dtype=np.int64)[keep], BANDS),
        np.repeat(np.asarray(cable_ids, dtype=np.int64)[keep], BANDS),
    )


def _copy_binary(rows: tuple[np.ndarray, np.ndarray, np.ndarray]) -> bytes:
    """The rows in PostgreSQL's binary COPY format, built by numpy in one pass."""
    keys, paragraphs, cables = rows
    out = np.empty(len(keys), dtype=_COPY_ROW)
    out["n"], out["kl"], out["pl"], out["cl"] = 3, 8, 8, 8
    out["k"], out["p"], out["c"] = keys, paragraphs, cables
    return out.tobytes()


def _copy_into(cursor: object, data: Iterable[bytes]) -> None:
    table = connection.ops.quote_name(ParagraphBand._meta.db_table)
    pg = cursor.cursor  # type: ignore[attr-defined]  # psycopg's cursor under Django's
    with pg.copy(f"COPY {table} (key, paragraph_id, cable_id) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_COPY_SIGNATURE)
        for block in data:
            copy.write(block)
        copy.write(_COPY_TRAILER)


def _write(rows: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    if not len(rows[0]):
        return
    with connection.cursor() as cursor:
        _copy_into(cursor, [_copy_binary(rows)])


def keys_with_ordinals(
    texts: Sequence[str], ordinals: Sequence[int], counts: Sequence[int], minimum: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per cable, (ordinals of its paragraphs long enough to index, their band keys), from
    the paragraphs of several cables in a row (``counts``: how many are each cable's).
    Pure: runs in the import's parser workers, before the paragraphs have ids."""
    keys, indexable = band_keys(texts, min_words=minimum)
    numbers = np.asarray(ordinals, dtype=np.int64)
    out = []
    first = 0
    for count in counts:
        keep = np.flatnonzero(indexable[first : first + count]) + first
        out.append((numbers[keep], keys[keep]))
        first += count
    return out


# The table names from the models; the ids are one bound array.
_PARAGRAPH_IDS_SQL = f"""
SELECT cable_id, ordinal, id FROM {Paragraph._meta.db_table} WHERE cable_id = ANY(%s)
"""  # nosec B608
# The lock COPY takes anyway, refused at once while a rebuild holds the table.
_LOCK_NOWAIT_SQL = f"LOCK TABLE {ParagraphBand._meta.db_table} IN ROW EXCLUSIVE MODE NOWAIT"  # nosec B608
_LOCK_NOT_AVAILABLE = "55P03"


def index_new_cables(hashed: Sequence[tuple[int, np.ndarray, np.ndarray]]) -> bool:
    """Write the index rows of cables stored in this transaction, from band keys computed
    before they were stored: (cable id, ordinals, keys) as ``keys_with_ordinals`` gave
    them.  For cables new in this transaction only (they have no rows to replace).

    The import hashes each cable's paragraphs in its parser workers, from the text it
    stores, so that no task reads the paragraphs back to index them; the rows go in with
    the cable, in its transaction.  Returns False, having written nothing, while a rebuild
    holds the index table (for up to an hour): the import goes on and the caller has
    these cables indexed later (``index_cables``), as before.
    """
    hashed = [h for h in hashed if len(h[1])]
    if not hashed:
        return True
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on without
            with connection.cursor() as cursor:
                cursor.execute(_LOCK_NOWAIT_SQL)
                cursor.execute(_PARAGRAPH_IDS_SQL, [[cable_id for cable_id, _, _ in hashed]])
                ids = {(cable_id, ordinal): pk for cable_id, ordinal, pk in cursor.fetchall()}
            _write(_new_rows(hashed, ids))
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return False
        raise
    return True


def _new_rows(
    hashed: Sequence[tuple[int, np.ndarray, np.ndarray]], ids: dict[tuple[int, int], int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    paragraphs = np.fromiter(
        (ids[cable, ordinal] for cable, ordinals, _ in hashed for ordinal in ordinals.tolist()),
        dtype=np.int64,
    )
    cables = np.repeat(
        np.fromiter((cable_id for cable_id, _, _ in hashed), dtype=np.int64, count=len(hashed)),
        [len(ordinals) for _, ordinals, _ in hashed],
    )
    keys = np.concatenate([keys for _, _, keys in hashed])
    return keys.ravel(), np.repeat(paragraphs, BANDS), np.repeat(cables, BANDS)


def index_cables(cable_ids: Sequence[int]) -> int:
    """(Re)index these cables' paragraphs; returns the index rows written.

    Idempotent: a cable's rows are deleted and written again in one transaction.
    Two workers indexing the same cable at once: the second one's insert meets
    the first one's rows and is retried once, after they are visible.
    """
    written = 0
    ids = sorted(set(cable_ids))
    for first in range(0, len(ids), CABLE_CHUNK):
        chunk = ids[first : first + CABLE_CHUNK]
        rows = list(
            Paragraph.objects.filter(cable_id__in=chunk)
            .order_by()
            .values_list("pk", "cable_id", "text")
        )
        band_rows = _band_rows(*zip(*rows, strict=True), min_words()) if rows else None
        for attempt in (1, 2):
            try:
                with transaction.atomic():
                    ParagraphBand.objects.filter(cable_id__in=chunk).delete()
                    if band_rows is not None:
                        _write(band_rows)
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        written += len(band_rows[0]) if band_rows is not None else 0
    return written


def index_missing(*, on_progress: Callable[[int], None] | None = None) -> int:
    """Index the cables that have no index rows yet (stored before the index existed,
    or whose task was lost); resumable, and readers are never blocked.  Returns the
    number of cables looked at (a cable whose paragraphs are all too short to index
    is looked at again each time: it costs little)."""
    missing = (
        Cable.objects.filter(~Exists(ParagraphBand.objects.filter(cable_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ids = list(missing)
    for first in range(0, len(ids), CABLE_CHUNK):
        chunk = ids[first : first + CABLE_CHUNK]
        index_cables(chunk)
        if on_progress:
            on_progress(len(chunk))
    return len(ids)


@dataclass(frozen=True, slots=True)
class RebuildReport:
    paragraphs: int
    indexed: int  # paragraphs long enough to index
    rows: int


def _hash_chunk(chunk: tuple[list[int], list[int], list[str], int]) -> tuple[int, int, bytes]:
    """Runs in a worker process: no database, only numpy."""
    rows = _band_rows(*chunk)
    return len(chunk[0]), len(rows[0]), _copy_binary(rows)


def _chunks(minimum: int) -> Iterator[tuple[list[int], list[int], list[str], int]]:
    rows = Paragraph.objects.order_by().values_list("pk", "cable_id", "text")
    ids: list[int] = []
    cables: list[int] = []
    texts: list[str] = []
    for pk, cable_id, body in rows.iterator(chunk_size=REBUILD_CHUNK):
        ids.append(pk)
        cables.append(cable_id)
        texts.append(body)
        if len(ids) >= REBUILD_CHUNK:
            yield ids, cables, texts, minimum
            ids, cables, texts = [], [], []
    if ids:
        yield ids, cables, texts, minimum


def index_rebuild(
    *, workers: int | None = None, on_progress: Callable[[int], None] | None = None
) -> RebuildReport:
    """Index every paragraph again, from scratch, in one transaction."""
    minimum = min_words()
    workers = workers if workers is not None else min(os.cpu_count() or 1, 2)
    with transaction.atomic():
        return _rebuild_postgresql(minimum, workers, on_progress)


def _rebuild_postgresql(
    minimum: int, workers: int, on_progress: Callable[[int], None] | None
) -> RebuildReport:
    # Emptying the table and dropping, then building, its primary key and index take
    # its owner: the application role calls the owner's two functions that do just
    # that (workflow migration 0008, audit/db_roles.py).
    with connection.cursor() as cursor:
        # TRUNCATE takes the table's lock first: see the module docstring.
        cursor.execute("SELECT cables_band_index_empty()")
        paragraphs = indexed = written = 0
        blocks: list[bytes] = []
        for n, rows, block in _hashed(_chunks(minimum), workers):
            paragraphs, indexed, written = paragraphs + n, indexed + rows // BANDS, written + rows
            blocks.append(block)
            if sum(map(len, blocks)) > 32 << 20:
                _copy_into(cursor, blocks)
                blocks = []
            if on_progress:
                on_progress(n)
        _copy_into(cursor, blocks)
        cursor.execute("SELECT cables_band_index_build()")
    return RebuildReport(paragraphs, indexed, written)


def _hashed(chunks: Iterator[tuple], workers: int) -> Iterator[tuple]:  # type: ignore[type-arg]
    """Hash the chunks in worker processes while this process reads and loads.

    The chunks are read here, in this thread (``Pool.imap`` would pull them from a
    thread of its own, which has no share in this transaction); a few chunks
    are in flight at a time so that reading, hashing and loading overlap.
    """
    if workers <= 1:
        yield from map(_hash_chunk, chunks)
        return
    # fork: the workers only hash, with the modules already imported.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[AsyncResult] = deque()  # type: ignore[type-arg]
        for chunk in chunks:
            pending.append(pool.apply_async(_hash_chunk, (chunk,)))
            if len(pending) > workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()
