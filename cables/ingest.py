"""Bulk import of cables: parse in worker processes, store in batches.

Why this shape: parsing is CPU-bound pure Python and the database load is a
few set-based statements per batch, so parsing runs in a process pool while
the main process writes.  Each batch is one transaction; if it fails, its
cables are retried one by one so that one bad cable never takes the others
down and never leaves part of itself stored.
"""

from __future__ import annotations

import gc
import glob
import hashlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

import numpy as np
from django.db import DatabaseError, transaction
from django.utils import timezone

from cables.loaders import CopyRows, insert_cables, prepare_copy
from cables.models import Cable
from cables.parsing import CableMetadata, ParsedCable, ParseError, metadata_for_file, parse_cable
from cables.parsing.files import decode_utf8
from cables.signals import cables_stored
from cables.similarity import store as similarity
from cables.tasks import declass_compute_task, similarity_index_task

CABLE_SUFFIXES = (".txt", ".html", ".htm", ".md", ".markdown")
MAX_REFERENCE_ID = Cable._meta.get_field("reference_id").max_length or 64
# Cables a transaction: about 2 MB of text, big enough for COPY (500 imported no faster,
# bench/ingest.py), small enough to retry, and committed often enough that the workers
# date and propose on the first batches while the rest are still parsed: with 500, the
# last batch's follow-ups all waited for the import's end (bench/pipeline.py --quick,
# alternate runs: 54-59% end to end with 500, 68-71% with 200, 72-79% with 100, whose
# import alone was 7% slower).
DEFAULT_BATCH_SIZE = 200
POOL_CHUNKSIZE = 64  # sources per message: fewer, larger messages keep the loading process free
# (and a chunk's paragraphs are hashed for the near-duplicate index together)
# Cables per follow-up task.  A batch's follow-ups (dating, indexing, applying the rules)
# cost about as much CPU as its import; as one task each, the last batch's follow-ups ran
# on one worker process while the other had nothing left to do (measured with
# bench/pipeline.py).  Smaller tasks share that tail between the worker's processes.
FOLLOW_UP_CHUNK = 100


@dataclass(frozen=True, slots=True)
class CableSource:
    """One cable to import: where it came from, its text and what is known beside it.

    A source given by ``path`` is read by the worker that parses it, so that
    only the path, not the text, crosses between processes.
    """

    name: str
    text: str | None = None
    metadata: CableMetadata | None = None
    reference_id_override: str | None = None
    path: Path | None = None

    def read(self) -> str:
        """The text; raises ParseError naming the file (and the line of a byte that is
        not UTF-8) when it cannot be read."""
        if self.text is not None:
            return self.text
        if self.path is None:
            raise ParseError("no text and no file to read", source=self.name)
        try:
            data = self.path.read_bytes()
        except OSError as exc:
            raise ParseError(f"cannot read: {exc.strerror}", source=self.name) from None
        return decode_utf8(data, self.name)


@dataclass(slots=True)
class ImportReport:
    imported: int = 0
    paragraphs: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    imported_ids: list[int] = field(default_factory=list)
    # The files found unchanged (source, reference_id), so that whoever reports to a
    # person may tell them apart from conflicts only where that person may read the
    # stored text (cables.import_answer).
    unchanged_items: list[dict[str, str]] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return len(self.unchanged_items)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.conflicts

    def as_dict(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "failed": self.failed,
            "paragraphs": self.paragraphs,
        }


def expand_paths(patterns: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files, folders (searched recursively for cable files) and globs, sorted, unique.

    Raises ``FileNotFoundError`` naming a pattern that matches nothing.
    """
    found: dict[Path, None] = {}
    for pattern in patterns:
        text = os.fspath(pattern)
        matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))] or [Path(text)]
        for match in matches:
            if match.is_dir():
                for child in sorted(match.rglob("*")):
                    if child.is_file() and child.suffix.lower() in CABLE_SUFFIXES:
                        found[child] = None
            elif match.is_file():
                found[match] = None
            else:
                raise FileNotFoundError(f"{text}: no such file or folder")
    return list(found)


def sources_from_paths(paths: Sequence[Path]) -> Iterator[CableSource]:
    """One source per file, with the metadata found beside it; workers read the text."""
    for path in paths:
        yield CableSource(name=str(path), path=path, metadata=metadata_for_file(path))


def parse_source(source: CableSource | ParseError) -> ParsedCable | ParseError:
    """Parse one source; never raises (runs inside pool workers)."""
    if isinstance(source, ParseError):
        return source
    try:
        text = source.read()
        if "\x00" in text:
            line = text.count("\n", 0, text.index("\x00")) + 1
            raise ParseError("contains NUL bytes: not a text cable", source=source.name, line=line)
        parsed = parse_cable(text, source=source.name, metadata=source.metadata)
    except ParseError as exc:
        return exc
    if source.reference_id_override:
        parsed.reference_id = source.reference_id_override
    return parsed


@dataclass(frozen=True, slots=True)
class Prepared:
    """One cable ready to store: its COPY rows and, when the import indexes near-duplicates
    itself, its paragraphs' band keys (``cables.similarity.store.keys_with_ordinals``)."""

    rows: CopyRows
    band_ordinals: np.ndarray | None = None
    band_keys: np.ndarray | None = None
    # The sha256 of the raw text with uniform line endings and no BOM (``uniform_sha256``),
    # to tell the same cable saved by another system from a conflict; never stored.
    uniform_sha256: str | None = None

    @property
    def source(self) -> str:
        return self.rows.source

    @property
    def reference_id(self) -> str:
        return self.rows.reference_id

    @property
    def sha256(self) -> str:
        return self.rows.sha256

    @property
    def paragraph_count(self) -> int:
        return self.rows.paragraph_count


def parse_chunk(
    sources: Sequence[CableSource | ParseError], *, band_min_words: int | None = None
) -> list[Prepared | ParseError]:
    """Parse sources and format their rows for COPY (runs inside pool workers); with
    ``band_min_words``, also hash their paragraphs for the near-duplicate index.

    Hashing here, from the parsed text, spares a follow-up task reading every paragraph
    back from the database to hash it, and the workers hash in parallel.  A chunk's
    paragraphs are hashed together: numpy's work per call costs as much as hashing a
    cable (measured: 0.32 ms a cable hashed alone, 0.12 in a batch of 200)."""
    now = timezone.now()
    out: list[Prepared | ParseError] = []
    texts: list[str] = []
    ordinals: list[int] = []
    counts: list[int] = []
    for source in sources:
        parsed = parse_source(source)
        if isinstance(parsed, ParseError):
            out.append(parsed)
            continue
        uniform = uniform_sha256(parsed.raw_text, parsed.sha256)
        out.append(Prepared(prepare_copy(parsed, now=now), uniform_sha256=uniform))
        texts.extend(p.text for p in parsed.paragraphs)
        ordinals.extend(p.ordinal for p in parsed.paragraphs)
        counts.append(len(parsed.paragraphs))
    if band_min_words is None:
        return out
    hashed = iter(similarity.keys_with_ordinals(texts, ordinals, counts, band_min_words))
    return [
        item
        if isinstance(item, ParseError)
        else Prepared(item.rows, *next(hashed), uniform_sha256=item.uniform_sha256)
        for item in out
    ]


Parsed = ParsedCable | CopyRows | Prepared


def parse_many(
    sources: Iterable[CableSource | ParseError],
    *,
    workers: int | None = None,
    index_near_duplicates: bool = True,
) -> Iterator[Prepared | ParseError]:
    """Parse in a process pool (in order); with one worker, in this process.

    The workers also format the COPY rows (and hash the paragraphs for the near-duplicate
    index), so that the process that loads them does little else.
    """
    work = partial(
        parse_chunk,
        band_min_words=similarity.min_words() if index_near_duplicates else None,
    )
    chunks = _chunked(sources, POOL_CHUNKSIZE)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1:
        for done in map(work, chunks):
            yield from done
        return
    # fork: workers only parse, and share the already-imported parser.
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers, initializer=_worker_start) as pool:
        for done in pool.imap(work, chunks):
            yield from done


def _chunked(items: Iterable[CableSource | ParseError], size: int) -> Iterator[list]:  # type: ignore[type-arg]
    chunk: list = []  # type: ignore[type-arg]
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _worker_start() -> None:
    """Freeze what the forked worker inherited (Django, the app registry, the parser's
    tables) out of the garbage collector: the parser allocates many short-lived objects,
    and each full collection otherwise walks those 100,000 objects again (measured:
    5-10% of a worker's parse time)."""
    gc.freeze()


def cables_import(
    sources: Iterable[CableSource | ParseError],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    index_near_duplicates: bool = True,
) -> ImportReport:
    """Parse and store cables; idempotent.

    The same reference id with the same text is counted unchanged; with other
    text it is a conflict and the stored cable is kept.  New cables are stored with
    their near-duplicate index rows (in the same transaction) unless
    ``index_near_duplicates`` is false, when a follow-up task indexes them.
    """
    report = ImportReport()
    batch: list[Parsed] = []
    for result in parse_many(sources, workers=workers, index_near_duplicates=index_near_duplicates):
        if isinstance(result, ParseError):
            report.failed.append({"source": result.source, "error": str(result)})
        elif not result.reference_id:
            report.failed.append(
                {
                    "source": result.source,
                    "error": f"{result.source}: no reference id in the "
                    "text, the file name or metadata beside it",
                }
            )
        elif len(result.reference_id) > MAX_REFERENCE_ID:
            report.failed.append(
                {
                    "source": result.source,
                    "error": f"{result.source}: reference id "
                    f"{result.reference_id[:80]!r} is longer than {MAX_REFERENCE_ID} characters",
                }
            )
        else:
            batch.append(result)
        if len(batch) >= batch_size:
            store_batch(batch, report)
            batch = []
        if on_progress:
            on_progress(1)
    if batch:
        store_batch(batch, report)
    return report


def store_batch(batch: list[Parsed], report: ImportReport) -> None:
    """Store new cables of one batch in one transaction; sort out the rest."""
    fresh = _select_new(batch, report)
    if not fresh:
        return
    now = timezone.now()
    try:
        with transaction.atomic():
            ids, unindexed = _insert(fresh, now)
    except DatabaseError:
        # One cable (or a concurrent import of the same ids) spoiled the batch:
        # redo it one cable at a time so that the rest still goes in.
        for parsed in fresh:
            _store_one(parsed, report, now)
        return
    _count_imported(fresh, ids, unindexed, report)


def _store_one(parsed: Parsed, report: ImportReport, now: datetime) -> None:
    if not _select_new([parsed], report):
        return
    try:
        with transaction.atomic():
            ids, unindexed = _insert([parsed], now)
    except DatabaseError as exc:
        report.failed.append({"source": parsed.source, "error": f"{parsed.source}: {exc}"})
        return
    _count_imported([parsed], ids, unindexed, report)


def _insert(batch: list[Parsed], now: datetime) -> tuple[list[int], list[int]]:
    """Insert the cables (the caller's transaction) with the near-duplicate index rows
    hashed by the parser workers; returns their ids in order, and the ids of those whose
    index rows are not written (for a follow-up task to write)."""
    ids = insert_cables([p.rows if isinstance(p, Prepared) else p for p in batch], now=now)
    hashed = [
        (pk, p.band_ordinals, p.band_keys)
        for pk, p in zip(ids, batch, strict=True)
        if isinstance(p, Prepared) and p.band_ordinals is not None and p.band_keys is not None
    ]
    if not similarity.index_new_cables(hashed):
        hashed = []
    indexed = {pk for pk, _, _ in hashed}
    return ids, [pk for pk in ids if pk not in indexed]


def _count_imported(
    fresh: list[Parsed], ids: list[int], unindexed: list[int], report: ImportReport
) -> None:
    if ids:
        _queue_declass(ids, unindexed=unindexed)
    report.imported += len(fresh)
    report.imported_ids.extend(ids)
    report.paragraphs += sum(
        len(p.paragraphs) if isinstance(p, ParsedCable) else p.paragraph_count for p in fresh
    )


def _queue_declass(ids: list[int], *, unindexed: list[int] | None = None) -> None:
    """Have workers date the new cables, apply the redaction rules to them and index
    the ``unindexed`` ones (all by default) for near-duplicates (after commit: the ids
    must be visible), in tasks of ``FOLLOW_UP_CHUNK`` cables."""
    unindexed = ids if unindexed is None else unindexed
    for first in range(0, len(ids), FOLLOW_UP_CHUNK):
        chunk = ids[first : first + FOLLOW_UP_CHUNK]
        # robust: a broker that is down must not turn a stored import into an error,
        # nor stop the other follow-ups; a re-run queues what is still undone.
        transaction.on_commit(partial(declass_compute_task.delay, chunk), robust=True)
        # The apps above (redaction rules) queue their own work.
        cables_stored.send(sender=Cable, cable_ids=chunk)
    for first in range(0, len(unindexed), FOLLOW_UP_CHUNK):
        chunk = unindexed[first : first + FOLLOW_UP_CHUNK]
        transaction.on_commit(partial(similarity_index_task.delay, chunk), robust=True)


def _select_new(batch: list[Parsed], report: ImportReport) -> list[Parsed]:
    """Drop cables already stored (unchanged) or stored with other text (conflict).

    The same text with other line endings or a BOM (the cable saved again by another
    system) is unchanged too; the stored raw text and sha256 stay as they are.

    An unchanged cable whose follow-up work never ran (its import was killed
    between storing its batch and queueing that work) has it queued again, so
    that a re-run after a crash leaves no cable undated.
    """
    refs = [p.reference_id for p in batch]
    rows = list(
        Cable.objects.filter(reference_id__in=refs).values_list(
            "reference_id", "sha256", "pk", "declass_computed_at"
        )
    )
    stored = {ref: sha for ref, sha, _, _ in rows}
    undone = {ref: pk for ref, _, pk, computed_at in rows if computed_at is None}
    uniform = _stored_uniform_sha256(
        {p.reference_id for p in batch if stored.get(p.reference_id, p.sha256) != p.sha256}
    )
    fresh: list[Parsed] = []
    resume: list[int] = []
    for parsed in batch:
        ref = parsed.reference_id
        known = stored.get(ref)
        if known is None:
            stored[ref] = parsed.sha256
            uniform[ref] = _uniform_of(parsed)
            fresh.append(parsed)
        elif known == parsed.sha256 or uniform.get(ref) == _uniform_of(parsed):
            report.unchanged_items.append({"source": parsed.source, "reference_id": ref})
            if ref in undone:
                resume.append(undone.pop(ref))
        else:
            report.conflicts.append(
                {
                    "source": parsed.source,
                    "reference_id": ref,
                    "error": f"{parsed.source}: {ref} is already stored with different "
                    "text; kept the stored cable",
                }
            )
    if resume:
        _queue_declass(resume)
    return fresh


def uniform_sha256(text: str, sha256: str) -> str:
    """The sha256 of ``text`` with uniform line endings and no BOM; ``sha256`` (the raw
    text's) when the text already is so, which is nearly always: one search for "\\r"."""
    if "\r" not in text and not text.startswith("\ufeff"):
        return sha256
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _uniform_of(parsed: Parsed) -> str:
    """A parsed cable's ``uniform_sha256`` (rows alone carry no raw text: their sha256)."""
    if isinstance(parsed, ParsedCable):
        return uniform_sha256(parsed.raw_text, parsed.sha256)
    if isinstance(parsed, Prepared) and parsed.uniform_sha256 is not None:
        return parsed.uniform_sha256
    return parsed.sha256


def _stored_uniform_sha256(refs: set[str]) -> dict[str, str]:
    """``uniform_sha256`` of the stored cables whose sha256 differs from the file's: the
    rare path, so their raw text is read only then, in one query for the batch."""
    if not refs:
        return {}
    rows = Cable.objects.filter(reference_id__in=refs).values_list(
        "reference_id", "raw_text", "sha256"
    )
    return {ref: uniform_sha256(raw, sha) for ref, raw, sha in rows}
