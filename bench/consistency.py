"""Consistency benchmark: the near-duplicate index over 250,000 cables, and release checks.

Data: 250,000 cables (20,000 with ``--quick``, any number with ``--cables``)
with the headers, paragraph counts, markings and paragraph lengths of the dev
corpus cables, in the COPY form ``cables.loaders.prepare_copy`` gives them,
new ids and reference ids.  Paragraph text is new for every paragraph, generated from the
corpus's own words by a word-pair (bigram) chain, so that the corpus repeated
does not make every paragraph a duplicate of a thousand others.  On top of
that, as cables really come:

- every 25th cable is a *source* whose paragraphs are decided: half released,
  30% withheld, 20% released with a two-word redaction;
- 4% of cables are *retransmissions* of a source cable seven before, with
  up to three words changed per paragraph;
- 4% *quote* one paragraph of a source cable (one word changed);
- 2% more repeat an undecided cable verbatim.

The rows are made in chunks by ``--workers`` processes (each chunk seeded on
its own, so the data does not depend on who made it) and streamed with one COPY
per table (cables, paragraphs, decisions, on three connections at once) into
the tables stripped of their secondary indexes and foreign keys, which are then
built again as they were; the status rows the insert trigger would write come in
one INSERT.  That is how a million cables load in minutes instead of an hour:
the load is timed apart from the index and constraint builds.

Then it times building the whole index (``manage.py similarity_index
--rebuild``: read every paragraph, hash in two worker processes, binary COPY,
build the two indexes) and checking one release (``release_conflicts``: the
median over 50 retransmissions, each with several conflicts, and over 50
ordinary cables, with none), and checks that the withheld paragraphs of the
sources are flagged in their retransmissions.

Baselines in the same run: for the index, reading the paragraphs alone,
hashing alone (one process), and the raw COPY of the same index rows into a
table without indexes plus building those indexes there (``--floors``; by
default only up to 250,000 cables: the raw COPY holds the whole index in
memory); for the check, the
brute force that compares the release with every withheld or redacted
paragraph there is.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/declass bench/consistency.py [--quick]

It works in its own database (the URL's name + ``_bench_consistency``), made
anew and dropped at the end (``--keep`` keeps it).  Last line:
``cables=N paragraphs=N load_s=N build_s=N index_s=N check_ms=N check_p95_ms=N plain_ms=N
plain_p95_ms=N baseline_copy_s=N baseline_bruteforce_ms=N`` (``load_s``: generating and
COPY; ``build_s``: the cable, paragraph and decision indexes and constraints;
``index_s``: the near-duplicate index rebuild; ``check_*``: a release check of a
retransmission, ``plain_*``: of an ordinary cable).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path

import numpy as np
from psycopg.copy import QueuedLibpqWriter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import dev_corpus, drop_secondary_indexes, setup_bench_database  # noqa: E402

CHUNK = 5_000  # cables generated at a time (a multiple of the periods below)
SOURCE_EVERY = 25  # i % 25 == 0: decided source cables
RETRANSMIT_AT, QUOTE_AT = 7, 13  # i % 25 == 7: retransmission of i - 7; 13: quotes i - 13
REPEAT_EVERY, REPEAT_AT, REPEAT_FROM = 50, 20, 3  # i % 50 == 20: verbatim repeat of i - 3
CHECKS = 50
MAINTENANCE_WORK_MEM = "1GB"  # for the index builds after the load
EDIT_WORDS = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO", "FOXTROT", "GOLF", "HOTEL"]


# -- generating ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """One corpus cable in COPY text, its reference id cut out; its paragraphs' shapes."""

    reference_id: str
    head: str
    tail: str
    prefixes: tuple[str, ...]  # "ordinal\tnumber\tlevel\tcontrols\texplicit\t" per paragraph
    lengths: tuple[int, ...]  # words per paragraph


@dataclass
class Chain:
    """A word-pair chain over the corpus's words: new text with the corpus's vocabulary."""

    vocab: np.ndarray  # object array of words
    widths: np.ndarray  # len(word) + 1 (the space)
    starts: np.ndarray  # words that begin a paragraph
    offsets: np.ndarray  # successors of word w: successors[offsets[w]:offsets[w + 1]]
    successors: np.ndarray
    edit_ids: list[int]  # the words an edit puts in
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))

    @classmethod
    def from_paragraphs(cls, paragraphs: list[str]) -> Chain:
        index: dict[str, int] = {}
        runs = []
        for text in paragraphs:
            words = [w for w in text.split() if "\\" not in w]
            if words:
                runs.append(np.array([index.setdefault(w, len(index)) for w in words]))
        pairs = np.concatenate([np.stack([r[:-1], r[1:]], axis=1) for r in runs if len(r) > 1])
        pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
        edit_ids = [index.setdefault(w, len(index)) for w in EDIT_WORDS]
        offsets = np.searchsorted(pairs[:, 0], np.arange(len(index) + 1))
        vocab = np.array(list(index), dtype=object)
        return cls(
            vocab=vocab,
            widths=np.array([len(w) + 1 for w in vocab]),
            starts=np.array([r[0] for r in runs]),
            offsets=offsets,
            successors=pairs[:, 1],
            edit_ids=edit_ids,
        )

    def generate(self, lengths: np.ndarray) -> list[np.ndarray]:
        """One word-id array per requested length, all walked in step (vectorised)."""
        order = np.argsort(-lengths, kind="stable")  # longest first: the active ones lead
        sorted_lengths = lengths[order]
        begins = np.zeros(len(lengths), dtype=np.int64)
        np.cumsum(lengths[:-1], out=begins[1:])
        flat = np.empty(int(lengths.sum()), dtype=np.int64)
        current = self.rng.choice(self.starts, len(lengths))
        degree = np.diff(self.offsets)
        for step in range(int(lengths.max(initial=0))):
            active = int(np.searchsorted(-sorted_lengths, -step, side="left"))
            current = current[:active]
            flat[begins[order[:active]] + step] = current
            lo, count = self.offsets[current], degree[current]
            pick = lo + (self.rng.random(active) * np.maximum(count, 1)).astype(np.int64)
            current = np.where(
                count > 0,
                self.successors[np.minimum(pick, len(self.successors) - 1)],
                self.rng.choice(self.starts, active),
            )
        return np.split(flat, begins[1:])

    def edit(self, ids: np.ndarray, changes: int, rng: random.Random) -> np.ndarray:
        ids = ids.copy()
        for i in rng.sample(range(len(ids)), min(changes, len(ids))):
            ids[i] = self.edit_ids[rng.randrange(len(self.edit_ids))]
        return ids


def _templates(corpus: Path, now) -> tuple[list[Template], list[str]]:  # type: ignore[no-untyped-def]
    from cables.loaders import CABLE_COLUMNS, prepare_copy
    from cables.parsing import metadata_for_file, parse_file

    at = CABLE_COLUMNS.index("reference_id") - 1  # prepared lines lack the id column
    templates, texts = [], []
    for path in sorted(corpus.glob("*.txt")):
        parsed = parse_file(path, metadata=metadata_for_file(path))
        if not parsed.paragraphs:
            continue
        rows = prepare_copy(parsed, now=now)
        cells = rows.cable.split("\t")  # tabs inside values are escaped: a safe split
        templates.append(
            Template(
                reference_id=rows.reference_id,
                head="".join(c + "\t" for c in cells[:at]),
                tail="".join("\t" + c for c in cells[at + 1 :]),
                prefixes=tuple(r.rsplit("\t", 1)[0] + "\t" for r in rows.paragraphs),
                lengths=tuple(max(5, len(p.text.split())) for p in parsed.paragraphs),
            )
        )
        texts.extend(p.text for p in parsed.paragraphs)
    return templates, texts


@dataclass
class Plan:
    """What the generated data holds, for the checks afterwards."""

    paragraphs: int = 0
    decisions: int = 0
    withheld: dict[int, set[int]] = field(default_factory=dict)  # source id -> ¶ ordinals
    checked: list[int] = field(default_factory=list)  # retransmissions checked
    plain: list[int] = field(default_factory=list)  # ordinary cables checked


def _template_of(i: int, n: int) -> int:
    """A retransmission or repeat keeps its source's shape (paragraphs and markings)."""
    if i % SOURCE_EVERY == RETRANSMIT_AT:
        return (i - RETRANSMIT_AT) % n
    if i % REPEAT_EVERY == REPEAT_AT:
        return (i - REPEAT_FROM) % n
    return i % n


LOADED = ("cables_cable", "cables_paragraph", "workflow_decision")
_GEN: dict[str, object] = {}  # what the generating processes inherit (fork)


@dataclass(frozen=True)
class Rows:
    """One chunk of cables in COPY text, made in a worker process."""

    cables: bytes
    paragraphs: bytes
    decisions: bytes
    count: int  # paragraphs
    decided: int  # decisions
    withheld: dict[int, set[int]]


def _generate_chunk(job: tuple[int, int, int]) -> Rows:
    """Cables ``first``..``last - 1`` (ids ``first + 1``..), paragraph ids from
    ``pid``: runs in a worker process, no database.  Each chunk has its own seeds,
    so a chunk's text does not depend on which process made it or when."""
    first, last, pid = job
    templates: list[Template] = _GEN["templates"]  # type: ignore[assignment]
    chain: Chain = _GEN["chain"]  # type: ignore[assignment]
    checked: set[int] = _GEN["checked"]  # type: ignore[assignment]
    now, user_id = _GEN["now"], _GEN["user_id"]
    n = len(templates)
    chain.rng = np.random.default_rng([7, first])
    # Seeded on purpose: the same data every run (B311: no secret here).
    rng = random.Random(11_000_003 * first + 11)  # nosec B311
    shapes = [templates[_template_of(i, n)] for i in range(first, last)]
    generated = chain.generate(np.array([x for t in shapes for x in t.lengths]))
    words: dict[int, list[np.ndarray]] = {}
    at = 0
    for i, shape in zip(range(first, last), shapes, strict=True):
        words[i] = generated[at : at + len(shape.lengths)]
        at += len(shape.lengths)
    _repeat(words, range(first, last), chain, rng)
    cables, paragraphs, decisions = [], [], []
    withheld: dict[int, set[int]] = {}
    vocab = chain.vocab
    for i, shape in zip(range(first, last), shapes, strict=True):
        cable_id = i + 1
        cables.append(f"{cable_id}\t{shape.head}{shape.reference_id}B{i:07d}{shape.tail}\n")
        for ordinal, (prefix, ids) in enumerate(zip(shape.prefixes, words[i], strict=True), 1):
            pid += 1
            paragraphs.append(f"{pid}\t{cable_id}\t{prefix}{' '.join(vocab[ids])}\n")
            kind, spans, label = _decision_for(i, ids, chain, rng)
            if kind is None and i in checked:
                kind = "release"
            if kind is None:
                continue
            if kind == "withhold" and len(ids) >= 8:
                withheld.setdefault(cable_id, set()).add(ordinal)
            decisions.append(
                f"{cable_id}\t{pid}\t{kind}\t{json.dumps(spans)}\t{label}\t\t\t\\N\t"
                f"{user_id}\t{now}\n"
            )
    return Rows(
        cables="".join(cables).encode(),
        paragraphs="".join(paragraphs).encode(),
        decisions="".join(decisions).encode(),
        count=len(paragraphs),
        decided=len(decisions),
        withheld=withheld,
    )


def _jobs(templates: list[Template], total: int) -> Iterator[tuple[int, int, int]]:
    """(first, last, first paragraph id - 1) of each chunk: paragraph counts follow
    from the templates alone, so chunks can be made in any process, in any order."""
    n = len(templates)
    counts = [len(t.lengths) for t in templates]
    pid = 0
    for first in range(0, total, CHUNK):
        last = min(total, first + CHUNK)
        yield first, last, pid
        pid += sum(counts[_template_of(i, n)] for i in range(first, last))


def _generated(jobs: Iterator[tuple[int, int, int]], workers: int) -> Iterator[Rows]:
    """The chunks in order, made by ``workers`` processes, a few ahead at most."""
    if workers <= 1:
        yield from map(_generate_chunk, jobs)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque[AsyncResult] = deque()  # type: ignore[type-arg]
        for job in jobs:
            pending.append(pool.apply_async(_generate_chunk, (job,)))
            if len(pending) > workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


@dataclass
class LoadTimes:
    copy_s: float = 0.0  # generating and COPY of the three tables
    status_s: float = 0.0  # the status rows the insert trigger would have written
    index_s: float = 0.0  # the dropped indexes and constraints built again
    vacuum_s: float = 0.0  # VACUUM ANALYZE of the loaded tables


def _load(
    templates: list[Template], chain: Chain, total: int, user_id: int, workers: int
) -> tuple[Plan, LoadTimes]:
    """Generate the cables (ids 1..total), paragraphs and decisions in ``workers``
    processes and stream them with one COPY per table, on three connections at
    once, into the tables stripped of their secondary indexes and foreign keys;
    then write the status rows and build the indexes and constraints again."""
    import psycopg
    from django.db import connection
    from django.utils import timezone

    from cables.loaders import CABLE_COLUMNS, PARAGRAPH_COLUMNS

    rng = random.Random(11)  # nosec B311
    plan = Plan()
    times = LoadTimes()
    retransmissions = range(RETRANSMIT_AT, total, SOURCE_EVERY)
    plain = [i for i in range(total) if i % SOURCE_EVERY not in (0, RETRANSMIT_AT, QUOTE_AT)]
    checked = set(rng.sample(retransmissions, min(CHECKS, len(retransmissions))))
    plain_checked = set(rng.sample(plain, min(CHECKS, len(plain))))
    plan.checked = sorted(i + 1 for i in checked)
    plan.plain = sorted(i + 1 for i in plain_checked)
    _GEN.update(
        templates=templates,
        chain=chain,
        checked=checked | plain_checked,
        now=timezone.now().isoformat(),
        user_id=user_id,
    )
    cable_names = ", ".join(connection.ops.quote_name(c) for c in CABLE_COLUMNS)
    statements = (
        f"COPY cables_cable ({cable_names}) FROM STDIN",
        f"COPY cables_paragraph ({', '.join(('id', *PARAGRAPH_COLUMNS))}) FROM STDIN",
        "COPY workflow_decision (cable_id, paragraph_id, kind, spans, label, "
        "referral_agency, note, supersedes_id, decided_by_id, decided_at) FROM STDIN",
    )
    with connection.cursor() as cur:
        again = drop_secondary_indexes(cur, LOADED)
        # The benchmark writes the status rows itself, after the load (one INSERT).
        cur.execute("ALTER TABLE cables_cable DISABLE TRIGGER workflow_status_cables_added")
    start = time.perf_counter()
    url = os.environ["DATABASE_URL"]
    with ExitStack() as stack:
        copies = []
        for statement in statements:
            conn = stack.enter_context(psycopg.connect(url))
            cursor = stack.enter_context(conn.cursor())
            copies.append(
                stack.enter_context(cursor.copy(statement, writer=QueuedLibpqWriter(cursor)))
            )
        done = 0
        for rows in _generated(_jobs(templates, total), workers):
            for copy, data in zip(
                copies, (rows.cables, rows.paragraphs, rows.decisions), strict=True
            ):
                copy.write(data)
            plan.paragraphs += rows.count
            plan.decisions += rows.decided
            plan.withheld.update(rows.withheld)
            done += rows.cables.count(b"\n")
            print(f"  generated and loaded {done:,} cables", end="\r", flush=True)
    print()
    times.copy_s = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE cables_cable ENABLE TRIGGER workflow_status_cables_added")
        start = time.perf_counter()
        cur.execute(  # what workflow_status_cables_added does for a COPY
            "INSERT INTO workflow_cablestatus (cable_id, review_state, declass_date) "
            "SELECT id, 'ingested', declass_date FROM cables_cable "
            "ON CONFLICT (cable_id) DO NOTHING"
        )
        times.status_s = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute(f"SET maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        for statement in again:
            cur.execute(statement)
        times.index_s = time.perf_counter() - start
        for table, value in (
            ("cables_cable", total),
            ("cables_paragraph", plan.paragraphs),
            ("workflow_decision", max(plan.decisions, 1)),
        ):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [value])
        start = time.perf_counter()
        # A table in service has been vacuumed (hint bits set, visibility map).
        cur.execute(f"VACUUM ANALYZE {', '.join(LOADED)}, workflow_cablestatus")
        times.vacuum_s = time.perf_counter() - start
    return plan, times


def _repeat(
    words: dict[int, list[np.ndarray]], cables: range, chain: Chain, rng: random.Random
) -> None:
    """Make the retransmissions, quotations and repeats (their sources are earlier in
    the same chunk: the chunk size is a multiple of the periods)."""
    for i in cables:
        phase = i % SOURCE_EVERY
        if phase == RETRANSMIT_AT:
            words[i] = [chain.edit(w, rng.randrange(4), rng) for w in words[i - RETRANSMIT_AT]]
        elif phase == QUOTE_AT:
            source = words[i - QUOTE_AT]
            quoted = chain.edit(source[rng.randrange(len(source))], 1, rng)
            words[i][rng.randrange(len(words[i]))] = quoted
        elif i % REPEAT_EVERY == REPEAT_AT:
            words[i] = list(words[i - REPEAT_FROM])


def _decision_for(i: int, ids: np.ndarray, chain: Chain, rng: random.Random):  # type: ignore[no-untyped-def]
    """A source cable's paragraph: half released, 30% withheld, 20% a two-word redaction."""
    if i % SOURCE_EVERY != 0:
        return None, [], ""
    draw = rng.random()
    if draw < 0.5:
        return "release", [], ""
    if draw < 0.8 or len(ids) < 4:
        return "withhold", [], "(b)(1) 1.4(d)"
    k = rng.randrange(len(ids) - 1)
    start = int(chain.widths[ids[:k]].sum())
    end = start + int(chain.widths[ids[k]] + chain.widths[ids[k + 1]]) - 1
    return "redact", [{"start": start, "end": end, "label": "(b)(6)"}], ""


# -- measuring ----------------------------------------------------------------------------


def _read_floor() -> float:
    """Stream every paragraph's text as the rebuild does, and nothing else."""
    from django.db import transaction

    from cables.similarity import store

    start = time.perf_counter()
    with transaction.atomic():
        for _ in store._chunks(8):
            pass
    return time.perf_counter() - start


def _hash_rate(sample: int) -> tuple[float, int]:
    """Paragraphs hashed per second by one process, on the first ``sample`` paragraphs."""
    from cables.models import Paragraph
    from cables.similarity import minhash, store

    texts = list(Paragraph.objects.order_by("pk").values_list("text", flat=True)[:sample])
    start = time.perf_counter()
    minhash.band_keys(texts, min_words=store.min_words())
    return len(texts) / (time.perf_counter() - start), len(texts)


def _copy_floor() -> tuple[float, float]:
    """The same index rows COPY'd into a table without indexes, then its two indexes
    built: the cost of storing the rows, without reading or hashing anything."""
    import io

    from django.db import connection

    with connection.cursor() as cur:
        pg = cur.cursor
        buf = io.BytesIO()
        with pg.copy(
            "COPY cables_paragraphband (key, paragraph_id, cable_id) TO STDOUT (FORMAT BINARY)"
        ) as copy:
            for block in copy:
                buf.write(block)
        cur.execute("CREATE TABLE floor_band (LIKE cables_paragraphband)")
        data = buf.getvalue()
        start = time.perf_counter()
        with pg.copy(
            "COPY floor_band (key, paragraph_id, cable_id) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.write(data)
        copied = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute("ALTER TABLE floor_band ADD PRIMARY KEY (key, paragraph_id)")
        cur.execute("CREATE INDEX ON floor_band (cable_id)")
        indexed = time.perf_counter() - start
        cur.execute("DROP TABLE floor_band")
    return copied, indexed


def _checks(ids: list[int]) -> tuple[list[float], list[int]]:
    from cables.models import Cable
    from workflow.consistency import release_conflicts

    cables = Cable.objects.in_bulk(ids)
    release_conflicts(cables[ids[0]])  # warm-up
    times, found = [], []
    for pk in ids:
        start = time.perf_counter()
        conflicts = release_conflicts(cables[pk])
        times.append((time.perf_counter() - start) * 1000)
        found.append(len(conflicts))
    return times, found


def _candidates(ids: list[int]) -> list[int]:
    """Paragraphs of other cables sharing a band key with each cable (what a check
    reads before it compares): with the index, this count, not N, sets its cost."""
    from cables.models import Paragraph
    from cables.similarity import store

    counts = []
    for pk in ids:
        texts = list(Paragraph.objects.filter(cable_id=pk).values_list("text", flat=True))
        keys = {k for row in store.keys_for(texts) for k in row}
        counts.append(len(store.candidates_elsewhere(keys, exclude_cable_id=pk)))
    return counts


def _recall(plan: Plan) -> tuple[int, int]:
    """Of the withheld source paragraphs whose retransmission is still a near-duplicate
    (exact Jaccard similarity at or above the threshold), how many are flagged."""
    from cables.models import Cable, Paragraph
    from cables.similarity import store
    from cables.similarity.text import jaccard, shingles, words
    from workflow.consistency import release_conflicts

    flagged = expected = 0
    for pk in plan.checked:
        source = pk - RETRANSMIT_AT
        texts = {
            (c, o): shingles(words(t))
            for c, o, t in Paragraph.objects.filter(cable_id__in=[pk, source]).values_list(
                "cable_id", "ordinal", "text"
            )
        }
        want = {
            o
            for o in plan.withheld.get(source, set())
            if jaccard(texts[(source, o)], texts[(pk, o)]) >= store.threshold()
        }
        got = {
            c.paragraph.ordinal
            for c in release_conflicts(Cable.objects.get(pk=pk))
            if c.other_cable.pk == source and c.withheld_in_full
        }
        expected += len(want)
        flagged += len(want & got)
    return flagged, expected


def _brute_force(pk: int) -> float:
    """The same question without the index: compare the release's paragraphs with
    every paragraph whose current decision withholds or redacts."""
    from django.db.models import Max

    from cables.models import Paragraph
    from cables.similarity import store
    from cables.similarity.text import jaccard, shingles, words
    from workflow.models import Decision

    start = time.perf_counter()
    mine = [
        shingles(words(t))
        for t in Paragraph.objects.filter(cable_id=pk).values_list("text", flat=True)
    ]
    latest = Decision.objects.values("paragraph_id").annotate(last=Max("id")).values("last")
    rows = (
        Decision.objects.filter(pk__in=latest, kind__in=["withhold", "redact"])
        .exclude(cable_id=pk)
        .values_list("paragraph__text", flat=True)
    )
    limit = store.threshold()
    hits = 0
    for text in rows.iterator(chunk_size=5_000):
        theirs = shingles(words(text))
        hits += sum(jaccard(m, theirs) >= limit for m in mine)
    elapsed = time.perf_counter() - start
    if not hits:
        sys.exit("brute force found nothing the index found: the data is not what it should be")
    return elapsed * 1000


def _drop_database(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    prefix, name = url.rsplit("/", 1)
    with psycopg.connect(prefix + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 cables instead of 250,000")
    parser.add_argument("--cables", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2, help="generating and hashing processes")
    parser.add_argument(
        "--floors",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also time reading and the raw COPY of the index alone (default: up to 250,000 "
        "cables; above that they hold the whole index in memory and take as long again)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    total = args.cables or (20_000 if args.quick else 250_000)
    floors = args.floors if args.floors is not None else total <= 250_000
    corpus = dev_corpus()
    url = setup_bench_database("bench_consistency")
    try:
        _run(total, corpus, args.workers, floors)
    finally:
        if not args.keep:
            _drop_database(url)


def _sizes() -> str:
    """The database's size and its largest tables' (with their indexes and TOAST)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_database_size(current_database()), "
            "pg_total_relation_size('cables_cable'), pg_total_relation_size('cables_paragraph'), "
            "pg_total_relation_size('cables_paragraphband'), "
            "pg_indexes_size('cables_paragraphband')"
        )
        db, cables, paragraphs, bands, band_indexes = cur.fetchone()
    gb = 1 << 30
    return (
        f"database {db / gb:.2f} GB: cables {cables / gb:.2f}, paragraphs {paragraphs / gb:.2f}, "
        f"band index {bands / gb:.2f} (of which its two B-trees {band_indexes / gb:.2f})"
    )


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _load_avg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _run(total: int, corpus: Path, workers: int, floors: bool) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cables.models import ParagraphBand
    from cables.similarity import minhash, store

    t0 = time.perf_counter()
    print(f"machine: {os.cpu_count()} cores, load average {_load_avg()} at start")
    templates, texts = _templates(corpus, timezone.now())
    chain = Chain.from_paragraphs(texts)
    user = get_user_model().objects.create_user("bench-reviewer", "bench@example.org")
    plan, load = _load(templates, chain, total, user.pk, workers)
    print(
        f"set-up: {total:,} cables, {plan.paragraphs:,} paragraphs, {plan.decisions:,} "
        f"decisions in {time.perf_counter() - t0:.0f} s: generated in {workers} processes and "
        f"COPY'd {load.copy_s:.1f} s, status rows {load.status_s:.1f} s, indexes and "
        f"constraints built {load.index_s:.1f} s, VACUUM ANALYZE {load.vacuum_s:.1f} s "
        f"(load average {_load_avg()})"
    )
    print(f"size: {_sizes()}")

    start = time.perf_counter()
    report = store.index_rebuild(workers=workers)
    index_s = time.perf_counter() - start
    rows = ParagraphBand.objects.count()
    if rows != report.rows or report.paragraphs != plan.paragraphs:
        sys.exit(f"index incomplete: rows={rows} report={report}")
    print(
        f"index: {report.indexed:,} of {report.paragraphs:,} paragraphs indexed "
        f"({minhash.BANDS} band keys each, {rows:,} rows) in {index_s:.1f} s, "
        f"{workers} hashing processes (load average {_load_avg()})"
    )
    print(f"size: {_sizes()}")

    rate, sample = _hash_rate(min(100_000, plan.paragraphs))
    hash_s = plan.paragraphs / rate
    copy_s = build_s = float("nan")
    if floors:
        read_s = _read_floor()
        copy_s, build_s = _copy_floor()
        print(
            f"  in parts, each alone: reading the paragraphs {read_s:.1f} s; hashing "
            f"{hash_s:.1f} s in one process ({rate:,.0f} paragraphs/s over {sample:,}); "
            f"raw COPY of the rows {copy_s:.1f} s; building the two indexes {build_s:.1f} s"
        )
    else:
        print(
            f"  hashing alone: {hash_s:.1f} s in one process ({rate:,.0f} paragraphs/s "
            f"over {sample:,}); the read and COPY floors not run (--floors)"
        )

    times, found = _checks(plan.checked)
    plain_times, plain_found = _checks(plan.plain)
    flagged, expected = _recall(plan)
    near, plain_near = _candidates(plan.checked), _candidates(plan.plain)
    check_ms, plain_ms = statistics.median(times), statistics.median(plain_times)
    print(
        f"check one release: median {check_ms:.1f} ms, p95 {_p95(times):.1f} ms, max "
        f"{max(times):.1f} ms over {len(times)} retransmissions of decided cables "
        f"({sum(found):,} conflicts, {min(found)} to {max(found)} each); median "
        f"{plain_ms:.1f} ms, p95 {_p95(plain_times):.1f} ms over {len(plain_times)} ordinary "
        f"cables ({sum(plain_found)} conflicts)"
    )
    print(
        f"  candidates a check reads (paragraphs of other cables sharing a band key): "
        f"median {statistics.median(near):.0f}, max {max(near)} for a retransmission; "
        f"median {statistics.median(plain_near):.0f}, max {max(plain_near)} for an ordinary cable"
    )
    print(
        f"  withheld paragraphs of the sources flagged in their retransmissions: "
        f"{flagged} of {expected}"
    )
    if not expected or flagged < 0.95 * expected:
        sys.exit("the check misses conflicts it should find")

    brute = [_brute_force(pk) for pk in plan.checked[: 3 if total <= 250_000 else 1]]
    brute_ms = statistics.median(brute)
    print(
        f"baseline: brute force over every withheld or redacted paragraph "
        f"({plan.decisions:,} decisions): {brute_ms:,.0f} ms per release "
        f"({brute_ms / check_ms:,.0f}x the indexed check)"
    )
    print(f"load average {_load_avg()} at the end")
    print(
        f"cables={total} paragraphs={plan.paragraphs} load_s={load.copy_s + load.status_s:.1f} "
        f"build_s={load.index_s:.1f} index_s={index_s:.1f} check_ms={check_ms:.1f} "
        f"check_p95_ms={_p95(times):.1f} plain_ms={plain_ms:.1f} "
        f"plain_p95_ms={_p95(plain_times):.1f} baseline_copy_s={copy_s + build_s:.1f} "
        f"baseline_bruteforce_ms={brute_ms:.0f}"
    )


if __name__ == "__main__":
    main()
