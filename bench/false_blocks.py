"""False blocks of the release check by words, on the dev corpus with seeded random redactions.

The approval refuses a release when a distinctive word of a redaction (not a stop
word, not common in the corpus, and in mixed-case text not written in small
letters) is released elsewhere in the cable, in any order or case
(``releases.withheld.repeats``).  That is meant for names, places and codenames
("Rosa Quint" redacted, "QUINT, Rosa" released).  Redactions of ordinary words
should not block: this measures how often they do.

It imports the 250 dev cables into its own database (the URL's name +
``_bench_false_blocks``, made anew), computes the corpus's common words as the
approval does (``releases.services.corpus_common_words``), and then, for each
round (``--rounds``, seeded), decides every cable at random: each paragraph of
three words or more is redacted with probability ``--share`` (20%) over a random
span of one to three whole words, the others released.  The check runs on these
decisions exactly as at approval (the same function, the same common words; the
decisions are not stored, which changes nothing for the check).

A *true* block is one whose blocked word is a name in the corpus's own writing:
across the corpus's mixed-case paragraphs, where it does not open a sentence, it
is written capitalised (or in capitals) and in small letters less than 10% of the
time ("Mugabe", "Harare", "BLUEHERON").  A word the corpus writes only in
capitals, so that case cannot tell, counts as a name.  A cable is *falsely
blocked* when the check blocks it and none of the words that block it is a name:
a reviewer redacting, say, "Parliament" or "Brigade" would have to redact it
everywhere else too.  ``false_block_pct`` is the share of the cable decisions
(cables x rounds) that are falsely blocked.

For comparison it also prints the same figures without the case rule, for other
shares of paragraphs that make a word common, and for the old check (the
redaction's words whole and in order).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/declass bench/false_blocks.py [--rounds 4]

Last line: ``cables=N redactions=N blocked=N false_block_pct=N``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import dev_corpus, setup_bench_database  # noqa: E402

NAME_LOWER_SHARE = 0.10  # a name is written in small letters less often than this


@dataclass
class Tally:
    cables: int = 0
    redactions: int = 0
    blocked: int = 0
    false_blocked: int = 0
    words: Counter[str] = field(default_factory=Counter)  # words of false blocks

    @property
    def false_pct(self) -> float:
        return 100.0 * self.false_blocked / self.cables if self.cables else 0.0

    def line(self) -> str:
        return (
            f"cables={self.cables} redactions={self.redactions} blocked={self.blocked} "
            f"false_block_pct={self.false_pct:.1f}"
        )


def import_corpus() -> list[int]:
    from cables.ingest import CableSource, cables_import
    from cables.parsing import metadata_for_file

    files = sorted(dev_corpus().glob("*.txt"))
    report = cables_import(
        CableSource(name=str(f), path=f, metadata=metadata_for_file(f)) for f in files
    )
    if report.failed:
        sys.exit(f"import failed: {report.failed}")
    return sorted(report.imported_ids)


def name_words(texts: list[str]) -> tuple[set[str], set[str]]:
    """(words the corpus writes as names, words it writes in small letters as well)."""
    from releases.withheld import _lower_case, _mixed_case, _sentence_start, word_keys

    capital: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    seen: set[str] = set()
    for text in texts:
        keyed = word_keys(text)
        seen.update(k for k, _, _ in keyed)
        if not _mixed_case(text):
            continue
        for key, start, end in keyed:
            surface = text[start:end]
            if _lower_case(surface):
                lower[key] += 1
            elif not _sentence_start(text, start):
                capital[key] += 1
    ordinary = {
        k for k in seen if lower[k] and lower[k] >= NAME_LOWER_SHARE * (lower[k] + capital[k])
    }
    return seen - ordinary, ordinary


def random_decisions(paragraphs, rng: random.Random, share: float):  # type: ignore[no-untyped-def]
    from releases.document import DecisionIn
    from releases.withheld import word_keys

    decisions = {}
    redactions = 0
    for p in paragraphs:
        keyed = word_keys(p.text)
        if len(keyed) >= 3 and rng.random() < share:
            n = rng.randint(1, 3)
            first = rng.randrange(0, len(keyed) - n + 1)
            span = (keyed[first][1], keyed[first + n - 1][2], "(b)(6)")
            decisions[p.id] = DecisionIn(p.id, p.id, "redact", (span,))
            redactions += 1
        else:
            decisions[p.id] = DecisionIn(p.id, p.id, "release")
    return decisions, redactions


def measure(cables, plans, names: set[str], common, by_case: bool = True) -> Tally:  # type: ignore[no-untyped-def]
    from releases.withheld import repeats

    tally = Tally()
    for paragraphs, (decisions, redactions) in zip(
        (c for _ in range(len(plans) // len(cables)) for c in cables), plans, strict=True
    ):
        tally.cables += 1
        tally.redactions += redactions
        found = repeats(paragraphs, decisions, common, by_case=by_case)
        if not found:
            continue
        tally.blocked += 1
        texts = {p.ordinal: p.text for p in paragraphs}
        blocking = {texts[r.ordinal][r.start : r.end].casefold() for r in found if r.how == "word"}
        if common is None:  # the old check: the redaction's words, whole and in order
            blocking = {w for r in found for w in texts[r.ordinal][r.start : r.end].split()}
            blocking = {"".join(c for c in w.casefold() if c.isalnum()) for w in blocking}
        if not any(w in names for w in blocking):
            tally.false_blocked += 1
            tally.words.update(blocking)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="random decisions per cable")
    parser.add_argument("--seed", type=int, default=20251206)
    parser.add_argument("--share", type=float, default=0.2, help="paragraphs redacted")
    args = parser.parse_args()

    setup_bench_database("false_blocks")
    from cables.models import Cable
    from releases.services import corpus_common_words, paragraph_in
    from releases.withheld import common_words

    started = time.perf_counter()
    ids = import_corpus()
    cables = [
        [paragraph_in(p) for p in c.paragraphs.order_by("ordinal")]
        for c in Cable.objects.filter(pk__in=ids).order_by("reference_id")
    ]
    print(f"imported {len(cables)} cables, {sum(map(len, cables))} paragraphs "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    started = time.perf_counter()
    common = corpus_common_words(refresh=True)
    print(f"common words: {len(common)} ({time.perf_counter() - started:.2f} s, one query)")
    texts = [p.text for c in cables for p in c]
    names, _ = name_words(texts)

    rng = random.Random(args.seed)
    plans = [random_decisions(c, rng, args.share) for _ in range(args.rounds) for c in cables]

    print("variant                                   cables redactions blocked false false_pct")
    variants = [("old check: the redaction's words in order", None, True)]
    for pct in (1.0, 2.0, 10.0):
        variants.append((f"words, common = in > {pct:g}% of paragraphs", pct, True))
    variants.append(("words, 5%, without the case rule", 5.0, False))
    for title, pct, by_case in variants:
        cut = None if pct is None else common_words(texts, pct=pct)
        t = measure(cables, plans, names, cut, by_case)
        print(f"{title:<42}{t.cables:>6}{t.redactions:>11}{t.blocked:>8}"
              f"{t.false_blocked:>6}{t.false_pct:>10.1f}")  # fmt: skip
    tally = measure(cables, plans, names, common)
    print(f"{'words, 5% (the approval check)':<42}{tally.cables:>6}{tally.redactions:>11}"
          f"{tally.blocked:>8}{tally.false_blocked:>6}{tally.false_pct:>10.1f}")  # fmt: skip
    print("words of false blocks (most frequent):",
          ", ".join(f"{w} {n}" for w, n in tally.words.most_common(15)))  # fmt: skip
    print(tally.line())


if __name__ == "__main__":
    main()
