"""SQLite backend: FTS5 over stems (bm25) and an FTS5 trigram index over the vocabulary.

Title and body live in two FTS5 tables, so each gets its own bm25 length normalisation
(one table normalises by title plus body, and a long answer drowns its title); the
relevance is the weighted sum of both. Tables: migrations 0002 and 0005.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search.analysis import index_text
from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.search.ranking import RankingWeights

AUDIENCE_SQL = {Audience.PUBLIC: "t.is_public", Audience.INTERNAL: "t.status = 'published'"}
# The title table's bm25 weight when RankingWeights leaves it to the backend: every held-out
# fold of bench/kb_eval.py chose 1 (grid 1-4), on StackFAQ and on SweFAQ.
TITLE_WEIGHT = 1.0


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def match_expression(query: ParsedQuery) -> str:
    groups = []
    for word in query.complete_words:
        groups.append(" OR ".join(_quote(s) for s in sorted(query.stems_of(word))))
    prefix = query.prefix_word
    if prefix:
        forms = query.stems_of(prefix) | {prefix}
        groups.append(" OR ".join(_quote(s) + "*" for s in sorted(forms)))
    return " OR ".join(f"({g})" for g in groups if g)


def index(translation_id: int, *, language: str, title: str, body: str) -> None:
    with connection.cursor() as cursor:
        for table, column, text in (
            ("knowledge_fts_title", "title", title),
            ("knowledge_fts_body", "body", body),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE rowid = %s", [translation_id])  # noqa: S608
            cursor.execute(
                f"INSERT INTO {table}(rowid, {column}) VALUES (%s, %s)",  # noqa: S608
                [translation_id, index_text(text, language)],
            )


def candidates(
    brand_id: int, query: ParsedQuery, *, audience: str, weights: RankingWeights
) -> list[tuple[int, float]]:
    expression = match_expression(query)
    if not expression:
        return []
    # The matches are summed first and then joined by primary key (CROSS JOIN keeps that
    # order in SQLite's planner); filtering translations first would probe FTS per row.
    sql = f"""
        SELECT t.id, hits.relevance FROM (
            SELECT id, SUM(relevance) AS relevance FROM (
                SELECT rowid AS id, -bm25(knowledge_fts_title) * %s AS relevance
                FROM knowledge_fts_title WHERE knowledge_fts_title MATCH %s
                UNION ALL
                SELECT rowid AS id, -bm25(knowledge_fts_body) * %s AS relevance
                FROM knowledge_fts_body WHERE knowledge_fts_body MATCH %s
            ) GROUP BY id
        ) AS hits CROSS JOIN knowledge_articletranslation t ON t.id = hits.id
        WHERE t.brand_id = %s AND {AUDIENCE_SQL[Audience(audience)]}
        ORDER BY hits.relevance DESC, t.id LIMIT %s"""  # noqa: S608 (constant fragments)
    title_weight = TITLE_WEIGHT if weights.title_weight is None else weights.title_weight
    params: list[str | int | float] = [title_weight, expression]
    params += [weights.body_weight, expression, brand_id, weights.candidate_pool]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


def similar_terms(word: str, languages: Sequence[str], *, limit: int) -> list[str]:
    grams = {word[i : i + 3] for i in range(len(word) - 2)}
    if not grams:
        return []
    expression = " OR ".join(_quote(g) for g in sorted(grams))
    marks = ", ".join(["%s"] * len(languages))
    sql = f"""
        SELECT s.term FROM knowledge_term_trgm JOIN knowledge_searchterm s
            ON s.id = knowledge_term_trgm.rowid
        WHERE knowledge_term_trgm MATCH %s AND s.language IN ({marks})
        ORDER BY knowledge_term_trgm.rank LIMIT %s"""  # noqa: S608 (placeholders only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, *languages, limit])
        return [row[0] for row in cursor.fetchall()]
