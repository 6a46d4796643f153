"""Released outputs leak nothing: real cables and a sample, random redactions, every output.

How the check works (``assert_nothing_withheld_in``), independently of the release code:

- The *withheld strings* come from the original paragraph text and the plan the test
  decided: each redacted span (random position, 12 to 60 characters, so of a
  distinctive length), and for each withheld paragraph its whole text and every run
  of six consecutive words.
- The *released remainder* is what the plan releases, also computed from the original
  text: released paragraphs whole, redacted paragraphs outside their spans, and the
  header fields a release prints (subject, TAGS, addressees...).
- A withheld string that also occurs in the released remainder (a span "the talks"
  whose words the release shows elsewhere) cannot be told apart by searching, so it
  is not searched for; every other one must be absent from every output: the plain
  text, the HTML source as stored and with its entities decoded, the PDF's text layer
  (pypdf) and the PDF's metadata.  Case and whitespace are ignored, so a string the
  PDF breaks across lines still matches.
- The check must search a minimum number of strings (it cannot pass by skipping them
  all), and a positive control finds released words in the PDF text layer (it cannot
  pass because extraction returned nothing).
- The random plans are made self-consistent first (``consistent``): a paragraph that
  would release a redaction's words or four words running of a withheld paragraph of
  the same cable is withheld too, and so is one that would release a distinctive
  word of a redaction or name of a withheld paragraph, as a reviewer would have to,
  since such a release is refused (``test_withheld_text_stays_withheld.py``,
  ``test_redacted_names_by_word.py``).
"""

from __future__ import annotations

import html
import io
import os
import random
import re
import unicodedata

import pytest
from pypdf import PdfReader

from cables.ingest import cables_import, sources_from_paths
from cables.models import Cable
from releases.document import DecisionIn
from releases.models import Release
from tests.releases.conftest import SAMPLES, Plan, decide, import_files

pytestmark = pytest.mark.django_db

LABELS = [
    "(b)(1) 1.4(d)", "(b)(6)", "(b)(1) 1.4(b), 1.4(d)", "(b)(7)(C)", "B5",
    "(b)(3) 8 U.S.C. 1202(f)",
]  # fmt: skip
WINDOW = 6
REPEAT_WORDS = 4  # words of a withheld paragraph that no released paragraph may repeat
WORD = re.compile(r"[^\W_]+")


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def random_plan(cable: Cable, rng: random.Random) -> Plan:
    plan: dict[int, tuple[str, object]] = {}
    for p in cable.paragraphs.order_by("ordinal"):
        roll = rng.random()
        if roll < 0.25:
            plan[p.ordinal] = ("withhold", rng.choice(LABELS))
        elif roll < 0.65 and len(p.text) >= 30:
            spans = []
            for _ in range(rng.randint(1, 3)):
                start = rng.randrange(0, len(p.text) - 12)
                end = min(len(p.text), start + rng.randint(12, 60))
                spans.append({"start": start, "end": end, "label": rng.choice(LABELS)})
            plan[p.ordinal] = ("redact", spans)
        else:
            plan[p.ordinal] = ("release", None)
    return consistent(cable, plan)


def words_of(text: str) -> list[tuple[str, int, int]]:
    return [
        (unicodedata.normalize("NFKC", m.group()).casefold(), m.start(), m.end())
        for m in WORD.finditer(text)
    ]


def consistent(cable: Cable, plan: Plan) -> Plan:
    """``plan`` as reviewers would have to make it for the approval to go through: every
    paragraph that would repeat a run of text it withholds elsewhere in the cable
    withheld as well, and every distinctive word of a redaction or name of a withheld
    paragraph (``releases.withheld.repeats``, words of the corpus) that a paragraph
    would release withheld too (again, until nothing is repeated)."""
    from releases.services import corpus_common_words, paragraph_in
    from releases.withheld import repeats

    plan = consistent_runs(cable, plan)
    paragraphs = list(cable.paragraphs.order_by("ordinal"))
    while True:
        decisions = {}
        for p in paragraphs:
            kind, arg = plan[p.ordinal]
            spans = (
                tuple((s["start"], s["end"], s["label"]) for s in arg) if kind == "redact" else ()
            )
            label = arg if kind == "withhold" else ""
            decisions[p.pk] = DecisionIn(p.pk, p.pk, kind, spans, label)  # type: ignore[arg-type]
        found = [
            r
            for r in repeats(
                [paragraph_in(p) for p in paragraphs], decisions, corpus_common_words()
            )
            if r.how == "word"
        ]
        if not found:
            return plan
        for r in found:
            plan[r.ordinal] = ("withhold", LABELS[r.ordinal % len(LABELS)])
        plan = consistent_runs(cable, plan)


def consistent_runs(cable: Cable, plan: Plan) -> Plan:
    """``plan`` with every paragraph that would repeat text it withholds elsewhere in the
    cable withheld as well (again, until none does)."""
    paragraphs = [(p.ordinal, words_of(p.text)) for p in cable.paragraphs.order_by("ordinal")]
    plan = dict(plan)
    while True:
        secrets: list[list[str]] = []
        released: dict[int, str] = {}
        for ordinal, words in paragraphs:
            kind, arg = plan[ordinal]
            spans = arg if kind == "redact" else []
            keys = [w for w, _, _ in words]
            if kind == "withhold":
                n = REPEAT_WORDS
                secrets += [keys[i : i + n] for i in range(len(keys) - n + 1)] or [keys]
                continue
            runs: list[list[str]] = [[]]
            for word, start, end in words:
                touched = [s for s in spans if s["start"] < end and start < s["end"]]  # type: ignore[union-attr]
                if touched:
                    runs.append([])
                else:
                    runs[-1].append(word)
            released[ordinal] = "\n".join(" " + " ".join(run) + " " for run in runs)
            for s in spans:  # type: ignore[union-attr]
                secrets.append([w for w, a, b in words if s["start"] < b and a < s["end"]])
        leaking = [
            ordinal
            for ordinal, text in released.items()
            if any(secret and f" {' '.join(secret)} " in text for secret in secrets)
        ]
        if not leaking:
            return plan
        for ordinal in leaking:
            plan[ordinal] = ("withhold", LABELS[ordinal % len(LABELS)])


def withheld_strings(cable: Cable, plan: Plan) -> list[tuple[str, str]]:
    found = []
    for p in cable.paragraphs.order_by("ordinal"):
        kind, arg = plan[p.ordinal]
        if kind == "redact":
            for s in arg:  # type: ignore[union-attr]
                found.append(
                    (f"span {s['start']}-{s['end']} of ¶{p.ordinal}", p.text[s["start"] : s["end"]])
                )
        elif kind == "withhold":
            words = p.text.split()
            found.append((f"withheld ¶{p.ordinal}", p.text))
            found += [
                (f"withheld ¶{p.ordinal}, words {i}-{i + WINDOW}", " ".join(words[i : i + WINDOW]))
                for i in range(len(words) - WINDOW + 1)
            ]
    return found


def released_remainder(cable: Cable, plan: Plan) -> str:
    parts = [
        cable.reference_id, cable.subject, cable.origin, cable.originator, cable.classified_by,
        cable.signature, cable.decl, " ".join(cable.tags), " ".join(cable.to_addressees),
        " ".join(cable.info_addressees), " ".join(cable.references), " ".join(cable.reasons),
    ]  # fmt: skip
    for p in cable.paragraphs.order_by("ordinal"):
        kind, arg = plan[p.ordinal]
        if kind == "release":
            parts.append(p.text)
        elif kind == "redact":
            keep = [True] * len(p.text)
            for s in arg:  # type: ignore[union-attr]
                keep[s["start"] : s["end"]] = [False] * (s["end"] - s["start"])
            # Each run of kept text on its own: the release never joins two of them.
            run = ""
            for char, kept in zip(p.text, keep, strict=True):
                if kept:
                    run += char
                elif run:
                    parts.append(run)
                    run = ""
            parts.append(run)
    return "\n".join(parts)


def outputs_of(release: Release) -> dict[str, str]:
    files = {f.name: bytes(f.content) for f in release.files.all()}
    reader = PdfReader(io.BytesIO(files["release.pdf"]))
    source = files["release.html"].decode("utf-8")
    metadata = [str(v) for v in (reader.metadata or {}).values()]
    if reader.xmp_metadata is not None:
        metadata.append(str(reader.xmp_metadata.rdf_root.toxml()))
    return {
        "plain text": files["release.txt"].decode("utf-8"),
        "HTML source": source,
        "HTML source with entities decoded": html.unescape(source),
        "PDF text layer": "\n".join(page.extract_text() for page in reader.pages),
        "PDF metadata": "\n".join(metadata),
    }


def assert_nothing_withheld_in(release: Release, cable: Cable, plan: Plan) -> int:
    """See the module docstring; returns how many withheld strings were searched for."""
    remainder = squash(released_remainder(cable, plan))
    outputs = {name: squash(text) for name, text in outputs_of(release).items()}
    checked = 0
    for where, secret in withheld_strings(cable, plan):
        key = squash(secret)
        if len(key) < 8 or key in remainder:
            continue
        checked += 1
        for name, text in outputs.items():
            assert key not in text, f"{cable.reference_id}: {where} appears in the {name}"
    released = [p for p in cable.paragraphs.order_by("ordinal") if plan[p.ordinal][0] == "release"]
    for p in released:
        assert squash(" ".join(p.text.split()[:8])) in outputs["PDF text layer"]
    return checked


def test_a_sample_cable_released_with_redactions_leaks_nothing(reviewer, authority, publish):
    # Given the project's sample telegram, decided with random redactions and withholdings
    (cable,) = import_files([SAMPLES / "full_telegram.txt"])
    checked = 0
    for seed in range(3):
        rng = random.Random(seed)
        plan = consistent(cable, {**random_plan(cable, rng), 1: ("release", None)})
        assert plan[1] == ("release", None)  # something released, for the positive control
        if seed:
            from tests.rereview import reopen_for_rereview

            reopen_for_rereview(cable)  # a re-review round, as the sweep opens one
        decide(cable, reviewer, plan)

        # When a release authority approves and the release is generated
        release = publish(cable, authority)

        # Then it is published, and no withheld string is in any of its outputs
        assert release.status == Release.Status.PUBLISHED, release.blocked_reason
        assert release.version == seed + 1
        checked += assert_nothing_withheld_in(release, cable, plan)
    assert checked >= 15


def corpus_sample(corpus_dir, size: int, seed: int) -> list:
    files = sorted(corpus_dir.glob("*.txt"))
    if os.environ.get("DECLASS_RELEASE_CORPUS_ALL") == "1":
        return files
    return sorted(random.Random(seed).sample(files, min(size, len(files))))


@pytest.mark.corpus
def test_real_cables_released_with_random_redactions_leak_nothing(
    corpus_dir, reviewer, authority, publish
):
    """A seeded sample of the dev corpus (DECLASS_RELEASE_CORPUS_ALL=1: all of it)."""
    # Given real cables, imported with the metadata beside them
    paths = corpus_sample(corpus_dir, 30, seed=20250105)
    report = cables_import(sources_from_paths(paths), workers=1)
    assert not report.failed
    rng = random.Random(42)
    checked = withheld = 0
    for cable in Cable.objects.filter(pk__in=report.imported_ids).order_by("reference_id"):
        # decided at random: withholdings, redactions of random spans, releases
        plan = random_plan(cable, rng)
        decide(cable, reviewer, plan)

        # When each is approved and generated
        release = publish(cable, authority)

        # Then each is published and none of its withheld strings is in any output
        assert release.status == Release.Status.PUBLISHED, (
            f"{cable.reference_id}: {release.blocked_reason}"
        )
        checked += assert_nothing_withheld_in(release, cable, plan)
        withheld += sum(1 for kind, _ in plan.values() if kind != "release")
    assert withheld >= 30
    assert checked >= 200
