"""PostgreSQL backend: a weighted tsvector per translation, TF-IDF over ts_rank, and pg_trgm
over the vocabulary. Column and indexes: migration 0002.

The tsvector holds the same words and Snowball stems as the SQLite index
(`analysis.index_text`), written as a tsvector literal rather than by `to_tsvector`, and
queries are tsquery literals of `ParsedQuery.stems_of`. PostgreSQL's own parser keeps host
names, URLs and paths whole ("docs.google.com", "mail.google.com"), so a question's
"google" or "mail" misses them, and its english dictionary stems differently from the
Snowball package the query side and SQLite use ("add" -> "ad", "paste" -> "past",
"organization" -> "organ"). Both cost ranking quality (bench/RESULTS.md, kb_eval).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.cache import cache
from django.db import connection

from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search.analysis import stem, words
from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.search.ranking import RankingWeights

AUDIENCE_SQL = {Audience.PUBLIC: "t.is_public", Audience.INTERNAL: "t.status = 'published'"}
DOCUMENT_COUNT_CACHE_SECONDS = 300
# Weight A (title) over B (body) when RankingWeights leaves it to the backend. Higher than
# SQLite's: title and body share one vector and ts_rank's length normalisation, so a title
# match otherwise counts little more than a body match. Every held-out fold of
# bench/kb_eval.py on StackFAQ chose 3 (grid 1-4).
TITLE_WEIGHT = 3.0


# PostgreSQL's limits: positions 1-16383, 256 positions a lexeme, lexemes under 2 KB.
MAX_POSITION = 16383
MAX_POSITIONS_PER_LEXEME = 256
MAX_LEXEME_BYTES = 2047


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


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
    return " ".join(f"{_lexeme(term)}:{','.join(p)}" for term, p in positions.items())


def index(translation_id: int, *, language: str, title: str, body: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE knowledge_articletranslation SET search_vector = %s::tsvector WHERE id = %s",
            [tsvector_literal(language=language, title=title, body=body), translation_id],
        )


def term_texts(query: ParsedQuery) -> list[str]:
    """One tsquery literal per query word: its stems (and its typo corrections' stems) in
    every language of the brand, OR-ed; the word being typed as prefixes. The same terms
    as the SQLite backend's match expression."""
    texts = [
        " | ".join(_lexeme(s) for s in sorted(query.stems_of(w))) for w in query.complete_words
    ]
    prefix = query.prefix_word
    if prefix:
        forms = query.stems_of(prefix) | {prefix}
        texts.append(" | ".join(f"{_lexeme(s)}:*" for s in sorted(forms)))
    return texts


def _document_count(brand_id: int, audience: str) -> int:
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
        cache.set(key, count, DOCUMENT_COUNT_CACHE_SECONDS)
    return count


def candidates(
    brand_id: int, query: ParsedQuery, *, audience: str, weights: RankingWeights
) -> list[tuple[int, float]]:
    """TF-IDF: per query word, IDF (its document frequency among the matching rows, which
    are all the rows that contain it) times ts_rank normalised by document length.
    ts_rank_cd alone knows no IDF, and OR-ed common words then drown the rare ones."""
    texts = term_texts(query)
    if not texts:
        return []
    n = range(len(texts))
    columns = ", ".join(f"%s::tsquery AS q{i}" for i in n)
    frequencies = ", ".join(f"count(*) FILTER (WHERE m.v @@ m.q{i}) OVER () AS df{i}" for i in n)
    relevance = " + ".join(
        f"ln((greatest(d.n, d.df{i}) - d.df{i} + 0.5) / (d.df{i} + 0.5) + 1)"
        f" * ts_rank(d.w, d.v, d.q{i}, 1)"
        for i in n
    )
    sql = f"""
        WITH q AS (SELECT %s::float8 AS n, %s::float4[] AS w, {columns}),
        m AS (
            SELECT t.id, t.search_vector AS v, q.* FROM knowledge_articletranslation t, q
            WHERE t.brand_id = %s AND {AUDIENCE_SQL[Audience(audience)]}
                AND t.search_vector @@ ({" || ".join(f"q.q{i}" for i in n)})
        ),
        d AS (SELECT m.*, {frequencies} FROM m)
        SELECT d.id, {relevance} AS relevance FROM d
        ORDER BY relevance DESC, d.id LIMIT %s"""  # noqa: S608 (constant fragments)
    title_weight = TITLE_WEIGHT if weights.title_weight is None else weights.title_weight
    top = max(title_weight, weights.body_weight)
    rank_weights = [0.0, 0.0, weights.body_weight / top, title_weight / top]
    params: list[str | int | float | list[float]] = [_document_count(brand_id, audience)]
    params.append(rank_weights)
    params += texts
    params += [brand_id, weights.candidate_pool]
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
