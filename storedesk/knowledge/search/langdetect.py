"""Which of the brand's languages a query is written in.

Script decides first (Han, Cyrillic); py3langid then chooses among the rest. The model
loads on first use only (about two seconds), in the processes that search.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from storedesk.knowledge.search.analysis import CHINESE, has_han

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# py3langid's labels for our language codes.
_LANGID_CODE = {CHINESE: "zh"}


class _Identifier(Protocol):
    def rank(self, text: str) -> list[tuple[str, float]]: ...


@functools.cache
def _identifier() -> _Identifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    identifier: _Identifier = LanguageIdentifier.from_model_file(MODEL_FILE)
    return identifier


# Log-probability points one query word known in a language's vocabulary is worth, and
# what the caller's hint (the page's or the customer's language) is worth: enough to
# decide a single ambiguous word ("returnera"), never a clear sentence in another language.
KNOWN_WORD_POINTS = 6.0
HINT_POINTS = 8.0


def detect_language(
    text: str,
    languages: Sequence[str],
    *,
    known_words: Mapping[str, int] | None = None,
    hint: str | None = None,
) -> str | None:
    """The most likely of `languages` for `text`; None when there is nothing to choose.

    Script decides Chinese and Russian. Otherwise py3langid's log-probabilities, plus
    points per query word the language's vocabulary knows (`known_words`) and for the
    `hint` language.
    """
    if not languages or not text.strip():
        return None
    if len(languages) == 1:
        return languages[0]
    if has_han(text) and CHINESE in languages:
        return CHINESE
    if _CYRILLIC.search(text) and "ru" in languages:
        return "ru"
    counts = known_words or {}
    wanted = {_LANGID_CODE.get(code, code): code for code in languages}
    scores = {wanted[label]: score for label, score in _identifier().rank(text) if label in wanted}
    floor = min(scores.values(), default=0.0)

    def points(code: str) -> float:
        bonus = KNOWN_WORD_POINTS * counts.get(code, 0) + (HINT_POINTS if code == hint else 0.0)
        return scores.get(code, floor) + bonus

    return max(languages, key=lambda code: (points(code), -languages.index(code)))
