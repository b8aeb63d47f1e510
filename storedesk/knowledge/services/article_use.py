"""Agents putting an article into a reply, and the count of conversations it was used in."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import Http404

from storedesk.accounts.models import User
from storedesk.conversations.models import Conversation
from storedesk.knowledge.deflection_enums import ArticleUseMode
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, ArticleTranslation, ArticleUse
from storedesk.knowledge.selectors import pick_translation


@dataclass(frozen=True)
class ArticleInsert:
    text: str  # what goes into the reply box
    language: str
    used_in: int  # conversations the article has now been used in


def reply_language(conversation: Conversation) -> str:
    """The language the customer is answered in: the conversation's, else theirs."""
    return conversation.language or conversation.customer.language or ""


def _translation_for(article_id: int, conversation: Conversation) -> ArticleTranslation:
    # Only public, published text: whatever is inserted is sent to a customer.
    article = (
        Article.objects.filter(
            pk=article_id, brand_id=conversation.brand_id, visibility=Visibility.PUBLIC
        )
        .select_related("brand")
        .first()
    )
    if article is None:
        raise Http404
    translations = list(article.translations.filter(is_public=True).select_related("brand"))
    chosen = pick_translation(
        translations, language=reply_language(conversation),
        default_language=article.brand.default_language,
    ) or next(iter(translations), None)
    if chosen is None:
        raise Http404
    return chosen


@transaction.atomic
def article_insert_into_reply(
    *, article_id: int, conversation: Conversation, agent: User, mode: str
) -> ArticleInsert:
    """The text to insert: a link to the article, or its text, in the customer's language
    (else the brand's default). Raises Http404 for an internal, unpublished or other
    brand's article. Records one ArticleUse per article and conversation (the first
    insertion's agent and mode). No events."""
    translation = _translation_for(article_id, conversation)
    if mode == ArticleUseMode.LINK:
        text = f"{translation.title}\n{settings.BASE_URL}{translation.get_absolute_url()}"
    else:
        text = f"{translation.title}\n\n{translation.plain_text}".strip()
    ArticleUse.objects.get_or_create(
        article_id=translation.article_id, conversation=conversation,
        defaults={"agent": agent, "mode": ArticleUseMode(mode)},
    )
    used_in = ArticleUse.objects.filter(article_id=translation.article_id).count()
    return ArticleInsert(text=text, language=translation.language, used_in=used_in)
