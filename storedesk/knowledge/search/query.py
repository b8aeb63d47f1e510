"""A parsed query: what both backends need to build their match expressions."""

from __future__ import annotations

from dataclasses import dataclass, field

from storedesk.knowledge.search.analysis import stem

# A word being typed is matched as a prefix from two letters on. One letter would merge the
# postings of every indexed word that starts with it (thousands) on each keystroke, and
# narrows nothing; it is matched as the word it already is ("I", "a", "我").
MIN_PREFIX_CHARS = 2


@dataclass(frozen=True)
class ParsedQuery:
    words: list[str]
    languages: list[str]  # the brand's languages: each word is stemmed for every one
    prefix: bool = False  # the last word is still being typed
    corrections: dict[str, list[str]] = field(default_factory=dict)

    @property
    def complete_words(self) -> list[str]:
        return self.words[:-1] if self.prefix_word else self.words

    @property
    def prefix_word(self) -> str | None:
        typed = self.words[-1] if self.prefix and self.words else None
        return typed if typed and len(typed) >= MIN_PREFIX_CHARS else None

    def alternatives(self, word: str) -> list[str]:
        return [word, *self.corrections.get(word, [])]

    def stems_of(self, word: str) -> set[str]:
        """Every form the word (or its corrections) takes in the brand's languages."""
        return {stem(alt, lang) for alt in self.alternatives(word) for lang in self.languages}

    def stems_for(self, language: str) -> set[str]:
        return {stem(alt, language) for w in self.words for alt in self.alternatives(w)}

    def prefixes_for(self, language: str) -> set[str]:
        word = self.prefix_word
        return {word, stem(word, language)} if word else set()
