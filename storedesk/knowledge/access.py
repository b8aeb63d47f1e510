"""The only ways a view loads knowledge-base objects for a customer or an agent.

A customer gets 404 for anything that is internal, a draft or another brand's, whether
it exists or not. An agent edits, and reads the internal articles of, only the brands
whose inboxes their teams serve (administrators: every brand); another brand's article
is 404 in the editor, like another team's conversation.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.conversations.access import visible_inbox_ids
from storedesk.inboxes.models import Inbox
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, ArticleAttachment, ArticleTranslation, Category

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def brand_ids_for_agent(agent: User) -> list[int] | None:
    """Brands whose articles `agent` may edit and whose internal articles they may read:
    the brands of the inboxes the agent's teams serve. None means all (administrators)."""
    inbox_ids = visible_inbox_ids(agent)
    if inbox_ids is None:
        return None
    brands = Inbox.objects.filter(pk__in=inbox_ids).order_by().values_list("brand_id", flat=True)
    return list(brands.distinct())


def brands_for_agent(agent: User) -> list[Brand]:
    """The brands of `brand_ids_for_agent`, by name (for the editor's store pickers)."""
    brand_ids = brand_ids_for_agent(agent)
    brands = Brand.objects.order_by("name", "pk")
    return list(brands if brand_ids is None else brands.filter(pk__in=brand_ids))


def agent_serves_brand(agent: User, brand_id: int) -> bool:
    brand_ids = brand_ids_for_agent(agent)
    return brand_ids is None or brand_id in brand_ids


def access_brand_for_public(*, brand_slug: str, language: str | None = None) -> Brand:
    brand = Brand.objects.filter(slug=brand_slug).first()
    if brand is None or (language is not None and language not in LANGUAGE_CODES):
        raise Http404
    return brand


def access_article_for_public(
    *, brand: Brand, article_id: int
) -> tuple[Article, list[ArticleTranslation]]:
    """A public article of the brand and its public translations (at least one)."""
    article = (
        Article.objects.filter(pk=article_id, brand=brand, visibility=Visibility.PUBLIC)
        .select_related("category", "brand")
        .first()
    )
    if article is None:
        raise Http404
    translations = list(article.translations.filter(is_public=True).select_related("brand"))
    if not translations:
        raise Http404
    return article, translations


def access_category_for_public(*, brand: Brand, slug: str) -> Category:
    category = Category.objects.filter(brand=brand, slug=slug).select_related("brand").first()
    if category is None:
        raise Http404
    return category


def access_attachment(*, attachment_id: int, user: User | None) -> ArticleAttachment:
    """Agents get every file of their brands' articles; everyone else (and agents, for other
    brands) only files of articles customers can read."""
    attachment = (
        ArticleAttachment.objects.filter(pk=attachment_id).select_related("article").first()
    )
    if attachment is None:
        raise Http404
    if (
        user is not None
        and user.is_authenticated
        and user.is_active
        and agent_serves_brand(user, attachment.article.brand_id)
    ):
        return attachment
    article = attachment.article
    if (
        article.visibility != Visibility.PUBLIC
        or not article.translations.filter(is_public=True).exists()
    ):
        raise Http404
    return attachment


def access_article_for_agent(*, agent: User, article_id: int) -> Article:
    """An article of a brand the agent serves, for the editor; 404 otherwise."""
    article = Article.objects.filter(pk=article_id).select_related("brand", "category").first()
    if article is None or not agent.is_active or not agent_serves_brand(agent, article.brand_id):
        raise Http404
    return article
