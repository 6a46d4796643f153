"""Near-duplicate paragraphs across cables: shingles, MinHash signatures and an LSH index.

The same paragraph turns up in several cables (repeats, quotations,
retransmissions with small edits).  Comparing every pair of paragraphs is
quadratic; instead each paragraph gets a MinHash signature over its word
shingles, cut into bands, and every band is stored as one indexed key
(``cables.models.ParagraphBand``).  Two paragraphs that share any band key
are candidates; candidates are then confirmed with the exact Jaccard
similarity of their shingle sets.

- ``text``: what a word is, one definition for the vectorised and the exact path.
- ``minhash``: signatures and band keys for many paragraphs at once (numpy).
- ``store``: writing the index (per cable, or a full rebuild with COPY) and
  looking candidates up.
"""
