"""PostgreSQL backend: a weighted tsvector per translation, TF-IDF over ts_rank, and pg_trgm
over the vocabulary. Column and indexes: migrations 0002 and 0007.

The tsvector holds the same words and Snowball stems as the SQLite index
(`analysis.index_text`), written as a tsvector literal rather than by `to_tsvector`, and
queries are tsquery literals of `ParsedQuery.stems_of`. PostgreSQL's own parser keeps host
names, URLs and paths whole ("docs.google.com", "mail.google.com"), so a question's
"google" or "mail" misses them, and its english dictionary stems differently from the
Snowball package the query side and SQLite use ("add" -> "ad", "paste" -> "past",
"organization" -> "organ"). Both cost ranking quality (bench/RESULTS.md, kb_eval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.db import connection

from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search.analysis import stem, words
from storedesk.knowledge.search.bounded import AUDIENCE_SQL, document_count, plan
from storedesk.knowledge.search.postgres_frequencies import (
    TermGroup,
    capped_count,
    frequencies,
    lexeme,
)
from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.search.ranking import RankingWeights

# Weight A (title) over B (body) when RankingWeights leaves it to the backend. Higher than
# SQLite's: title and body share one vector and ts_rank's length normalisation, so a title
# match otherwise counts little more than a body match. Every held-out fold of
# bench/kb_eval.py on StackFAQ chose 3 (grid 1-4).
TITLE_WEIGHT = 3.0
# Rows one query may score (bounded.py): each costs about 2 us per query word (ts_rank),
# so a six-word question over 200 rows takes about 2.5 ms.
SCORED_ROWS = 200


# PostgreSQL's limits: positions 1-16383, 256 positions a lexeme, lexemes under 2 KB.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2047


def tsvector_literal(*, language: str, title: str, body: str) -> str:
    """The stems of the title (weight A) and then the body (B), positions counted on
    across both, as `setweight(title) || setweight(body)` would number them."""
    positions: dict[str, list[str]] = {}
    stems = [(stem(w, language), "A") for w in words(title)]
    stems += [(stem(w, language), "B") for w in words(body)]
    for position, (term, weight) in enumerate(stems[:MAX_POSITION], 1):
        if len(term.encode()) > MAX_LEXEME_BYTES:
            continue
        found = positions.setdefault(term, [])
        if len(found) < MAX_POSITIONS_PER_LEXEME:
            found.append(f"{position}{weight}")
    return " ".join(f"{lexeme(term)}:{','.join(p)}" for term, p in positions.items())


def index(translation_id: int, *, language: str, title: str, body: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE knowledge_articletranslation SET search_vector = %s::tsvector WHERE id = %s",
            [tsvector_literal(language=language, title=title, body=body), translation_id],
        )


def term_groups(query: ParsedQuery) -> list[TermGroup]:
    """One group per query word: its stems (and its typo corrections' stems) in every
    language of the brand, OR-ed; the word being typed as prefixes. The same terms as the
    SQLite backend's match expression."""
    found = [
        TermGroup(tuple(sorted(query.stems_of(w))), prefix=False) for w in query.complete_words
    ]
    prefix = query.prefix_word
    if prefix:
        found.append(TermGroup(tuple(sorted(query.stems_of(prefix) | {prefix})), prefix=True))
    return [group for group in found if group.lexemes]


def _scored_queries(
    brand_id: int, audience: str, groups: list[TermGroup], counts: list[int], enough: int
) -> list[tuple[str, int | None]]:
    """The tsqueries whose rows are scored, each with its row limit (bounded.py)."""
    capped = [min(count, SCORED_ROWS + 1) for count in counts]

    def either(indexes: Sequence[int]) -> str:
        return " | ".join(f"({groups[i].tsquery})" for i in indexes)

    def both(indexes: Sequence[int]) -> str:
        return " & ".join(f"({groups[i].tsquery})" for i in indexes)

    def anywhere() -> int:
        return capped_count(brand_id, audience, either(range(len(groups))), SCORED_ROWS + 1)

    def together(indexes: Sequence[int]) -> int:
        return capped_count(brand_id, audience, both(indexes), enough)

    documents = document_count(brand_id, audience)
    chosen = plan(
        capped,
        budget=SCORED_ROWS,
        documents=documents,
        enough=enough,
        anywhere=anywhere,
        together=together,
    )
    queries: list[tuple[str, int | None]] = []
    if chosen.rare:
        queries.append((either(chosen.rare), None))
    if chosen.common:
        queries.append((both(chosen.common), SCORED_ROWS))
    return queries


def _idf(documents: int, frequency: int) -> float:
    return math.log((max(documents, frequency) - frequency + 0.5) / (frequency + 0.5) + 1)


def candidates(
    brand_id: int, query: ParsedQuery, *, audience: str, weights: RankingWeights
) -> list[tuple[int, float]]:
    """TF-IDF: per query word, IDF (its document frequency, postgres_frequencies.py) times
    ts_rank normalised by document length. ts_rank_cd alone knows no IDF, and OR-ed common
    words then drown the rare ones. Only the rows bounded.plan allows are scored, each
    against every word (so a bounded search ranks its rows exactly as an unbounded one)."""
    groups = term_groups(query)
    if not groups:
        return []
    counts = frequencies(brand_id, audience, groups)
    documents = document_count(brand_id, audience)
    title_weight = TITLE_WEIGHT if weights.title_weight is None else weights.title_weight
    top = max(title_weight, weights.body_weight)
    rank_weights = [0.0, 0.0, weights.body_weight / top, title_weight / top]
    relevance = " + ".join("%s * ts_rank(%s::float4[], d.v, %s::tsquery, 1)" for _ in groups)
    params: list[str | int | float | list[float]] = []
    for group, count in zip(groups, counts, strict=True):
        params += [_idf(documents, count), rank_weights, group.tsquery]
    selects = []
    for tsquery, limit in _scored_queries(
        brand_id, audience, groups, counts, weights.candidate_pool
    ):
        # The first rows the GIN index's bitmap yields: ordering them would read them all.
        tail = " LIMIT %s)" if limit else ")"
        selects.append(
            "(SELECT t.id FROM knowledge_articletranslation t WHERE t.brand_id = %s "  # noqa: S608
            f"AND {AUDIENCE_SQL[Audience(audience)]} AND t.search_vector @@ %s::tsquery{tail}"
        )
        params += [brand_id, tsquery, *([limit] if limit else [])]
    if not selects:
        return []
    sql = f"""
        SELECT d.id, {relevance} AS relevance FROM (
            SELECT t.id, t.search_vector AS v
            FROM knowledge_articletranslation t
            WHERE t.id IN ({" UNION ".join(selects)})
        ) AS d
        ORDER BY relevance DESC, d.id LIMIT %s"""  # noqa: S608 (constant fragments)
    params.append(weights.candidate_pool)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def similar_terms(word: str, languages: Sequence[str], *, limit: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT term FROM knowledge_searchterm
            WHERE language = ANY(%s) AND term %% %s
            ORDER BY similarity(term, %s) DESC, term LIMIT %s""",
            [list(languages), word, word, limit],
        )
        return [row[0] for row in cursor.fetchall()]
