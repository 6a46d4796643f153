"""The MinHash tables grow while other threads of a web server read them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cables.similarity import minhash


def test_threads_hashing_texts_of_growing_length_all_get_their_hashes(monkeypatch):
    # Start from empty tables, so that every thread may find them too short and grow them.
    empty = (minhash._tables[0][:1].copy(), minhash._tables[1][:1].copy())
    monkeypatch.setattr(minhash, "_tables", empty)
    texts = [f"word{i} " * (200 * (i % 40 + 1)) for i in range(400)]
    expected = [len(t.split()) for t in texts]

    def words_of(text: str) -> int:
        hashes, owner = minhash._word_hashes([text])
        return len(hashes)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(words_of, texts)) == expected
