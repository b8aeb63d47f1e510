"""PostgreSQL backend: a weighted tsvector per translation (the language's regconfig),
TF-IDF over ts_rank, and pg_trgm over the vocabulary. Column and indexes: migration 0002."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.cache import cache
from django.db import connection

from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search.analysis import CHINESE, REGCONFIG, words
from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.search.ranking import RankingWeights

AUDIENCE_SQL = {Audience.PUBLIC: "t.is_public", Audience.INTERNAL: "t.status = 'published'"}
DOCUMENT_COUNT_CACHE_SECONDS = 300


def _source(text: str, language: str) -> str:
    # PostgreSQL cannot segment Chinese; jieba's segments go in separated by spaces.
    return " ".join(words(text)) if language == CHINESE else text


def index(translation_id: int, *, language: str, title: str, body: str) -> None:
    config = REGCONFIG.get(language, "simple")
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE knowledge_articletranslation SET search_vector =
                setweight(to_tsvector(%s::regconfig, %s), 'A')
                || setweight(to_tsvector(%s::regconfig, %s), 'B')
            WHERE id = %s""",
            [config, _source(title, language), config, _source(body, language), translation_id],
        )


def term_texts(query: ParsedQuery) -> list[str]:
    """One to_tsquery text per query word: the word OR its typo corrections."""
    texts = [" | ".join(f"'{alt}'" for alt in query.alternatives(w)) for w in query.complete_words]
    if query.prefix_word:
        texts.append(f"'{query.prefix_word}':*")
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
    configs = sorted({REGCONFIG.get(lang, "simple") for lang in query.languages})
    if not texts or not configs:
        return []
    one = " || ".join(["to_tsquery(%s::regconfig, %s)"] * len(configs))
    n = range(len(texts))
    columns = ", ".join(f"({one}) AS q{i}" for i in n)
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
    top = max(weights.title_weight, weights.body_weight)
    rank_weights = [0.0, 0.0, weights.body_weight / top, weights.title_weight / top]
    params: list[str | int | float | list[float]] = [_document_count(brand_id, audience)]
    params.append(rank_weights)
    for text in texts:
        for config in configs:
            params += [config, text]
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
