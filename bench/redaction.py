"""Redaction matching benchmark: the hyperscan engine against the oracle and Microsoft Presidio.

Rules, all taken from the dev corpus so they hit like real ones:
- 1,000 term rules, one term each: the 900 most frequent capitalised words (a word counts as
  capitalised when it is written Title-case at least four times as often as lower-case) and
  the 100 most frequent pairs of capitalised words (``Foreign Minister``); ties broken
  alphabetically, so the selection is deterministic;
- 20 regexes: reference ids, MRNs, date-time groups, e-mail, phone numbers (international and
  US), passport-like numbers, titles with names, REF letters, slashed and ISO dates, E.O.
  lines, TAGS lines, section counts, sums of money, percentages, classification reasons,
  "Classified by" lines, month dates, ministries and embassies.

The text is the corpus cut into paragraphs at blank lines, repeated to at least 50 MB (5 MB
with ``--quick``), scanned in five equal rounds by ``redaction.engine.batch.scan_many`` in
batches of 1 MB of paragraphs (what applying rules hands it per chunk of cables;
``Matcher.scan``, one paragraph a call, is printed beside it).  Throughput is UTF-8 MB per
second of this process's CPU time (the matcher runs on one core; on a shared machine wall
time measures the neighbours), compile time excluded, the median round reported.  The oracle
and Presidio are far slower, so they run on a sample of about 0.5 MB (every fourth
paragraph), on which the engine's hits are compared:
- with the oracle: the same hit lists, paragraph by paragraph;
- with Presidio (one deny-list PatternRecognizer for the terms, one PatternRecognizer per
  regex with the rules' flags, on a blank spaCy pipeline): the same set of (start, end,
  entity) once the engine's hits are put in Presidio's terms, see ``_presidio_view``.

    bench/redaction.py [--quick] [--libraries]

Presidio is timed in rounds interleaved with the engine's (each round: the engine over the
whole sample, then Presidio over a fifth of it), so that both see the same load;
``presidio_ratio`` is the median of the rounds' ratios.  The bare scans below run in rounds
interleaved with the engine's in the same way.

A second baseline, measured in the same run over the same text: hyperscan alone, with no
per-match work (a Python callback that does nothing: the floor of any matcher built on the
Python binding).  Four ways, the fastest counts: the rules compiled the way the performance
notes measured it (every term as ``\bterm\b`` caseless and every regex as written, all in
one database with ``HS_FLAG_SOM_LEFTMOST``), and the engine's own database; each scanned one
paragraph a call and in the engine's batches (joined, the joining timed too).
``bare_scan_ratio`` is the engine's time over the fastest of them (1.0 would be the floor).
Also printed, not counted: the engine's database with no callback at all (hyperscan's own
pass); with the engine's compiled callback (``redaction/engine/native_scan.py``: its reports
recorded by machine code, no call into Python, the joining timed: the floor of the engine's
own way of scanning, and the engine's time over it); and the engine with its reports going
through the binding's Python callback instead, as it did before that callback.

``--libraries`` also times google-re2 and pyahocorasick + ``re`` on the sample (how the
matcher library was chosen).  Last line:
``engine_mb_s=N bare_scan_mb_s=N bare_scan_ratio=N oracle_mb_s=N presidio_mb_s=N
presidio_ratio=N hits_equal=true|false``
(``na`` for Presidio when it is not installed: the engine and oracle figures still print).
The engine locates rule-regex matches with RE2 and the oracle runs them on RE2 too (no
backtracking engine runs a rule regex, see ``redaction/engine/rule_regex.py``).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redaction.engine import native_scan  # noqa: E402
from redaction.engine.batch import scan_many  # noqa: E402
from redaction.engine.hit import Hit  # noqa: E402
from redaction.engine.matcher import compile_rules  # noqa: E402
from redaction.engine.oracle import Oracle  # noqa: E402
from redaction.engine.personal_data import PERSONAL_DATA_PATTERNS  # noqa: E402
from redaction.engine.rules import RegexRule, TermListRule, TextRule  # noqa: E402

MB = 1_000_000
TERM_RULES = 1000
PAIR_TERMS = 100
SAMPLE_BYTES = MB // 2
WARM_UP_SECONDS = 2.0
BATCH_BYTES = MB  # paragraphs a scan_many call (applying rules: a chunk of cables)
REGEX_ID_BASE = 10_000

REGEXES: list[tuple[str, str, str]] = [  # (name, label, pattern)
    ("reference id", "(b)(1) 1.4(d)", r"\b\d{2} ?(?:STATE|[A-Z]{4,12}) ?\d{3,6}\b"),
    ("message reference number", "(b)(1) 1.4(d)", r"\b(?:STATE|[A-Z]{4,12}) 0\d{5}\b"),
    (
        "date-time group",
        "(b)(1) 1.4(d)",
        r"\b\d{6}Z ?(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC) ?\d{2}\b",
    ),
    ("e-mail", "(b)(6)", PERSONAL_DATA_PATTERNS["email"]),
    ("phone, international", "(b)(6)", PERSONAL_DATA_PATTERNS["phone_intl"]),
    ("phone, US", "(b)(6)", PERSONAL_DATA_PATTERNS["phone_us"]),
    ("passport-like number", "(b)(6)", PERSONAL_DATA_PATTERNS["passport"]),
    (
        "title with name",
        "(b)(6)",
        r"\b(?:Ambassador|Minister|President|Secretary|Senator|Governor|General|Deputy|Director"
        r"|Counselor|Consul) [A-Z][a-z]+(?: [A-Z][a-z]+)?\b",
    ),
    ("REF letter", "(b)(1) 1.4(d)", r"\bREF(?:TEL)?S?:? ?[A-F]\b"),
    ("slashed date", "(b)(5)", r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b"),
    ("ISO date", "(b)(5)", r"\b(?:19|20)\d{2}-[01]\d-[0-3]\d\b"),
    ("E.O. line", "(b)(1) 1.4(d)", r"\bE\.O\. ?\d{5}: ?DECL: ?\d{1,2}/\d{1,2}/\d{2,4}\b"),
    ("TAGS line", "(b)(1) 1.4(d)", r"\bTAGS: ?(?:[A-Z]{2,6} ){0,7}[A-Z]{2,6}\b"),
    ("section count", "(b)(1) 1.4(d)", r"\bSECTION \d{2} OF \d{2}\b"),
    ("sum of money", "(b)(4)", r"\$ ?\d{1,3}(?:,\d{3})*(?:\.\d+)?(?: (?:million|billion))?\b"),
    ("percentage", "(b)(4)", r"\b\d{1,3}(?:\.\d+)? percent\b"),
    ("classification reason", "(b)(1) 1.4(d)", r"\b1\.[45] ?\(?[a-hA-H]\)?"),
    (
        "classified by",
        "(b)(6)",
        r"(?i:classified by):? [A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+){0,3}",
    ),
    (
        "month date",
        "(b)(5)",
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November"
        r"|December) \d{1,2}(?:, \d{4})?\b",
    ),
    (
        "ministry or embassy",
        "(b)(1) 1.4(b)",
        r"\b(?:Ministry|Embassy|Office) of (?:the )?[A-Z][a-z]+(?: [A-Z][a-z]+){0,3}\b",
    ),
]


def main() -> None:
    args = _arguments()
    corpus = Path(os.environ.get("DECLASS_SHARED_DIR", ROOT.parent / "shared")) / "cables" / "dev"
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))]
    if not texts:
        print(f"SKIP: no dev corpus at {corpus} (set DECLASS_SHARED_DIR to the shared folder)")
        return
    paragraphs = [p for text in texts for p in _paragraphs(text)]
    corpus_bytes = _size(paragraphs)
    print(
        f"corpus: {len(texts)} cables, {len(paragraphs)} paragraphs, "
        f"{corpus_bytes / MB:.2f} MB from {corpus}"
    )

    specs = _term_rules(texts) + _regex_rules()
    started = time.perf_counter()
    matcher = compile_rules(specs)
    print(
        f"rules: {TERM_RULES} term rules ({TERM_RULES - PAIR_TERMS} words, {PAIR_TERMS} "
        f"word pairs) and {len(REGEXES)} regexes; compiled in "
        f"{time.perf_counter() - started:.1f} s; {matcher._database.info().decode()}"
    )
    print(
        "hyperscan's reports: "
        + ("a compiled callback (numba)" if native_scan.available() else "the binding's callback")
    )

    target = (5 if args.quick else 50) * MB
    engine_mb_s, bare_mb_s, bare_ratio = _time_scans(specs, matcher, paragraphs, target)
    sample = _sample(paragraphs, SAMPLE_BYTES)
    print(f"sample: {len(sample)} paragraphs, {_size(sample) / MB:.2f} MB")
    engine_hits = scan_many(matcher, sample)
    one_by_one = [matcher.scan(p) for p in sample]
    oracle_mb_s, oracle_equal = _compare_oracle(specs, sample, engine_hits)
    presidio = _compare_presidio(specs, matcher, sample, engine_hits)
    if args.libraries:
        _time_libraries(specs, sample)

    if presidio is None:  # not installed: the engine's figures still count
        presidio_figures, presidio_equal = "presidio_mb_s=na presidio_ratio=na", True
    else:
        presidio_mb_s, presidio_ratio, presidio_equal = presidio
        presidio_figures = f"presidio_mb_s={presidio_mb_s:.2f} presidio_ratio={presidio_ratio:.0f}"
    equal = "true" if oracle_equal and presidio_equal and one_by_one == engine_hits else "false"
    print(
        f"engine_mb_s={engine_mb_s:.1f} bare_scan_mb_s={bare_mb_s:.1f} "
        f"bare_scan_ratio={bare_ratio:.2f} oracle_mb_s={oracle_mb_s:.3f} "
        f"{presidio_figures} hits_equal={equal}"
    )


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 MB instead of 50 MB")
    parser.add_argument(
        "--libraries",
        action="store_true",
        help="also time google-re2 and pyahocorasick + re on the sample",
    )
    return parser.parse_args()


def _paragraphs(text: str) -> list[str]:
    return [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text) if p.strip()]


def _size(paragraphs: Iterable[str]) -> int:
    return sum(len(p.encode("utf-8")) for p in paragraphs)


def _sample(paragraphs: list[str], target: int) -> list[str]:
    """Every fourth paragraph (the sample spans the whole corpus) up to ``target`` bytes."""
    out: list[str] = []
    size = 0
    for paragraph in paragraphs[::4] + paragraphs[1::4]:
        if size >= target:
            break
        out.append(paragraph)
        size += len(paragraph.encode("utf-8"))
    return out


# --- rules ---------------------------------------------------------------------------------


def _term_rules(texts: list[str]) -> list[TextRule]:
    terms = _frequent_words(texts, TERM_RULES - PAIR_TERMS) + _frequent_pairs(texts, PAIR_TERMS)
    return [
        TermListRule(id=i + 1, version=1, label="(b)(6)", terms=(term,))
        for i, term in enumerate(terms)
    ]


def _frequent_words(texts: list[str], count: int) -> list[str]:
    title: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for text in texts:
        for word in re.findall(r"\b[A-Za-z][a-z]{3,}\b", text):
            (title if word[0].isupper() else lower)[word.lower()] += 1
    names = [w for w, n in title.items() if n >= 4 * lower[w] and n >= 2]
    names.sort(key=lambda w: (-title[w], w))
    return [w.capitalize() for w in names[:count]]


def _frequent_pairs(texts: list[str], count: int) -> list[str]:
    pairs: Counter[str] = Counter()
    for text in texts:
        for first, second in re.findall(r"\b([A-Z][a-z]{2,}) ([A-Z][a-z]{2,})\b", text):
            pairs[f"{first} {second}"] += 1
    return [p for p, _ in sorted(pairs.items(), key=lambda item: (-item[1], item[0]))[:count]]


def _regex_rules() -> list[TextRule]:
    return [
        RegexRule(id=REGEX_ID_BASE + i, version=1, label=label, pattern=pattern)
        for i, (_name, label, pattern) in enumerate(REGEXES)
    ]


# --- timing --------------------------------------------------------------------------------


def _throughput(scan: Callable[[str], object], paragraphs: list[str]) -> float:
    started = time.process_time()
    for paragraph in paragraphs:
        scan(paragraph)
    return _size(paragraphs) / MB / (time.process_time() - started)


def _batches(paragraphs: list[str], size: int = BATCH_BYTES) -> list[list[str]]:
    """Consecutive paragraphs, about ``size`` bytes a batch (whole paragraphs)."""
    out: list[list[str]] = [[]]
    filled = 0
    for paragraph in paragraphs:
        if filled >= size:
            out.append([])
            filled = 0
        out[-1].append(paragraph)
        filled += len(paragraph.encode("utf-8"))
    return out


def _time_scans(
    specs: list[TextRule],
    matcher,  # noqa: ANN001
    paragraphs: list[str],
    target: int,
) -> tuple[float, float, float]:
    """The engine's MB/s, the fastest bare scan's MB/s, and bare_scan_ratio.

    Every way of scanning runs once per round, the rounds interleaved, so that all of them see
    the same moments of a shared machine's load; times are this process's CPU time (the
    matcher is single-threaded), and each figure is the median of five rounds over ``target``
    bytes in all.  The machine is a shared VM: the first second or two of work runs markedly
    slower (down to half speed, measured), so everything first runs, untimed, for at least
    ``WARM_UP_SECONDS``.  ``bare_scan_ratio`` is the median of the rounds' ratios of the
    engine's time to the fastest bare scan's (the one with the best median).

    The bare scans: hyperscan alone, a callback doing nothing, the notes' rule set
    (``_notes_database``) and the engine's own database, each over the engine's bytes one
    paragraph a call and in the engine's batches, joined as the engine joins them (the joining
    is timed too: the engine does it).  Not counted, for information: the engine's database
    with no callback.
    """
    import hyperscan

    from redaction.engine.batch import joined_for_scan
    from redaction.engine.native_scan import native_scanner
    from redaction.engine.prefilter import encode_for_scan

    text = _round_text(paragraphs, target)
    size = _size(text)
    batches = _batches(text)
    encoded = [p.encode("ascii") if p.isascii() else encode_for_scan(p) for p in text]
    works: dict[str, Callable[[], object]] = {
        "engine": lambda: [scan_many(matcher, b) for b in batches],
        "engine, one paragraph a call (Matcher.scan)": lambda: [matcher.scan(p) for p in text],
    }
    for name, database in (
        ("notes' rules, SOM_LEFTMOST", _notes_database(specs)),
        ("engine's database", matcher._database),
    ):
        scratch = hyperscan.Scratch(database)

        def per_paragraph(db=database, scratch=scratch) -> None:  # noqa: ANN001
            for paragraph in text:
                data = paragraph.encode("ascii") if paragraph.isascii() else None
                db.scan(data or encode_for_scan(paragraph), _nothing, 0, None, scratch)

        def joined(db=database, scratch=scratch) -> None:  # noqa: ANN001
            for batch in batches:
                db.scan(joined_for_scan(batch), _nothing, 0, None, scratch)

        works[f"bare: {name}, one paragraph a call"] = per_paragraph
        works[f"bare: {name}, joined in batches"] = joined
    database, scratch = matcher._database, hyperscan.Scratch(matcher._database)
    works["not counted: the engine's database, no callback, bytes encoded"] = lambda: [
        database.scan(d, None, 0, None, scratch) for d in encoded
    ]
    native = native_scanner(matcher._database)
    if native is not None:
        # The floor of the engine's own way of scanning: the compiled callback recording
        # every report, the joining timed too, nothing after.
        compiled = "not counted: the engine's database, compiled callback, joined in batches"
        works[compiled] = lambda: [native.reports(joined_for_scan(b)) for b in batches]
        # The engine as it was before the compiled callback: every report through Python.
        through_python = copy.copy(matcher)
        through_python._native = False
        works["not counted: engine, reports through the binding's Python callback"] = lambda: [
            scan_many(through_python, b) for b in batches
        ]

    warm_until = time.perf_counter() + WARM_UP_SECONDS
    while time.perf_counter() < warm_until:
        for work in works.values():
            work()
    seconds: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(5):
        for name, work in works.items():
            started = time.process_time()
            work()
            seconds[name].append(time.process_time() - started)
    median = {name: size / MB / sorted(times)[2] for name, times in seconds.items()}
    hits = sum(len(h) for batch in batches for h in scan_many(matcher, batch))
    print(
        f"5 interleaved rounds of {size / MB:.1f} MB ({len(batches)} batches, {hits} hits), "
        "CPU time, median MB/s (rounds):"
    )
    for name, times in seconds.items():
        rounds = ", ".join(f"{size / MB / t:.1f}" for t in times)
        print(f"  {name}: {median[name]:.1f} ({rounds})")
    bare = [name for name in works if name.startswith("bare:")]
    fastest = max(bare, key=median.__getitem__)
    ratios = sorted(e / b for e, b in zip(seconds["engine"], seconds[fastest], strict=True))
    print(f"fastest bare scan: {fastest[6:]}; the engine takes {ratios[2]:.2f}x its time")
    compiled = "not counted: the engine's database, compiled callback, joined in batches"
    if compiled in seconds:
        own = sorted(e / c for e, c in zip(seconds["engine"], seconds[compiled], strict=True))
        print(f"the engine takes {own[2]:.2f}x the time of its own scan with no work after it")
    return median["engine"], median[fastest], ratios[2]


def _round_text(paragraphs: list[str], target: int) -> list[str]:
    """The corpus repeated to a fifth of ``target`` (one round)."""
    repeats = -(-target // _size(paragraphs))
    return paragraphs * max(1, -(-repeats // 5))


def _nothing(*_args: object) -> None:
    return None


def _notes_database(specs: list[TextRule]):  # noqa: ANN202 - hyperscan is imported lazily
    """The rules as the performance notes compiled them: ``\\bterm\\b`` caseless, regexes as
    written, ``HS_FLAG_SOM_LEFTMOST`` (a regex hyperscan cannot take so is left out)."""
    import hyperscan

    patterns: list[bytes] = []
    flags: list[int] = []
    som = hyperscan.HS_FLAG_SOM_LEFTMOST
    for spec in specs:
        if isinstance(spec, TermListRule):
            for term in spec.terms:
                words = (re.escape(w) for w in term.split())
                patterns.append(("\\b" + "\\s+".join(words) + "\\b").encode())
                flags.append(hyperscan.HS_FLAG_CASELESS | som)
        elif isinstance(spec, RegexRule):
            patterns.append(spec.pattern.encode())
            flags.append(som)
    kept = []
    for pattern, flag in zip(patterns, flags, strict=True):
        try:
            hyperscan.Database().compile(expressions=[pattern], ids=[0], elements=1, flags=[flag])
        except hyperscan.error:
            continue
        kept.append((pattern, flag))
    if len(kept) < len(patterns):
        print(f"bare scan: {len(patterns) - len(kept)} of {len(patterns)} patterns left out")
    database = hyperscan.Database()
    database.compile(
        expressions=[p for p, _ in kept],
        ids=list(range(len(kept))),
        elements=len(kept),
        flags=[f for _, f in kept],
    )
    return database


def _compare_oracle(
    specs: list[TextRule], sample: list[str], engine_hits: list[list[Hit]]
) -> tuple[float, bool]:
    oracle = Oracle(specs)
    oracle_hits: list[list[Hit]] = []
    mb_s = _throughput(lambda p: oracle_hits.append(oracle.scan(p)), sample)
    print(
        f"oracle: {mb_s:.3f} MB/s; hits {sum(map(len, oracle_hits))}, engine "
        f"{sum(map(len, engine_hits))}: {_verdict(oracle_hits, engine_hits)}"
    )
    return mb_s, oracle_hits == engine_hits


def _compare_presidio(
    specs: list[TextRule],
    matcher,  # noqa: ANN001
    sample: list[str],
    engine_hits: list[list[Hit]],
) -> tuple[float, float, bool] | None:
    """Presidio's MB/s, the median of the rounds' engine/Presidio ratios, and the hits.

    Five rounds; each times the engine over the whole sample (as many times as it takes
    half a second) and then Presidio over the next fifth of it, so that each ratio compares
    two rates measured at the same moment of a shared machine's load (CPU time, as above).
    """
    analyzer = _presidio_analyzer(specs)
    if analyzer is None:
        return None
    results: list[set[tuple[int, int, str]]] = []

    def analyze(paragraph: str) -> None:
        found = analyzer.analyze(text=paragraph, language="en")
        results.append({(r.start, r.end, r.entity_type) for r in found})

    sample_size = _size(sample)
    fifth = -(-len(sample) // 5)
    ratios, presidio_bytes, presidio_seconds = [], 0, 0.0
    for k in range(5):
        started, scans = time.process_time(), 0
        while scans == 0 or time.process_time() - started < 0.5:
            scan_many(matcher, sample)
            scans += 1
        engine_mb_s = scans * sample_size / MB / (time.process_time() - started)
        part = sample[k * fifth : (k + 1) * fifth]
        started = time.process_time()
        for paragraph in part:
            analyze(paragraph)
        seconds = time.process_time() - started
        presidio_bytes += _size(part)
        presidio_seconds += seconds
        ratios.append(engine_mb_s / (_size(part) / MB / seconds))
    mb_s = presidio_bytes / MB / presidio_seconds
    ratio = sorted(ratios)[2]
    expected = [_presidio_view(p, hits) for p, hits in zip(sample, engine_hits, strict=True)]
    print(
        f"presidio: {mb_s:.2f} MB/s; engine/Presidio in 5 interleaved rounds: "
        f"{', '.join(f'{r:.0f}' for r in ratios)} (median {ratio:.0f}); hits "
        f"{sum(map(len, results))}, engine in Presidio's terms {sum(map(len, expected))}: "
        f"{_verdict(results, expected)}"
    )
    return mb_s, ratio, results == expected


def _verdict(found: list, expected: list) -> str:
    differing = sum(a != b for a, b in zip(found, expected, strict=True))
    return "identical" if not differing else f"{differing} paragraphs differ"


def _presidio_analyzer(specs: list[TextRule]):  # noqa: ANN202 - presidio is optional here
    import logging

    try:
        import spacy
        from presidio_analyzer import (
            AnalyzerEngine,
            Pattern,
            PatternRecognizer,
            RecognizerRegistry,
        )
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
    except ImportError as exc:
        print(f"Presidio baseline unavailable ({exc}): pip install -r requirements-bench.txt")
        return None

    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    nlp_engine.nlp = {"en": spacy.blank("en")}  # no model download: tokenizer only
    registry = RecognizerRegistry(supported_languages=["en"])
    terms = sorted(
        {t for s in specs if isinstance(s, TermListRule) for t in s.terms},
        key=lambda t: (-len(t), t),
    )  # longest first, like the engine's rules
    registry.add_recognizer(
        PatternRecognizer(supported_entity="TERM", deny_list=terms, supported_language="en")
    )
    for spec in specs:
        if isinstance(spec, RegexRule):
            registry.add_recognizer(
                PatternRecognizer(
                    supported_entity=f"RX_{spec.id}",
                    supported_language="en",
                    patterns=[Pattern(name=f"rule {spec.id}", regex=spec.pattern, score=0.9)],
                    global_regex_flags=re.ASCII,
                )
            )  # the rules' flags; Presidio's default adds (?ims)
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=["en"])


_ODD_WHITESPACE = re.compile(r"[^\S ]| {2}")  # any whitespace but a single space


def _presidio_view(paragraph: str, hits: list[Hit]) -> set[tuple[int, int, str]]:
    """The engine's hits as Presidio reports them, which takes two adjustments.

    * Presidio's deny list is one alternation over all terms, so it reports one entity per
      place, leftmost-longest across all term rules, where the engine reports each term rule
      separately (``Foreign Minister`` *and* ``Minister``).  The engine's term hits are merged
      the same way.
    * Presidio matches a two-word term only with exactly one space between the words; the
      engine also matches it across a line break or a run of spaces (hard-wrapped cables).
      Such hits are left out before merging.
    Regex rules need no adjustment: each is its own entity, matched with the same flags.
    """
    view = {(h.start, h.end, f"RX_{h.rule_id}") for h in hits if h.rule_id >= REGEX_ID_BASE}
    terms = sorted(
        (h.start, -h.end)
        for h in hits
        if h.rule_id < REGEX_ID_BASE and not _ODD_WHITESPACE.search(paragraph, h.start, h.end)
    )
    taken_until = 0
    for start, negative_end in terms:
        if start >= taken_until:
            view.add((start, -negative_end, "TERM"))
            taken_until = -negative_end
    return view


def _time_libraries(specs: list[TextRule], sample: list[str]) -> None:
    """The candidates not chosen, same rules, throughput only (their semantics differ)."""
    terms = sorted(
        {t for s in specs if isinstance(s, TermListRule) for t in s.terms},
        key=lambda t: (-len(t), t),
    )
    regexes = [s.pattern for s in specs if isinstance(s, RegexRule)]
    try:
        import re2
    except ImportError:
        print("google-re2: not installed")
    else:
        alternation = re2.compile(r"(?i)\b(?:" + "|".join(map(re.escape, terms)) + r")\b")
        compiled = [re2.compile(r) for r in regexes]
        mb_s = _throughput(
            lambda p: [list(c.finditer(p)) for c in [alternation, *compiled]], sample
        )
        print(f"google-re2 (terms as one alternation, regexes apart): {mb_s:.1f} MB/s")
    try:
        import ahocorasick
    except ImportError:
        print("pyahocorasick: not installed")
    else:
        automaton = ahocorasick.Automaton()
        for term in terms:
            automaton.add_word(term.lower(), len(term))
        automaton.make_automaton()
        compiled_re = [re.compile(r, re.ASCII) for r in regexes]

        def scan(paragraph: str) -> None:
            for end, length in automaton.iter(paragraph.lower()):
                start = end - length + 1
                _ = (start == 0 or not paragraph[start - 1].isalnum()) and (
                    end + 1 == len(paragraph) or not paragraph[end + 1].isalnum()
                )
            for pattern in compiled_re:
                list(pattern.finditer(paragraph))

        mb_s = _throughput(scan, sample)
        print(f"pyahocorasick (terms, boundaries by hand) + re (regexes): {mb_s:.1f} MB/s")


if __name__ == "__main__":
    main()
