"""The near-duplicate finder: word definition, signatures, the band index and its upkeep."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from cables.ingest import cables_import, expand_paths, sources_from_paths
from cables.models import Cable, Paragraph, ParagraphBand
from cables.parsing import metadata_for_file, parse_file
from cables.similarity import minhash, store, text
from tests.cables.cable_text import telegram
from tests.factories import CableFactory, ParagraphFactory

TALKS = (
    "The foreign minister told the ambassador on Tuesday that the government would "
    "resume talks with the northern opposition in March, provided that the ceasefire "
    "held and the opposition released the two engineers it detained in January. He "
    "asked that the United States press the opposition leaders to accept the offer."
)
HARVEST = (
    "Agricultural officials expect the wheat harvest to fall short of last year by "
    "about a tenth after the dry spring; the ministry has asked donors for seed and "
    "fertilizer credits and plans to import grain from neighbouring countries."
)


def edited(body: str, changes: int, seed: int = 1) -> str:
    """The text with ``changes`` words replaced, as a retransmission might have it."""
    rng = random.Random(seed)
    words = body.split()
    for i in rng.sample(range(len(words)), changes):
        words[i] = rng.choice(["ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"])
    return " ".join(words)


def corpus_paragraphs(folder: Path, limit: int = 400) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.txt")):
        parsed = parse_file(path, metadata=metadata_for_file(path))
        found.extend(p.text for p in parsed.paragraphs)
        if len(found) >= limit:
            break
    return found[:limit]


# -- the word definition: one on both paths -----------------------------------------------

TRICKY = [
    "MUGABE’S departure — “soon”, he said… ¶ 3",
    'Mugabe\'s\u00a0departure -- "soon", he\tsaid...\n\n(3)',
    "Ça coûte 5 000 FCFA à São Tomé; ÉTÉ, été.",
    "snake_case and e-mail@example.org, 1.4(b) & (d)",
    "Ωmega ΣΟΦΙΑ 東京 \u2009thin\u2009space",
]


@pytest.mark.parametrize("body", TRICKY)
def test_the_vectorised_words_are_the_exact_path_s_words(body):
    hashes, owner = minhash._word_hashes([body, "separate text"])
    exact = [w.text for w in text.words(body)]

    assert len(hashes[owner == 0]) == len(exact)
    # equal words hash equal, different words differently
    by_word = dict(zip(exact, hashes[owner == 0].tolist(), strict=True))
    assert len(set(by_word.values())) == len(by_word)


def test_case_spacing_and_punctuation_do_not_matter():
    assert [w.text for w in text.words(TRICKY[0])] == [w.text for w in text.words(TRICKY[1])]
    assert b"".join(w.text for w in text.words(TRICKY[0])) == b"mugabesdeparturesoonhesaid3"
    a, _ = minhash.band_keys([TALKS], min_words=8)
    b, _ = minhash.band_keys([TALKS.upper().replace(" ", "  \n").replace(",", " --")], min_words=8)
    assert (a == b).all()


def test_words_keep_their_offsets_in_the_original_text():
    body = "  (C) MUGABE’S   deal"
    assert [(w.text, body[w.start : w.end]) for w in text.words(body)] == [
        (b"c", "C"),
        (b"mugabe", "MUGABE"),
        (b"s", "S"),
        (b"deal", "deal"),
    ]


def test_the_corpus_words_agree_on_both_paths(corpus_dir):
    paragraphs = corpus_paragraphs(corpus_dir)
    hashes, owner = minhash._word_hashes(paragraphs)
    seen: dict[bytes, int] = {}
    for i, body in enumerate(paragraphs):
        exact = [w.text for w in text.words(body)]
        mine = hashes[owner == i].tolist()
        assert len(mine) == len(exact), body[:80]
        for word, value in zip(exact, mine, strict=True):
            assert seen.setdefault(word, value) == value
    assert len(set(seen.values())) == len(seen)  # no two words share a hash


# -- signatures and band keys -------------------------------------------------------------


def test_short_paragraphs_get_no_keys_and_the_minimum_is_a_setting(settings):
    short = "Embassy agrees with the proposed approach."  # 6 words
    _, indexable = minhash.band_keys([short, TALKS], min_words=8)
    assert indexable.tolist() == [False, True]

    settings.DECLASS_SIMILARITY_MIN_WORDS = 5
    assert store.keys_for([short])[0] != []
    settings.DECLASS_SIMILARITY_MIN_WORDS = 8
    assert store.keys_for([short]) == [[]]


def test_a_bad_setting_is_refused_by_name(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.DECLASS_SIMILARITY_THRESHOLD_PCT = 0
    with pytest.raises(ImproperlyConfigured, match="DECLASS_SIMILARITY_THRESHOLD_PCT"):
        store.threshold()
    settings.DECLASS_SIMILARITY_MIN_WORDS = 2
    with pytest.raises(ImproperlyConfigured, match="DECLASS_SIMILARITY_MIN_WORDS"):
        store.min_words()


def test_edited_copies_share_a_band_and_unrelated_paragraphs_do_not(corpus_dir):
    paragraphs = [p for p in corpus_paragraphs(corpus_dir) if len(text.words(p)) >= 40]
    copies = [edited(p, 3, seed=i) for i, p in enumerate(paragraphs)]
    keys, _ = minhash.band_keys(paragraphs, min_words=8)
    copy_keys, _ = minhash.band_keys(copies, min_words=8)
    similar = np.array(
        [
            text.jaccard(text.shingles(text.words(a)), text.shingles(text.words(b)))
            >= store.threshold()
            for a, b in zip(paragraphs, copies, strict=True)
        ]
    )
    shared = (keys == copy_keys).any(axis=1)
    # Near-duplicates above the threshold are found (the banding makes a miss at
    # s = 0.7 a 1.5% chance; these pairs mostly lie well above it).
    assert similar.mean() > 0.8
    assert shared[similar].mean() > 0.97
    unrelated = (keys == np.roll(keys, 7, axis=0)).any(axis=1)
    assert unrelated.mean() < 0.01


# -- the index ----------------------------------------------------------------------------


@pytest.fixture
def cables():
    a = CableFactory()
    ParagraphFactory(cable=a, ordinal=1, text=TALKS)
    ParagraphFactory(cable=a, ordinal=2, text="Embassy agrees.")  # too short to index
    b = CableFactory()
    ParagraphFactory(cable=b, ordinal=1, text=edited(TALKS, 2))
    ParagraphFactory(cable=b, ordinal=2, text=HARVEST)
    return a, b


@pytest.mark.django_db
def test_indexing_a_cable_twice_writes_its_rows_once(cables):
    a, b = cables

    written = store.index_cables([a.pk, b.pk])
    rows = set(ParagraphBand.objects.values_list("key", "paragraph_id", "cable_id"))
    again = store.index_cables([a.pk])

    assert written == 3 * minhash.BANDS  # the short paragraph is not indexed
    assert again == minhash.BANDS
    assert set(ParagraphBand.objects.values_list("key", "paragraph_id", "cable_id")) == rows
    assert ParagraphBand.objects.count() == len(rows) == written


@pytest.mark.django_db
def test_near_duplicates_finds_an_edited_copy_and_not_an_unrelated_paragraph(cables):
    a, b = cables
    store.index_cables([a.pk, b.pk])
    talks_b = b.paragraphs.get(ordinal=1)

    found = store.near_duplicates(TALKS, exclude_cable_id=a.pk)

    assert [m.paragraph_id for m in found] == [talks_b.pk]
    assert store.threshold() <= found[0].similarity < 1
    assert store.near_duplicates(HARVEST.replace("wheat", "maize"), exclude_cable_id=b.pk) == []
    assert store.near_duplicates("Embassy agrees.") == []


@pytest.mark.django_db
def test_a_rebuild_writes_what_indexing_every_cable_writes(cables):
    a, b = cables
    store.index_cables([a.pk, b.pk])
    expected = set(ParagraphBand.objects.values_list("key", "paragraph_id", "cable_id"))
    ParagraphBand.objects.filter(cable=a).delete()

    report = store.index_rebuild(workers=1)
    store.index_rebuild(workers=2)  # the process pool gives the same rows

    assert set(ParagraphBand.objects.values_list("key", "paragraph_id", "cable_id")) == expected
    assert (report.paragraphs, report.indexed, report.rows) == (4, 3, len(expected))
    assert ParagraphBand.objects.count() == len(expected)


@pytest.mark.django_db
def test_the_command_catches_up_with_unindexed_cables_then_rebuilds(cables, capsys):
    a, b = cables
    store.index_cables([a.pk])

    call_command("similarity_index", "--no-progress")
    assert capsys.readouterr().out.strip() == "cables=1"  # only b was missing
    assert ParagraphBand.objects.filter(cable=b).count() == 2 * minhash.BANDS

    call_command("similarity_index", "--rebuild", "--workers", "1", "--no-progress")
    assert capsys.readouterr().out.strip() == f"paragraphs=4 indexed=3 rows={3 * minhash.BANDS}"


@pytest.mark.django_db
def test_deleting_a_cable_deletes_its_index_rows(cables):
    a, b = cables
    store.index_cables([a.pk, b.pk])

    Cable.objects.filter(pk=a.pk).delete()

    assert set(ParagraphBand.objects.values_list("cable_id", flat=True)) == {b.pk}


@pytest.mark.django_db
def test_newly_imported_cables_are_indexed(tmp_path, django_capture_on_commit_callbacks):
    body = (f"1. (C) {TALKS}", f"2. (U) {HARVEST}", "3. (C) Comment: little progress.")
    for serial in (1, 2):
        (tmp_path / f"c{serial}.txt").write_text(
            telegram(serial=serial, paragraphs=body), encoding="utf-8"
        )

    with django_capture_on_commit_callbacks(execute=True):
        report = cables_import(sources_from_paths(expand_paths([tmp_path])), workers=1)

    assert report.imported == 2
    indexed = set(ParagraphBand.objects.values_list("paragraph_id", flat=True))
    long_enough = set(
        Paragraph.objects.exclude(text__contains="little progress").values_list("pk", flat=True)
    )
    assert indexed == long_enough and len(indexed) == 4
    first = Cable.objects.get(reference_id__endswith="EXAMPLETOWN1")
    assert [m.cable_id for m in store.near_duplicates(TALKS, exclude_cable_id=first.pk)] == [
        Cable.objects.get(reference_id__endswith="EXAMPLETOWN2").pk
    ]
