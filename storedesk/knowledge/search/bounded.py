"""Which rows a query may score: all of them while few match, a bounded set when many do.

A query's words are OR-ed, so a word used in half the articles ("order", "the") made the
database rank half the table on every search, and the cost grew with the knowledge base
(p95 255 ms on PostgreSQL at 20,000 articles). Both backends ask `plan` first, with each
word group's number of matching rows and their row budget (the rows they can score in a
few milliseconds: `sqlite_fts5.SCORED_ROWS`, `postgres.SCORED_ROWS`):

- Few rows match the whole query (at most the budget; always so while the brand has no
  more translations than that): every match is scored, exactly as an unbounded search.
- Otherwise the rare groups (rarest first, while their rows fit in half the budget) keep
  every matching row, and the common groups must all occur together in a row, dropping
  the most common one at a time until at least `enough` rows have them all. Rows that
  hold only common words in no such combination are not scored: a common word's IDF is
  low, so they rank below rows with the rare words or with all the common ones. At most
  a budget of the combination's rows is read (which ones is the database's cheapest
  order: SQLite newest first, PostgreSQL the table's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection

from storedesk.knowledge.enums import Audience

AUDIENCE_SQL = {Audience.PUBLIC: "t.is_public", Audience.INTERNAL: "t.status = 'published'"}
DOCUMENT_COUNT_SECONDS = 300


@dataclass(frozen=True)
class Plan:
    rare: tuple[int, ...]  # word groups whose every matching row is scored
    common: tuple[int, ...]  # word groups that must all match; () for none
    exact: bool  # every row matching any group is scored


def plan(
    counts: Sequence[int],
    *,
    budget: int,
    documents: int,
    enough: int,
    anywhere: Callable[[], int],
    together: Callable[[Sequence[int]], int],
) -> Plan:
    """`counts[i]`: rows matching word group i (may be capped at `budget + 1`);
    `documents`: the brand's translations the search may see; `anywhere()`: rows matching
    any group (may be capped at `budget + 1`); `together(groups)`: rows matching all of
    `groups` (may be capped at `enough`)."""
    everything = tuple(range(len(counts)))
    few = sum(counts) <= budget or documents <= budget
    if few or (max(counts) <= budget and anywhere() <= budget):
        return Plan(rare=everything, common=(), exact=True)
    order = sorted(everything, key=lambda i: (counts[i], i))
    rare: list[int] = []
    rows = 0
    for group in order:
        if rows + counts[group] > budget // 2:
            break
        rare.append(group)
        rows += counts[group]
    common = [group for group in order if group not in rare]
    while len(common) > 1 and together(common) < enough:
        common.pop()
    return Plan(rare=tuple(sorted(rare)), common=tuple(common), exact=False)


def document_count(brand_id: int, audience: str) -> int:
    """How many translations a search could see, for IDF; cached, an estimate is enough."""
    key = f"knowledge:document-count:{brand_id}:{audience}"
    count: int | None = cache.get(key)
    if count is None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM knowledge_articletranslation t "  # noqa: S608
                f"WHERE t.brand_id = %s AND {AUDIENCE_SQL[Audience(audience)]}",
                [brand_id],
            )
            count = int(cursor.fetchone()[0])
        cache.set(key, count, DOCUMENT_COUNT_SECONDS)
    return count
