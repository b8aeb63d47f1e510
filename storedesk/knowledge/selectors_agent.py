"""The workspace's quick-search panel over internal and public articles (the phone team's
FAQ), and how often agents used an article in their replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count
from django.utils.html import escape
from django.utils.safestring import SafeString

from storedesk.brands.models import Brand
from storedesk.knowledge.enums import Audience, TranslationStatus, Visibility
from storedesk.knowledge.models import ArticleTranslation, ArticleUse
from storedesk.knowledge.search import search_articles

QUICK_LIMIT = 10
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class QuickHit:
    article_id: int
    title: str
    language: str
    snippet: SafeString
    is_internal: bool
    changed_today: bool
    used_in: int  # conversations it was put into a reply of

    @property
    def is_insertable(self) -> bool:
        """Only public articles may go into a reply: internal ones never reach customers."""
        return not self.is_internal


def article_conversation_count(*, article_id: int) -> int:
    """In how many conversations agents put this article into a reply."""
    return ArticleUse.objects.filter(article_id=article_id).count()


def _use_counts(article_ids: list[int]) -> dict[int, int]:
    rows = (
        ArticleUse.objects.filter(article_id__in=article_ids)
        .values_list("article_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def _changed_today(
    brand: Brand, since: datetime, audience: str
) -> list[tuple[ArticleTranslation, SafeString]]:
    translations = ArticleTranslation.objects.filter(
        brand=brand, status=TranslationStatus.PUBLISHED, updated_at__gte=since
    )
    if audience == Audience.PUBLIC:
        translations = translations.filter(is_public=True)
    translations = translations.select_related("article").order_by("-updated_at")[:QUICK_LIMIT]
    return [(t, SafeString(escape(t.plain_text[:SNIPPET_CHARS]))) for t in translations]


def quick_search_for_agent(
    *, brand: Brand, query: str, language: str, today_start: datetime,
    audience: str = Audience.INTERNAL,
) -> list[QuickHit]:
    """Published articles matching `query` (internal ones too for the internal audience, an
    agent of the brand); with no query, those changed since `today_start`. Every hit says
    whether it changed today."""
    if query.strip():
        hits = search_articles(
            brand, query, language=language or None, audience=audience,
            limit=QUICK_LIMIT, prefix=True,
        )
        translations = ArticleTranslation.objects.select_related("article").in_bulk(
            [h.translation_id for h in hits]
        )
        found = [(translations[h.translation_id], h.snippet) for h in hits
                 if h.translation_id in translations]
    else:
        found = _changed_today(brand, today_start, audience)
    uses = _use_counts([t.article_id for t, _snippet in found])
    return [
        QuickHit(
            article_id=t.article_id, title=t.title, language=t.language, snippet=snippet,
            is_internal=t.article.visibility == Visibility.INTERNAL,
            changed_today=t.updated_at >= today_start, used_in=uses.get(t.article_id, 0),
        )
        for t, snippet in found
    ]
