"""Import benchmark: the dev corpus, repeated under fresh reference ids, into PostgreSQL.

Baseline, measured in the same run: the raw COPY floor (no parsing, no ORM):
the same texts and their blank-line paragraphs COPY'd into two scratch tables.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/declass bench/ingest.py [--quick]
    bench/ingest.py --parse-only [--cables N]   # the parser alone, one process, no database

It works in its own database (the URL's name + ``_bench_ingest``), dropped and made anew.
Last line: ``cables_per_s=N paragraphs_per_s=N floor_cables_per_s=N floor_pct=N`` (the
import's rate as a percentage of the COPY floor's, both measured in this run).  The line
before it says where the CPU went (this process, the parser's workers, PostgreSQL's
backend): on a 2-core machine the import can only approach the floor if the three
together cost little more than the floor's two.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import ROOT, process_cpu_seconds, setup_bench_database  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "cables" / "dev"


def _load_corpus(corpus: Path):  # type: ignore[no-untyped-def]
    from cables.ingest import CableSource
    from cables.parsing import metadata_for_file

    files = sorted(corpus.glob("*.txt"))
    if not files:
        sys.exit(f"no cables found in {corpus}")
    return [CableSource(name=str(f), path=f, metadata=metadata_for_file(f)) for f in files]


def _repeat(base, total: int):  # type: ignore[no-untyped-def]
    """Yield `total` sources cycling through the corpus, each under a fresh reference id."""
    from dataclasses import replace

    for i in range(total):
        src = base[i % len(base)]
        round_no = i // len(base)
        stem = Path(src.name).stem
        yield replace(src, reference_id_override=f"{stem}R{round_no:04d}")


def _copy_floor(base, total: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """COPY raw texts and their blank-line paragraphs: the cost without parsing or ORM."""
    import hashlib

    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE floor_cable (id bigint PRIMARY KEY, ref text UNIQUE, sha text, "
            "raw text COMPRESSION lz4)"
        )
        cur.execute(
            "CREATE TABLE floor_par (cable_id bigint, ordinal int, body text COMPRESSION lz4, "
            "PRIMARY KEY (cable_id, ordinal))"
        )
    paragraphs = 0
    start = time.perf_counter()
    with connection.cursor() as cur:
        pg = cur.cursor
        with pg.copy("COPY floor_cable (id, ref, sha, raw) FROM STDIN") as copy:
            for i, src in enumerate(_repeat(base, total)):
                text = src.read()
                sha = hashlib.sha256(text.encode()).hexdigest()
                copy.write_row((i, src.reference_id_override, sha, text))
        with pg.copy("COPY floor_par (cable_id, ordinal, body) FROM STDIN") as copy:
            for i, src in enumerate(_repeat(base, total)):
                for j, par in enumerate(src.read().split("\n\n")):
                    copy.write_row((i, j, par))
                    paragraphs += 1
    elapsed = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute("DROP TABLE floor_cable, floor_par")
    return elapsed, paragraphs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 cables instead of 50,000")
    parser.add_argument("--cables", type=int, default=None)
    parser.add_argument(
        "--corpus", type=Path, default=Path(os.environ.get("DECLASS_CORPUS", DEFAULT_CORPUS))
    )
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--parse-only",
        action="store_true",
        help="no database: parse and format the corpus in this process, print CPU ms a cable",
    )
    args = parser.parse_args()
    total = args.cables or (5_000 if args.quick else 50_000)
    if args.parse_only:
        _parse_only(args.corpus, total=total)
        return
    setup_bench_database("bench_ingest")

    from cables.ingest import cables_import
    from cables.models import Cable, Paragraph

    base = _load_corpus(args.corpus)
    floor_s, floor_pars = _copy_floor(base, total)
    print(
        f"baseline COPY floor (no parse, no ORM): {total / floor_s:,.0f} cables/s, "
        f"{floor_pars / floor_s:,.0f} paragraphs/s"
    )

    backend0, own0, children0 = _backend_cpu(), _cpu(resource.RUSAGE_SELF), _children_cpu()
    start = time.perf_counter()
    report = cables_import(_repeat(base, total), workers=args.workers)
    elapsed = time.perf_counter() - start
    backend_s = _backend_cpu() - backend0
    own_s, workers_s = _cpu(resource.RUSAGE_SELF) - own0, _children_cpu() - children0
    stored = Cable.objects.count()
    stored_pars = Paragraph.objects.count()
    if report.failed or report.conflicts or stored != total:
        sys.exit(
            f"import incomplete: stored={stored} failed={len(report.failed)} "
            f"conflicts={len(report.conflicts)}"
        )
    cps = total / elapsed
    pps = stored_pars / elapsed
    floor_cps = total / floor_s
    print(
        f"imported {stored:,} cables and {stored_pars:,} paragraphs in {elapsed:.1f} s "
        f"({cps / floor_cps:.0%} of the COPY floor's rate)"
    )
    print(
        f"CPU per cable: parser workers {workers_s / total * 1000:.2f} ms, "
        f"loading process {own_s / total * 1000:.2f} ms, "
        f"PostgreSQL backend {backend_s / total * 1000:.2f} ms"
    )
    print(
        f"cables_per_s={cps:.0f} paragraphs_per_s={pps:.0f} "
        f"floor_cables_per_s={floor_cps:.0f} floor_pct={100 * cps / floor_cps:.0f}"
    )


def _parse_only(corpus: Path, *, total: int) -> None:
    """The parser's own cost: CPU (``time.process_time``) to parse and format the corpus
    over and over, about ``total`` cables, in one process, without pool or database.
    A busy machine still moves it; for a figure the load does not move, run it under
    ``valgrind --tool=callgrind`` with two ``--cables`` values and divide the difference
    in instructions by the difference in cables.
    """
    import gc

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from django.utils import timezone

    from cables.loaders import prepare_copy
    from cables.parsing import parse_cable

    now = timezone.now()
    texts = [(src.name, src.read(), src.metadata) for src in _load_corpus(corpus)]
    rounds = max(1, total // len(texts))
    gc.freeze()  # as the import's workers do with what they inherit
    parse_s = copy_s = 0.0
    for _ in range(rounds):
        for name, text, metadata in texts:
            start = time.process_time()
            parsed = parse_cable(text, source=name, metadata=metadata)
            middle = time.process_time()
            prepare_copy(parsed, now=now)
            parse_s += middle - start
            copy_s += time.process_time() - middle
    n = rounds * len(texts)
    print(
        f"cables={n} parse_ms={parse_s / n * 1000:.3f} copy_format_ms={copy_s / n * 1000:.3f} "
        f"cpu_ms_per_cable={(parse_s + copy_s) / n * 1000:.3f}"
    )


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    """CPU of finished child processes: the import's pool has exited when this is read."""
    return _cpu(resource.RUSAGE_CHILDREN)


def _backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend (same machine: /proc), or 0."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    seconds = process_cpu_seconds(pid)
    return 0.0 if seconds is None else seconds  # None: a server on another machine


if __name__ == "__main__":
    main()
