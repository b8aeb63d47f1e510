"""The only ways a view loads knowledge-base objects for a customer or an agent.

A customer gets 404 for anything that is internal, a draft or another brand's, whether
it exists or not.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, ArticleAttachment, ArticleTranslation, Category

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


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
    """Agents get every file; everyone else only files of articles customers can read."""
    attachment = (
        ArticleAttachment.objects.filter(pk=attachment_id).select_related("article").first()
    )
    if attachment is None:
        raise Http404
    if user is not None and user.is_authenticated and user.is_active:
        return attachment
    article = attachment.article
    if (
        article.visibility != Visibility.PUBLIC
        or not article.translations.filter(is_public=True).exists()
    ):
        raise Http404
    return attachment


def access_article_for_agent(*, agent: User, article_id: int) -> Article:
    article = Article.objects.filter(pk=article_id).select_related("brand", "category").first()
    if article is None or not agent.is_active:
        raise Http404
    return article
