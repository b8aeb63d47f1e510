"""Article suggestions shown while a customer writes a request, and what came of them.

A page names its visit with a random session key; every suggestion shown, opened or marked
as the answer is recorded against it, and so is the request if the customer sends one
anyway. selectors_deflection.deflection_stats turns that into the deflection rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.safestring import SafeString

from storedesk.brands.models import Brand
from storedesk.conversations.models import Conversation
from storedesk.core.throttle import rate_limit_take
from storedesk.knowledge.deflection_enums import DeflectionEventKind, SuggestionSource
from storedesk.knowledge.enums import Audience
from storedesk.knowledge.models import (
    Article,
    ArticleTranslation,
    DeflectionEvent,
    DeflectionSession,
    SearchLog,
)
from storedesk.knowledge.search import ArticleHit, search_articles
from storedesk.knowledge.services.search_log import query_clean, search_log_record
from storedesk.knowledge.services.usefulness import article_resolution_record

_SESSION_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
MIN_QUERY_CHARS = 3
MAX_SUGGESTIONS = 5
PREVIEW_CHARS = 600
LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class Suggestion:
    article_id: int
    title: str
    language: str
    snippet: SafeString  # escaped text with <mark> around the matched words
    preview: str  # the start of the article as plain text
    url: str  # absolute, so the chat widget can link to it from another site

    def as_json(self) -> dict[str, object]:
        """What the JSON endpoints (contact pages, chat widget) send: plain text only."""
        return {"article": self.article_id, "title": self.title, "language": self.language,
                "snippet": self.preview[:200], "url": self.url}


def suggestion_rate_limit_take(*, ip: str) -> bool:
    """Count one suggestion request or event from `ip`; False once it asks too often."""
    return rate_limit_take(
        scope="kb-suggest", key=ip, limit=settings.KB_SUGGEST_RATE_LIMIT,
        window_seconds=settings.KB_SUGGEST_RATE_WINDOW_SECONDS,
    )


def session_key_is_valid(key: str) -> bool:
    return _SESSION_KEY.fullmatch(key) is not None


def _preview(text: str) -> str:
    if len(text) <= PREVIEW_CHARS:
        return text
    return text[:PREVIEW_CHARS].rsplit(" ", 1)[0] + "…"


def _suggestions(brand: Brand, hits: list[ArticleHit]) -> list[Suggestion]:
    # Search already keeps customers to public translations; re-reading them with
    # is_public here means a bug there still cannot put an internal article in front of one.
    translations = ArticleTranslation.objects.select_related("brand").in_bulk(
        [hit.translation_id for hit in hits]
    )
    suggestions = []
    for hit in hits:
        translation = translations.get(hit.translation_id)
        if translation is None or not translation.is_public or translation.brand_id != brand.pk:
            continue
        suggestions.append(
            Suggestion(
                article_id=hit.article_id,
                title=translation.title,
                language=translation.language,
                snippet=hit.snippet,
                preview=_preview(translation.plain_text),
                url=settings.BASE_URL + translation.get_absolute_url(),
            )
        )
    return suggestions


def _session_for(
    *, brand: Brand, key: str, source: str, language: str
) -> DeflectionSession | None:
    """The visit's session, created on first use; None for a key of another brand."""
    session, _created = DeflectionSession.objects.get_or_create(
        key=key, defaults={"brand": brand, "source": source, "language": language}
    )
    return session if session.brand_id == brand.pk else None


@transaction.atomic
def article_suggestions_show(
    *,
    brand: Brand,
    query: str,
    language: str,
    session_key: str,
    source: str = SuggestionSource.CONTACT_FORM,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """Public articles of `brand` answering what the customer is typing, best first.

    Logs the search (search_log_record) and, for a valid session key, records the session
    and one SHOWN event per suggested article. No real-time events, no tasks.
    """
    cleaned = query_clean(query)
    if len(cleaned) < MIN_QUERY_CHARS:
        return []
    language = language if language in LANGUAGE_CODES else ""
    hits = search_articles(
        brand, cleaned, language=language or None, audience=Audience.PUBLIC,
        limit=limit, prefix=True,
    )
    suggestions = _suggestions(brand, hits)
    key = session_key if session_key_is_valid(session_key) else ""
    search_log_record(
        brand=brand, query=cleaned, language=language or (hits[0].language if hits else ""),
        results_count=len(suggestions), session_key=key, source=source,
    )
    if key and suggestions:
        _shown_record(brand=brand, key=key, source=source, language=language,
                      article_ids=[s.article_id for s in suggestions])
    return suggestions


def _shown_record(
    *, brand: Brand, key: str, source: str, language: str, article_ids: list[int]
) -> None:
    session = _session_for(brand=brand, key=key, source=source, language=language)
    if session is None:
        return
    if session.suggested_at is None:
        session.suggested_at = timezone.now()
        session.save(update_fields=["suggested_at", "updated_at"])
    DeflectionEvent.objects.bulk_create(
        [
            DeflectionEvent(session=session, article_id=article_id, kind=DeflectionEventKind.SHOWN)
            for article_id in article_ids
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def deflection_event_record(
    *, brand: Brand, session_key: str, article_id: int, kind: str
) -> bool:
    """The customer opened a suggested article, or said it answered the question.

    Only counts for an article shown in this session (so only public ones). Records the
    event once per session and article; sets the session's opened_at/answered_at the first
    time; "answered" also counts as opened and adds a resolution to the article's
    usefulness (article_resolution_record). False when nothing was recorded.
    """
    if kind not in (DeflectionEventKind.OPENED, DeflectionEventKind.ANSWERED):
        return False
    session = (
        DeflectionSession.objects.select_for_update()
        .filter(key=session_key, brand=brand, events__article_id=article_id,
                events__kind=DeflectionEventKind.SHOWN)
        .first()
    )
    if session is None:
        return False
    kinds = [DeflectionEventKind.OPENED]
    if kind == DeflectionEventKind.ANSWERED:
        kinds.append(DeflectionEventKind.ANSWERED)
    created = {k: _event_add(session, article_id, k) for k in kinds}
    _session_steps_set(session, kinds)
    if created[DeflectionEventKind.OPENED]:
        _search_click_record(session, article_id)
    if created.get(DeflectionEventKind.ANSWERED):
        article_resolution_record(article=Article.objects.get(pk=article_id))
    return True


def _event_add(session: DeflectionSession, article_id: int, kind: str) -> bool:
    _event, created = DeflectionEvent.objects.get_or_create(
        session=session, article_id=article_id, kind=kind
    )
    return created


def _session_steps_set(session: DeflectionSession, kinds: list[DeflectionEventKind]) -> None:
    now = timezone.now()
    fields = {DeflectionEventKind.OPENED: "opened_at", DeflectionEventKind.ANSWERED: "answered_at"}
    changed = [fields[k] for k in kinds if getattr(session, fields[k]) is None]
    for field in changed:
        setattr(session, field, now)
    if changed:
        session.save(update_fields=[*changed, "updated_at"])


def _search_click_record(session: DeflectionSession, article_id: int) -> None:
    last = (
        SearchLog.objects.filter(session_key=session.key, brand_id=session.brand_id)
        .order_by("-updated_at", "-id")
        .first()
    )
    if last is not None and last.clicked_article_id is None:
        last.clicked_article_id = article_id
        last.save(update_fields=["clicked_article", "updated_at"])


@transaction.atomic
def deflection_request_sent(
    *, session_key: str, conversation: Conversation, source: str = SuggestionSource.CONTACT_FORM
) -> bool:
    """The customer sent a request during the visit named by `session_key`.

    Creates the session if the visit had no suggestions (its searches still count as
    "followed by a contact"); sets request_sent_at and the conversation once. False for
    an invalid key or a key of another brand.
    """
    if not session_key_is_valid(session_key):
        return False
    session = _session_for(
        brand=conversation.brand, key=session_key, source=source, language=conversation.language,
    )
    if session is None:
        return False
    if session.request_sent_at is None:
        session.request_sent_at = timezone.now()
        session.conversation = conversation
        session.save(update_fields=["request_sent_at", "conversation", "updated_at"])
    return True
