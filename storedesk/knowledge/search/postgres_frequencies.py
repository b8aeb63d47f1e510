"""PostgreSQL: how many translations hold each query word, for IDF and for bounded.plan.

Counting a word used in half the articles means reading half the table (the brand and
audience filters need each row, and the planner then checks `@@` on every row it reads),
hundreds of milliseconds at 100,000 articles. So a word among the column's most common
elements (`pg_stats.most_common_elems`, which ANALYZE and autovacuum keep up to date) is
estimated from its frequency there, times the brand's translations this audience sees;
any other word is rare (below the least common of those elements) and counted exactly
through the GIN index (a word being typed up to `PREFIX_COUNT_CAP`). Both are cached for
five minutes, like the document count. Until the table has been analysed there are no
elements and every word is counted: exactly what an unbounded search did.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search.bounded import AUDIENCE_SQL, document_count

CACHE_SECONDS = 300
# A word being typed matches every lexeme it begins: none may be common, yet together they
# can fill thousands of rows (counting some took 50 ms at 100,000 articles). Counting stops
# here; such a prefix then weighs as if it were this rare.
PREFIX_COUNT_CAP = 1000
_STATISTICS_KEY = "knowledge:search-vector-elements"


@dataclass(frozen=True)
class TermGroup:
    """One query word's alternatives: lexemes (prefixes when `prefix`), OR-ed."""

    lexemes: tuple[str, ...]
    prefix: bool

    @property
    def tsquery(self) -> str:
        star = ":*" if self.prefix else ""
        return " | ".join(f"{lexeme(term)}{star}" for term in self.lexemes)


def lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def _key(kind: str, brand_id: int, audience: str, tsquery: str) -> str:
    digest = hashlib.sha1(tsquery.encode(), usedforsecurity=False).hexdigest()
    return f"knowledge:{kind}:{brand_id}:{audience}:{digest}"


def capped_count(brand_id: int, audience: str, tsquery: str, cap: int) -> int:
    """Rows matching `tsquery`, counted up to `cap` (bounded.plan's questions); cached, as
    a customer typing sends the same words again with each keystroke."""
    key = _key(f"rows-{cap}", brand_id, audience, tsquery)
    count: int | None = cache.get(key)
    if count is None:
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM knowledge_articletranslation t "  # noqa: S608
            f"WHERE t.brand_id = %s AND {AUDIENCE_SQL[Audience(audience)]} "
            "AND t.search_vector @@ %s::tsquery LIMIT %s) AS capped"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [brand_id, tsquery, cap])
            count = int(cursor.fetchone()[0])
        cache.set(key, count, CACHE_SECONDS)
    return count


def frequencies(brand_id: int, audience: str, groups: Sequence[TermGroup]) -> list[int]:
    """Translations of the brand (as `audience` sees them) holding each group."""
    keys = {group: _key("df", brand_id, audience, group.tsquery) for group in groups}
    found: dict[str, int] = cache.get_many(list(keys.values()))
    missing = [group for group in groups if keys[group] not in found]
    if missing:
        counted = _estimates(brand_id, audience, missing)
        rest = [group for group in missing if group not in counted]
        counted |= _counts(brand_id, audience, [group for group in rest if not group.prefix])
        counted |= {
            group: capped_count(brand_id, audience, group.tsquery, PREFIX_COUNT_CAP)
            for group in rest
            if group.prefix
        }
        fresh = {keys[group]: count for group, count in counted.items()}
        cache.set_many(fresh, CACHE_SECONDS)
        found |= fresh
    return [found[keys[group]] for group in groups]


def _estimates(brand_id: int, audience: str, groups: Sequence[TermGroup]) -> dict[TermGroup, int]:
    """Groups holding a common element: its share of the column times the documents."""
    elements = _common_elements()
    if not elements:
        return {}
    documents = document_count(brand_id, audience)
    estimated: dict[TermGroup, int] = {}
    for group in groups:
        if group.prefix:
            share = sum(f for e, f in elements.items() if e.startswith(group.lexemes))
        else:
            share = sum(elements.get(term, 0.0) for term in group.lexemes)
        if share:
            estimated[group] = round(min(1.0, share) * documents)
    return estimated


def _common_elements() -> dict[str, float]:
    """The search vector's most common lexemes and the share of rows holding each."""
    elements: dict[str, float] | None = cache.get(_STATISTICS_KEY)
    if elements is None:
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats
                WHERE tablename = 'knowledge_articletranslation' AND attname = 'search_vector'
                    AND schemaname = current_schema()"""
            )
            row = cursor.fetchone()
        lexemes, shares = (row[0] or [], row[1] or []) if row else ([], [])
        # The array ends with three more numbers (lowest, highest, null share).
        elements = dict(zip(lexemes, shares[: len(lexemes)], strict=True))
        cache.set(_STATISTICS_KEY, elements, CACHE_SECONDS)
    return elements


def _counts(brand_id: int, audience: str, groups: Sequence[TermGroup]) -> dict[TermGroup, int]:
    """Exact counts of rare groups, all in one pass over the rows holding any of them."""
    if not groups:
        return {}
    columns = ", ".join("count(*) FILTER (WHERE t.search_vector @@ %s::tsquery)" for _ in groups)
    sql = (
        f"SELECT {columns} FROM knowledge_articletranslation t "  # noqa: S608
        f"WHERE t.brand_id = %s AND {AUDIENCE_SQL[Audience(audience)]} "
        "AND t.search_vector @@ %s::tsquery"
    )
    texts = [group.tsquery for group in groups]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*texts, brand_id, " | ".join(f"({t})" for t in texts)])
        row = cursor.fetchone()
    return {group: int(count) for group, count in zip(groups, row, strict=True)}
