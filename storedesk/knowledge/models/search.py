"""The vocabulary behind typo tolerance: every word that occurs in an indexed translation.

A misspelt query word is matched against this table through a trigram index (FTS5
trigram on SQLite, pg_trgm on PostgreSQL; migration 0002), never by scanning articles.
Insert-only: a word left behind by an edited article only costs a query expansion that
finds nothing.
"""

from __future__ import annotations

from django.db import models


class SearchTerm(models.Model):
    language = models.CharField(max_length=10)
    term = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "term"], name="kb_search_term_unique"),
        ]

    def __str__(self) -> str:
        return self.term
