"""Reads shared by the help centre, the editor and the other knowledge modules."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch, QuerySet

from storedesk.brands.models import Brand
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.knowledge.models import Article, ArticleTranslation, Category

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


BRAND_LANGUAGES_CACHE_SECONDS = 300


def brand_languages_cache_key(brand_id: int) -> str:
    return f"knowledge:brand-languages:{brand_id}"


def brand_languages(brand: Brand) -> list[str]:
    """The brand's default language first, then those its inboxes serve or its articles
    are written in, in the installation's order.

    Cached: every search asks. A translation in a new language clears the entry
    (services/articles.py); an inbox's new language shows within five minutes."""
    key = brand_languages_cache_key(brand.pk)
    cached: list[str] | None = cache.get(key)
    if cached is None or cached[0] != brand.default_language:
        cached = _brand_languages(brand)
        cache.set(key, cached, BRAND_LANGUAGES_CACHE_SECONDS)
    return cached


def _brand_languages(brand: Brand) -> list[str]:
    used = {brand.default_language}
    for languages in Inbox.objects.filter(brand=brand, is_active=True).values_list(
        "languages", flat=True
    ):
        used.update(languages)
    # One index probe per language: cheaper than DISTINCT over a large knowledge base.
    used.update(
        code
        for code in LANGUAGE_CODES
        if code not in used
        and ArticleTranslation.objects.filter(brand=brand, language=code).exists()
    )
    ordered = [brand.default_language]
    ordered += [c for c in LANGUAGE_CODES if c in used and c != brand.default_language]
    return ordered


def pick_translation(
    translations: list[ArticleTranslation], *, language: str, default_language: str
) -> ArticleTranslation | None:
    """The translation to show: the asked-for language, else the brand's default, else none."""
    by_language = {t.language: t for t in translations}
    return by_language.get(language) or by_language.get(default_language)


def public_articles(brand: Brand) -> QuerySet[Article]:
    """Public articles with their public translations prefetched (as `public_translations`)."""
    return (
        Article.objects.filter(brand=brand, translations__is_public=True)
        .distinct()
        .select_related("category", "brand")
        .prefetch_related(
            Prefetch(
                "translations",
                queryset=ArticleTranslation.objects.filter(is_public=True).select_related("brand"),
                to_attr="public_translations",
            )
        )
    )


def help_home(
    brand: Brand, *, language: str, limit: int = 10
) -> list[tuple[Article, ArticleTranslation]]:
    """The most useful public articles, shown in `language` or the brand's default."""
    chosen = []
    for article in public_articles(brand).order_by("-usefulness_ref", "id")[: limit * 3]:
        translation = pick_translation(
            article.public_translations,  # type: ignore[attr-defined]
            language=language,
            default_language=brand.default_language,
        )
        if translation is not None:
            chosen.append((article, translation))
    return chosen[:limit]


def category_articles(
    category: Category, *, language: str
) -> list[tuple[Article, ArticleTranslation]]:
    brand = category.brand
    chosen = []
    for article in public_articles(brand).filter(category=category).order_by("-usefulness_ref"):
        translation = pick_translation(
            article.public_translations,  # type: ignore[attr-defined]
            language=language,
            default_language=brand.default_language,
        )
        if translation is not None:
            chosen.append((article, translation))
    return chosen


def categories_for_help(brand: Brand) -> list[Category]:
    return list(
        Category.objects.filter(brand=brand, articles__translations__is_public=True)
        .distinct()
        .select_related("brand")
    )


def sitemap_translations(brand: Brand) -> QuerySet[ArticleTranslation]:
    return (
        ArticleTranslation.objects.filter(brand=brand, is_public=True)
        .select_related("brand")
        .order_by("article_id", "language")
    )


def articles_for_editor(brand_ids: list[int] | None = None) -> QuerySet[Article]:
    queryset = Article.objects.select_related("brand", "category").prefetch_related("translations")
    if brand_ids is not None:
        queryset = queryset.filter(brand_id__in=brand_ids)
    return queryset.order_by("-updated_at", "-id")


@dataclass(frozen=True)
class ContactOptions:
    """The ways to reach a human, for the help centre's "Still need help?" box."""

    email: str | None
    phone: str | None
    has_chat: bool
    has_contact_form: bool


def contact_options(brand: Brand) -> ContactOptions:
    inboxes = list(Inbox.objects.filter(brand=brand, is_active=True).prefetch_related("addresses"))
    channels = {inbox.channel for inbox in inboxes}
    email = next(
        (a.email for i in inboxes if i.channel == Channel.EMAIL for a in i.addresses.all()), None
    )
    phone = next((i.name for i in inboxes if i.channel == Channel.PHONE), None)
    return ContactOptions(
        email=email,
        phone=phone,
        has_chat=Channel.CHAT in channels,
        has_contact_form=Channel.WEB_FORM in channels,
    )


def public_related(article: Article, *, language: str) -> list[ArticleTranslation]:
    """The related articles a customer may read, each in `language` or the default."""
    brand = article.brand
    chosen = []
    for related in public_articles(brand).filter(pk__in=article.related.values("pk")):
        translation = pick_translation(
            related.public_translations,  # type: ignore[attr-defined]
            language=language,
            default_language=brand.default_language,
        )
        if translation is not None:
            chosen.append(translation)
    return chosen


def editor_translation(article: Article, language: str) -> ArticleTranslation | None:
    return article.translations.filter(language=language).first()
