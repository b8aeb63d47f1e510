"""Knowledge-base search: one interface, a backend per database (see docs/subsystems/knowledge.md).

`search_articles` analyses the query the same way for both databases (words, stems in each
of the brand's languages, typo corrections from the vocabulary), lets the backend fetch
the best candidates by text relevance, then blends relevance with usefulness and the
query's language in Python, one row per article.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import quote

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString

from storedesk.brands.models import Brand
from storedesk.knowledge.enums import Audience
from storedesk.knowledge.models import ArticleTranslation
from storedesk.knowledge.search import semantic
from storedesk.knowledge.search.analysis import MAX_QUERY_WORDS, has_han, similarity, words
from storedesk.knowledge.search.backends import backend
from storedesk.knowledge.search.langdetect import detect_language
from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.search.ranking import DEFAULT_WEIGHTS, RankingWeights
from storedesk.knowledge.search.snippets import snippet
from storedesk.knowledge.selectors import brand_languages
from storedesk.knowledge.services.usefulness import usefulness_decayed

__all__ = ["ArticleHit", "RankingWeights", "search_articles"]

TYPO_MIN_CHARS = 4
TYPO_CANDIDATES = 30
# Each corrected word costs one trigram lookup; a long question needs no more than this.
TYPO_MAX_WORDS = 4


@dataclass(frozen=True)
class ArticleHit:
    article_id: int
    translation_id: int
    language: str
    title: str
    url: str
    snippet: SafeString
    visibility: str
    score: float
    text_score: float
    usefulness: float
    language_match: bool
    corrected: bool


def search_articles(
    brand: Brand,
    query: str,
    *,
    language: str | None = None,
    language_hint: str | None = None,
    audience: str = Audience.PUBLIC,
    limit: int = 10,
    prefix: bool = False,
    weights: RankingWeights | None = None,
) -> list[ArticleHit]:
    """The best published articles for `query`; customers (audience "public") never get
    internal articles or drafts. `language` fixes the query's language; otherwise it is
    detected, with `language_hint` (e.g. the page's language) deciding unclear cases.
    Reads only."""
    weights = weights or DEFAULT_WEIGHTS
    query_words = words(query)[:MAX_QUERY_WORDS]
    if not query_words:
        return []
    languages = brand_languages(brand)
    parsed = ParsedQuery(words=query_words, languages=languages, prefix=prefix)
    known = _known_words(parsed)
    if language is None:
        counts = Counter(lang for langs in known.values() for lang in langs)
        language = detect_language(query, languages, known_words=counts, hint=language_hint)
    parsed = replace(parsed, corrections=_corrections(parsed, known, weights))
    found = backend().candidates(brand.pk, parsed, audience=audience, weights=weights)
    found = semantic.rerank(query, found, brand_id=brand.pk, audience=audience, weights=weights)
    return _blend(brand, found, parsed, language=language, limit=limit, weights=weights)


def _known_words(query: ParsedQuery) -> dict[str, set[str]]:
    """The query's words found in the vocabulary, each with the languages using it.

    One (language, term) pair per condition: both databases then probe the unique index
    for each pair; with `language IN (...) AND term IN (...)` PostgreSQL chose the trigram
    index (2-6 ms instead of 0.2)."""
    pairs = [(lang, term) for term in sorted(set(query.complete_words)) for lang in query.languages]
    if not pairs:
        return {}
    condition = " OR ".join(["(language = %s AND term = %s)"] * len(pairs))
    known: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term, language FROM knowledge_searchterm WHERE {condition}",  # noqa: S608
            [value for pair in pairs for value in pair],
        )
        for term, language in cursor.fetchall():
            known.setdefault(term, set()).add(language)
    return known


def _corrections(
    query: ParsedQuery, known: Mapping[str, set[str]], weights: RankingWeights
) -> dict[str, list[str]]:
    """Nearest vocabulary words for each query word the knowledge base never uses."""
    unknown = [
        w
        for w in query.complete_words
        if len(w) >= TYPO_MIN_CHARS and w.isalpha() and not has_han(w) and w not in known
    ]
    corrections: dict[str, list[str]] = {}
    for word in unknown[:TYPO_MAX_WORDS]:
        near = backend().similar_terms(word, query.languages, limit=TYPO_CANDIDATES)
        scored = sorted(
            {(similarity(word, term), term) for term in near if term != word},
            key=lambda pair: (-pair[0], pair[1]),
        )
        best = [term for score, term in scored if score >= weights.typo_min_similarity]
        if best:
            corrections[word] = best[: weights.typo_max_corrections]
    return corrections


@dataclass(frozen=True)
class _Scored:
    translation_id: int
    article_id: int
    language: str
    visibility: str
    score: float
    text: float
    useful: float


def _blend(
    brand: Brand,
    found: Sequence[tuple[int, float]],
    query: ParsedQuery,
    *,
    language: str | None,
    limit: int,
    weights: RankingWeights,
) -> list[ArticleHit]:
    """Blend relevance, usefulness and language; keep each article's best translation.

    Candidates are read as plain tuples; only the winners' titles and texts are loaded."""
    if not found:
        return []
    relevance = dict(found)
    top = max(relevance.values()) or 1.0
    now = timezone.now()
    best: dict[int, _Scored] = {}
    in_language: dict[int, _Scored] = {}
    for pk, article_id, lang, visibility, usefulness_ref in _candidate_rows(list(relevance)):
        text = relevance[pk] / top
        current = max(0.0, usefulness_decayed(usefulness_ref, at=now))
        useful = current / (current + weights.usefulness_scale)
        score = weights.text * text + weights.usefulness * useful
        score += weights.language_match if lang == language else 0.0
        entry = _Scored(pk, article_id, lang, visibility, score, text, useful)
        previous = best.get(article_id)
        if previous is None or (score, -pk) > (previous.score, -previous.translation_id):
            best[article_id] = entry
        if lang == language:
            in_language[article_id] = entry
    ranked = sorted(best.values(), key=lambda e: (-e.score, e.translation_id))[:limit]
    # An article ranks by its best translation but is shown in the query's language when
    # that translation matched too: a semantic neighbour in another language must not
    # hide the customer's own.
    ranked = [
        replace(in_language[e.article_id], score=e.score) if e.article_id in in_language else e
        for e in ranked
    ]
    shown = ArticleTranslation.objects.filter(pk__in=[e.translation_id for e in ranked])
    texts = {
        pk: (title, slug, text)
        for pk, title, slug, text in shown.values_list("pk", "title", "slug", "plain_text")
    }
    urls = _ArticleUrls(brand)
    return [
        _hit(entry, *texts[entry.translation_id], urls=urls, query=query, language=language)
        for entry in ranked
    ]


def _candidate_rows(ids: list[int]) -> list[tuple[int, int, str, str, float]]:
    """(translation, article, language, visibility, usefulness_ref) of each candidate."""
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.id, t.article_id, t.language, a.visibility, a.usefulness_ref "  # noqa: S608
            "FROM knowledge_articletranslation t "
            f"JOIN knowledge_article a ON a.id = t.article_id WHERE t.id IN ({marks})",
            ids,
        )
        return [(row[0], row[1], row[2], row[3], float(row[4])) for row in cursor.fetchall()]


class _ArticleUrls:
    """Help-centre article URLs, one `reverse` per language instead of one per hit (what
    `ArticleTranslation.get_absolute_url` returns: the same pattern, quoted the same way)."""

    _PLACEHOLDER = "0-x/"

    def __init__(self, brand: Brand) -> None:
        self._brand_slug = brand.slug
        self._prefixes: dict[str, str] = {}

    def __call__(self, language: str, article_id: int, slug: str) -> str:
        prefix = self._prefixes.get(language)
        if prefix is None:
            kwargs = {"brand_slug": self._brand_slug, "language": language}
            url = reverse("knowledge_help:article", kwargs={**kwargs, "article_id": 0, "slug": "x"})
            prefix = self._prefixes[language] = url.removesuffix(self._PLACEHOLDER)
        return prefix + quote(f"{article_id}-{slug}", safe=RFC3986_SUBDELIMS + "/~:@") + "/"


def _hit(
    entry: _Scored,
    title: str,
    slug: str,
    text: str,
    *,
    urls: _ArticleUrls,
    query: ParsedQuery,
    language: str | None,
) -> ArticleHit:
    lang = entry.language
    return ArticleHit(
        article_id=entry.article_id,
        translation_id=entry.translation_id,
        language=lang,
        title=title,
        url=urls(lang, entry.article_id, slug),
        snippet=snippet(
            text, language=lang, stems=query.stems_for(lang), prefixes=query.prefixes_for(lang)
        ),
        visibility=entry.visibility,
        score=round(entry.score, 6),
        text_score=round(entry.text, 6),
        usefulness=round(entry.useful, 6),
        language_match=lang == language,
        corrected=bool(query.corrections),
    )
