"""Text analysis shared by indexing, querying and snippets, identical on both databases.

Words are lower-cased `\\w+` runs; Chinese (Han) runs are segmented with jieba, whose
dictionary ships inside the package and loads on first use only. English, Swedish and
Russian words are reduced to their Snowball stems (the `snowballstemmer` package). Both
backends index and query these stems, not their own parsers' and dictionaries'.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from typing import Protocol

import snowballstemmer  # type: ignore[import-untyped]

CHINESE = "zh-hans"
SNOWBALL = {"en": "english", "sv": "swedish", "ru": "russian"}
# Natural questions are long; every word counts for bm25 (12 words cost 0.08 MRR on StackFAQ).
MAX_QUERY_WORDS = 32
MAX_TERM_CHARS = 64

_WORD = re.compile(r"\w+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # noqa: N802 (the package's name)


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


@functools.cache
def _jieba() -> object:
    import jieba  # type: ignore[import-untyped]

    jieba.setLogLevel(logging.WARNING)
    return jieba


def words(text: str) -> list[str]:
    """Lower-cased words in order; Chinese runs split into jieba's search segments."""
    lowered = text.casefold().replace("ё", "е")
    if not has_han(lowered):
        return _WORD.findall(lowered)
    jieba = _jieba()
    segments = jieba.cut_for_search(lowered)  # type: ignore[attr-defined]
    return [s for s in segments if _WORD.fullmatch(s)]


@functools.cache
def _stemmer(language: str) -> _Stemmer | None:
    algorithm = SNOWBALL.get(language)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@functools.lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    # Cached: Snowball in pure Python costs tens of microseconds a word, and words repeat.
    stemmer = _stemmer(language)
    if stemmer is None or has_han(word):
        return word
    return stemmer.stemWord(word)


def index_text(text: str, language: str) -> str:
    """What the SQLite index stores for a text: its stems separated by spaces."""
    return " ".join(stem(word, language) for word in words(text))


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Words worth correcting a typo towards: alphabetic, not Chinese, 3-64 characters."""
    found: set[str] = set()
    for text in texts:
        found.update(
            w
            for w in words(text)
            if 3 <= len(w) <= MAX_TERM_CHARS and w.isalpha() and not has_han(w)
        )
    return found


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word (two spaces before, one after)."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(), computed the same way for both databases."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0
