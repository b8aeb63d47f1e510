"""The search backend of the connected database: one module per vendor, same functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from django.db import connection

from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.search.ranking import RankingWeights


class SearchBackend(Protocol):
    # Rows one search may score once more match (bounded.py); each backend's own cost.
    SCORED_ROWS: int

    def index(self, translation_id: int, *, language: str, title: str, body: str) -> None: ...

    def candidates(
        self, brand_id: int, query: ParsedQuery, *, audience: str, weights: RankingWeights
    ) -> list[tuple[int, float]]:
        """(translation id, text relevance: higher is better), best first."""
        ...

    def similar_terms(self, word: str, languages: Sequence[str], *, limit: int) -> list[str]:
        """Vocabulary words sharing trigrams with `word`, most similar first."""
        ...


def backend() -> SearchBackend:
    if connection.vendor == "postgresql":
        from storedesk.knowledge.search import postgres

        return postgres
    from storedesk.knowledge.search import sqlite_fts5

    return sqlite_fts5
