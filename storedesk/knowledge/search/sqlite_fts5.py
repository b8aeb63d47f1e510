"""SQLite backend: FTS5 over stems (bm25) and an FTS5 trigram index over the vocabulary.

Title and body live in two FTS5 tables, so each gets its own bm25 length normalisation
(one table normalises by title plus body, and a long answer drowns its title); the
relevance is the weighted sum of both. Tables: migrations 0002, 0005 and 0007.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search.analysis import index_text
from storedesk.knowledge.search.bounded import AUDIENCE_SQL, document_count, plan
from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.search.ranking import RankingWeights

# The title table's bm25 weight when RankingWeights leaves it to the backend: every held-out
# fold of bench/kb_eval.py chose 1 (grid 1-4), on StackFAQ and on SweFAQ.
TITLE_WEIGHT = 1.0
# Rows bm25 may score per FTS5 table (bounded.py). Each costs about 2 us (bm25, the sum
# and the join); 500 keeps the query near 3 ms at 100,000 articles (1,000: 5 ms).
SCORED_ROWS = 500


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def groups(query: ParsedQuery) -> list[str]:
    """One FTS5 expression per query word: its stems (and its corrections' stems) in every
    language of the brand, OR-ed; the word being typed as prefixes."""
    found = [
        " OR ".join(_quote(s) for s in sorted(query.stems_of(w))) for w in query.complete_words
    ]
    prefix = query.prefix_word
    if prefix:
        forms = query.stems_of(prefix) | {prefix}
        found.append(" OR ".join(_quote(s) + "*" for s in sorted(forms)))
    return [g for g in found if g]


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


def _count(table: str, expression: str, cap: int) -> int:
    """Rows of `table` matching `expression`, counted up to `cap` (FTS5 iterates its
    doclists in C; nothing is scored)."""
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {table} MATCH %s LIMIT %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, cap])
        return int(cursor.fetchone()[0])


def _parts(
    table: str, found: list[str], *, documents: int, enough: int
) -> list[tuple[str, int | None]]:
    """The match expressions to score in `table`, each with its row limit (bounded.py)."""
    counts = [_count(table, g, SCORED_ROWS + 1) for g in found]

    def together(indexes: Sequence[int]) -> int:
        return _count(table, " AND ".join(f"({found[i]})" for i in indexes), enough)

    def anywhere() -> int:
        return _count(table, " OR ".join(f"({g})" for g in found), SCORED_ROWS + 1)

    chosen = plan(
        counts,
        budget=SCORED_ROWS,
        documents=documents,
        enough=enough,
        anywhere=anywhere,
        together=together,
    )
    parts: list[tuple[str, int | None]] = []
    if chosen.rare:
        parts.append((" OR ".join(f"({found[i]})" for i in chosen.rare), None))
    if chosen.common:
        parts.append((" AND ".join(f"({found[i]})" for i in chosen.common), SCORED_ROWS))
    return parts


def candidates(
    brand_id: int, query: ParsedQuery, *, audience: str, weights: RankingWeights
) -> list[tuple[int, float]]:
    """Title and body bm25, summed per translation. Each table scores only the rows
    bounded.plan allows: with a few words present in most rows, bm25 over every match
    would grow with the knowledge base. A bounded part's expression holds each phrase once
    (rare groups OR-ed, common groups AND-ed), so the parts' bm25 add up to the full
    query's for a row that has the common words together."""
    found = groups(query)
    if not found:
        return []
    title_weight = TITLE_WEIGHT if weights.title_weight is None else weights.title_weight
    documents = document_count(brand_id, audience)
    selects: list[str] = []
    params: list[str | int | float] = []
    for table, weight in (
        ("knowledge_fts_title", title_weight),
        ("knowledge_fts_body", weights.body_weight),
    ):
        parts = _parts(table, found, documents=documents, enough=weights.candidate_pool)
        for expression, limit in parts:
            # Newest first under a limit: FTS5 walks rowids backwards without sorting, and
            # bm25 is computed only for the rows the limit lets through.
            tail = "ORDER BY rowid DESC LIMIT %s" if limit else ""
            selects.append(
                f"SELECT * FROM (SELECT rowid AS id, -bm25({table}) * %s AS relevance "  # noqa: S608
                f"FROM {table} WHERE {table} MATCH %s {tail})"
            )
            params += [weight, expression, *([limit] if limit else [])]
    if not selects:
        return []
    # The matches are summed first and then joined by primary key (CROSS JOIN keeps that
    # order in SQLite's planner); filtering translations first would probe FTS per row.
    # The narrow index (migration 0007) spares reading each row past its long texts.
    sql = f"""
        SELECT t.id, hits.relevance FROM (
            SELECT id, SUM(relevance) AS relevance FROM ({" UNION ALL ".join(selects)})
            GROUP BY id
        ) AS hits CROSS JOIN knowledge_articletranslation t
            INDEXED BY knowledge_translation_candidate ON t.id = hits.id
        WHERE t.brand_id = %s AND {AUDIENCE_SQL[Audience(audience)]}
        ORDER BY hits.relevance DESC, t.id LIMIT %s"""  # noqa: S608 (constant fragments)
    params += [brand_id, weights.candidate_pool]
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
