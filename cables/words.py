"""Distinctive words: which words of a cable can name someone, and where they stand.

One definition for two apps at different layers: the release check
(``releases.withheld``: a redacted name may not be released in another form)
and the review page (``workflow.occurrences``: every other place the cable shows
a redacted span's words, to redact them too).  The workflow sits below releases
and may not import it, so the pure word logic lives here, below both.

A word is what ``cables.similarity.text.words`` says, read after NFKC folding
and case folding with invisible characters dropped.  A word is *distinctive*
when it can name someone or something: not a stop word, a month or a day, not a
single character, not a year or short number, and not common in the corpus (a
document frequency over the stored paragraphs: ``corpus_common_words``).
"""

from __future__ import annotations

import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from functools import lru_cache

from django.conf import settings
from django.db import connection

from cables.models import Paragraph
from cables.similarity.text import ENCODING_ERRORS, merged_ranges, words

INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))

Keyed = list[tuple[str, int, int]]
# ``cables.similarity.text``'s word pattern on ASCII text (its other ranges are not ASCII).
_ASCII_WORD = re.compile("[a-z0-9]+")


@lru_cache(maxsize=4096)
def _fold(char: str) -> str:
    if ord(char) in INVISIBLE:
        return ""
    return unicodedata.normalize("NFKC", char).casefold()


def word_keys(text: str) -> Keyed:
    """The words of ``text`` as compared, with their character offsets in ``text``.

    A word is what ``cables.similarity.text.words`` says, read after NFKC folding
    and case folding, invisible characters dropped, so that ``BLUE\u00adHERON`` or a
    full-width ``ＬＥＥ`` is the word it looks like.  Whole words, never
    substrings: "LEE" is not shown by "fleet".
    """
    if text.isascii():
        # Most cables: NFKC leaves ASCII as it is, case folding is lower(), no invisible
        # character is ASCII, so the offsets are the text's own (same words, 5x faster).
        return [(m.group(), m.start(), m.end()) for m in _ASCII_WORD.finditer(text.lower())]
    folded: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        for out in _fold(char):
            folded.append(out)
            origin.append(i)
    clean = "".join(folded)
    return [
        (
            unicodedata.normalize("NFC", w.text.decode("utf-8", ENCODING_ERRORS)),
            origin[w.start],
            origin[w.end - 1] + 1,
        )
        for w in words(clean)
    ]


# English function words (the usual stop-word lists: articles, pronouns, auxiliaries,
# prepositions, conjunctions, quantifiers), with the months and days of the week,
# which a redacted date shares with any other date.  A word of one character, or
# of digits only, is never distinctive either: an initial or a number says nothing
# alone.  Everything else is decided by the corpus (``common_words``).
STOP_WORDS = frozenset(
    """
    a about above after again against all almost along already also although always am
    among an and another any anyone anything are around as at away back be because been
    before being below between both but by can cannot could did do does doing done down
    during each either else enough etc even ever every few for from further get gets got
    had has have having he her here hers herself him himself his how however i if in into
    is it its itself just least less let like made make many may me might mine more most
    much must my myself neither never next no nor not now of off often on once one only
    onto or other others otherwise our ours ourselves out over own per perhaps quite
    rather said same say says shall she should since so some still such than that the
    their theirs them themselves then there these they this those though through thus to
    too toward towards under until up upon us very via was we well were what whatever when
    where whether which while who whom whose why will with within without would yet you
    your yours yourself yourselves mr mrs ms dr
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
# "Common in the corpus": a word in more than this share of the stored paragraphs.
# On the 250 dev cables (2,567 paragraphs), 5% keeps 211 words common: the stock
# vocabulary of cables (embassy, ambassador, minister, government, security,
# meeting, party...), while names and places stay distinctive (Mugabe is in 8
# paragraphs, Moscow in 30, Russia in 112).  1% would also make "Moscow" common.
COMMON_PARAGRAPH_PCT = 5.0
# Below this many paragraphs a share says nothing (in a corpus of three paragraphs
# every word is "common"): only the stop words are common then.
MIN_CORPUS_PARAGRAPHS = 200
_WORD_CHARS = re.compile("[A-Za-z0-9\u0080-\u009f\u00c0-\u1fff\u2070-\U0010ffff]+")


def paragraph_words(text: str) -> set[str]:
    """The distinct word keys of ``text`` (as ``word_keys`` reads them, without offsets)."""
    folded = unicodedata.normalize("NFKC", text).translate(INVISIBLE).casefold()
    return {unicodedata.normalize("NFC", w) for w in _WORD_CHARS.findall(folded)}


def common_words(
    texts: Iterable[str],
    *,
    pct: float = COMMON_PARAGRAPH_PCT,
    min_paragraphs: int = MIN_CORPUS_PARAGRAPHS,
) -> frozenset[str]:
    """The words in more than ``pct`` percent of ``texts`` (a document frequency).

    Why a document frequency over the stored paragraphs, and not a shipped
    frequency list of general English: what is common in cables is not what is
    common in English.  "Embassy", "ambassador", "démarche" or "MFA" are rare in
    English and in most cable paragraphs; "Rosa" or "Smith" are common English
    words (a name list, a frequency list) but name one person in a cable.  The
    stored paragraphs say which words cables use everywhere.  A paragraph counts
    a word once, so one long paragraph repeating a name does not make it common.
    ``corpus_common_words`` reads the texts (a seeded sample of at most 20,000
    paragraphs, one query) and caches the result per process until the table
    grows by a tenth.
    """
    counts: Counter[str] = Counter()
    total = 0
    for text in texts:
        total += 1
        counts.update(paragraph_words(text))
    if total < min_paragraphs:
        return frozenset()
    limit = total * pct / 100
    return frozenset(w for w, n in counts.items() if n > limit)


def distinctive(word: str, common: Collection[str]) -> bool:
    """A word that can name someone or something: not a stop word, not common in the
    corpus, not a single character; a number only from three digits on and when it is
    no year (1900-2099): a day or a count says nothing alone, a telephone or passport
    number does."""
    if len(word) < 2 or word in STOP_WORDS or word in common:
        return False
    if word.isdigit():
        return len(word) >= 3 and not (len(word) == 4 and 1900 <= int(word) <= 2099)
    return True


def mixed_case(text: str) -> bool:
    """Text with both small and capital letters, where case tells names from vocabulary
    (older telegrams are all capitals, and there it tells nothing)."""
    return any(c.islower() for c in text) and any(c.isupper() for c in text)


def lower_case(surface: str) -> bool:
    """A word written in small letters only (a number is not): in mixed-case text,
    ordinary vocabulary rather than a name ("the station", not "STATION BLUEHERON")."""
    if surface.isascii():
        return surface.islower()  # every ASCII letter is cased: the same test, faster
    letters = [c for c in surface if c.isalpha()]
    return bool(letters) and all(c.islower() for c in letters)


NAME_GAP = 4  # characters between two hits read as one name ("QUINT, Rosa", "Rosa M. Quint")


def joined_ranges(text: str, ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character ranges of ``text`` merged into passages: hits no more than ``NAME_GAP``
    characters apart (and with no digit between) read as one name, "QUINT, Rosa"."""
    joined: list[tuple[int, int]] = []
    for start, end in merged_ranges(ranges):
        gap = text[joined[-1][1] : start] if joined else None
        if gap is not None and len(gap) <= NAME_GAP and not any(c.isdigit() for c in gap):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


# -- words common in the corpus ---------------------------------------------------------------

SAMPLE_PARAGRAPHS = 20_000
_common_lock = threading.Lock()
_common_cache: dict[str, tuple[int, float, frozenset[str]]] = {}
COMMON_MAX_AGE_S = 24 * 3600


def corpus_common_words(*, refresh: bool = False) -> frozenset[str]:
    """The words in more than ``DECLASS_COMMON_WORD_PCT`` percent (default
    ``COMMON_PARAGRAPH_PCT``) of the stored paragraphs (``common_words``).

    One query reads the paragraphs' text, a seeded (repeatable) Bernoulli sample
    of about ``SAMPLE_PARAGRAPHS`` when there are more (a share of 5% is measured
    to within a few tenths of a percent on 20,000), counted in Python with the
    release check's own definition of a word.  On the 250 dev cables it takes
    0.2 s; the result (a few hundred words) is kept per process until the
    paragraph table grows by a tenth, or for a day.  The database stores no word
    table: a word's share changes slowly, and the words near the cut are neither
    names nor stock vocabulary.  No text leaves this function, only the words
    common everywhere, so it reads past grants and clearances.
    """
    pct = float(getattr(settings, "DECLASS_COMMON_WORD_PCT", COMMON_PARAGRAPH_PCT))
    minimum = int(getattr(settings, "DECLASS_COMMON_WORD_MIN_PARAGRAPHS", MIN_CORPUS_PARAGRAPHS))
    table = Paragraph._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT coalesce(max("id"), 0) FROM "{table}"')  # nosec B608
        top = int(cursor.fetchone()[0])
        key = f"{connection.alias}:{pct}:{minimum}"
        with _common_lock:
            cached = _common_cache.get(key)
        if (
            not refresh
            and cached is not None
            and cached[0] <= top <= cached[0] * 1.1
            and time.monotonic() - cached[1] < COMMON_MAX_AGE_S
        ):
            return cached[2]
        # The share from the rows there are, not from the highest id: ids of deleted
        # paragraphs would make the sample too small.
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # nosec B608
        share = min(100.0, 100.0 * SAMPLE_PARAGRAPHS / max(int(cursor.fetchone()[0]), 1))
        if share >= 100.0:
            cursor.execute(f'SELECT "text" FROM "{table}"')  # nosec B608
        else:
            cursor.execute(
                f'SELECT "text" FROM "{table}" TABLESAMPLE BERNOULLI (%s) REPEATABLE (7)',  # nosec B608
                [share],
            )
        found = common_words((row[0] for row in cursor.fetchall()), pct=pct, min_paragraphs=minimum)
    with _common_lock:
        _common_cache[key] = (top, time.monotonic(), found)
    return found


# -- words as a reader sees them (the release check and the review page's occurrences) ----
#
# ``word_keys`` stays as it is: the near-duplicate index's stored band hashes depend on it.

# Characters that draw nothing, or only change how the letter before them is drawn,
# beyond those ``INVISIBLE`` drops: every format character (Cf: marks of
# direction, the invisible operators, tag characters...), the grapheme joiner,
# variation selectors and the Hangul fillers.  A PDF's text layer drops them, so a
# reader sees the word they split.
_DRAWS_NOTHING = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
)
# Letters of other scripts drawn like a Latin letter (the Latin look-alikes of Unicode's
# confusables list, TR39, for Cyrillic, Greek and a few others), by case, so that
# "BLU\u0415HERON" with a Cyrillic capital IE is read as the BLUEHERON it shows.  NFKC
# already folds full-width and mathematical letters; it keeps these apart.
_LOOK_ALIKES = str.maketrans(
    "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425"
    "\u0405\u0406\u0408\u04ae\u04c0\u051a\u051c\u04bb"
    "\u0430\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0501\u051b"
    "\u051d\u04cf\u0261\u0131"
    "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4"
    "\u03a5\u03a7\u03bf\u03bd\u03b9\u03ba\u03c1\u03c5\u03c7\u03b1\u0269"
    "\u0555\u0585\u057d\u0570",
    "ABEKMHOPCTYXSIJYIQWhaeopcyxsijdqwlgiABEZHIKMNOPTYXovikpuxaiOouh",
)
# A hyphen ending a word, then nothing but spaces or a line break before the next:
# teletype cables break words at line ends ("BLUE-" / "HERON").
_HYPHENS = frozenset("-\u2010\u2011\u2012\u2013\u2212")
# What a word is written inside of when it is part of an address, not prose: an
# e-mail address, a URL, a host name or a handle.  Its words are names whatever
# their case ("oriol.varga@mod.example" names a person in small letters).
_ADDRESS = re.compile(
    r"\S*@\S+"  # an e-mail address or a handle
    r"|\b[a-z][a-z0-9+.-]*://\S+"  # a URL
    r"|[^\W_]{2,}(?:[._][^\W_]{2,})+",  # a host name, a dotted or underscored identifier
    re.IGNORECASE,
)


def _drawn(char: str) -> bool:
    return char not in _DRAWS_NOTHING and unicodedata.category(char) != "Cf"


def check_keys(text: str, *, joins: bool = True) -> Keyed:
    """The words of ``text`` as the release check compares them, with their character
    offsets in ``text``: ``word_keys`` read after dropping every character that draws
    nothing and folding look-alike letters to the Latin letter they show.

    ``joins``: also each pair of words a hyphen joins across spaces or a line break
    ("BLUE-\nHERON", as teletypes broke words), read as the one word it may be
    ("blueheron"), spanning both; the two words stay as well (a hyphenated compound
    is also its parts).  Comparing whole words in order, leave it out.
    """
    if text.isascii():
        keyed = word_keys(text)  # nothing to drop or fold: the shared reading, fast
    else:
        clean = text.translate(_LOOK_ALIKES)  # one letter for one: the offsets hold
        if all(_drawn(c) for c in set(clean) if not c.isascii()):
            keyed = word_keys(clean)
        else:
            kept = [i for i, c in enumerate(clean) if _drawn(c)]
            clean = "".join(clean[i] for i in kept)
            keyed = [(key, kept[s], kept[e - 1] + 1) for key, s, e in word_keys(clean)]
    if not joins or not any(h in text for h in _HYPHENS):
        return keyed
    joined: Keyed = []
    for (k1, s1, e1), (k2, s2, e2) in zip(keyed, keyed[1:], strict=False):
        gap = "".join(c for c in text[e1:s2] if _drawn(c))
        if gap[:1] in _HYPHENS and not gap[1:].strip():
            joined.append((k1 + k2, s1, e2))
    return sorted([*keyed, *joined], key=lambda w: (w[1], w[2])) if joined else keyed


def address_ranges(text: str) -> list[tuple[int, int]]:
    """Where ``text`` writes addresses (``_ADDRESS``)."""
    if "@" not in text and "." not in text and "_" not in text:
        return []
    return [m.span() for m in _ADDRESS.finditer(text)]
