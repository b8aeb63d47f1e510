"""Every write to articles and translations. Each keeps the search index up to date in
the same transaction (search/indexing.py) and records a revision for every change of a
translation's text or status."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.knowledge.enums import TranslationStatus, Visibility
from storedesk.knowledge.models import Article, ArticleRevision, ArticleTranslation, Category
from storedesk.knowledge.rendering import html_to_text, render_markdown
from storedesk.knowledge.search.indexing import index_translation
from storedesk.knowledge.selectors import brand_languages_cache_key

MAX_BODY_CHARS = 100_000
MAX_TITLE_CHARS = 300
MAX_SLUG_CHARS = 100
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def _language_check(language: str) -> None:
    if language not in {code for code, _name in settings.LANGUAGES}:
        raise ValidationError(_("Unknown language: %(language)s"), params={"language": language})


def first_sentence(text: str) -> str:
    """An answer's first sentence, for an article written without a title."""
    sentence = _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    return sentence[:MAX_TITLE_CHARS]


def _unique_slug(*, brand: Brand, language: str, wanted: str, exclude_pk: int | None) -> str:
    base = slugify(wanted, allow_unicode=True)[:MAX_SLUG_CHARS].strip("-") or "article"
    others = ArticleTranslation.objects.filter(
        brand=brand, language=language, slug__startswith=base
    )
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    taken = set(others.values_list("slug", flat=True))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _revision(translation: ArticleTranslation, actor: User | None) -> None:
    ArticleRevision.objects.create(
        translation=translation,
        title=translation.title,
        body_markdown=translation.body_markdown,
        status=translation.status,
        editor=actor,
    )


def _sync_public(article: Article) -> None:
    is_public_article = article.visibility == Visibility.PUBLIC
    article.translations.update(is_public=False)
    if is_public_article:
        article.translations.filter(status=TranslationStatus.PUBLISHED).update(is_public=True)


@transaction.atomic
def article_create(
    *,
    brand: Brand,
    actor: User | None,
    language: str,
    title: str,
    body_markdown: str,
    visibility: str = Visibility.PUBLIC,
    category: Category | None = None,
    tags: Sequence[str] = (),
    slug: str = "",
    publish: bool = False,
) -> Article:
    """A new article with its first translation (and revision); indexed. An empty title
    takes the body's first sentence."""
    if visibility not in Visibility.values:
        raise ValidationError(_("Unknown visibility."))
    if category is not None and category.brand_id != brand.pk:
        raise ValidationError(_("The category belongs to another store."))
    article = Article.objects.create(
        brand=brand,
        category=category,
        visibility=visibility,
        tags=_clean_tags(tags),
        created_by=actor,
    )
    translation = translation_save(
        article=article,
        actor=actor,
        language=language,
        title=title,
        body_markdown=body_markdown,
        slug=slug,
    )
    if publish:
        translation_publish(translation=translation, actor=actor)
    return article


def _clean_tags(tags: Iterable[str]) -> list[str]:
    return sorted({t.strip().lower()[:50] for t in tags if t.strip()})


@transaction.atomic
def translation_save(
    *,
    article: Article,
    actor: User | None,
    language: str,
    title: str,
    body_markdown: str,
    slug: str = "",
) -> ArticleTranslation:
    """Create or edit the article's translation in `language`; keeps its status, records a
    revision and reindexes it."""
    _language_check(language)
    if len(body_markdown) > MAX_BODY_CHARS:
        raise ValidationError(_("The article is too long."))
    body_html = render_markdown(body_markdown)
    plain_text = html_to_text(body_html)
    title = title.strip() or first_sentence(plain_text)
    if not title:
        raise ValidationError(_("An article needs a title or a body."))
    translation = ArticleTranslation.objects.filter(article=article, language=language).first()
    if translation is None:
        translation = ArticleTranslation(
            article=article, brand_id=article.brand_id, language=language
        )
        # Search reads the brand's languages from the cache; this may be a new one.
        transaction.on_commit(lambda: cache.delete(brand_languages_cache_key(article.brand_id)))
    translation.title = title[:MAX_TITLE_CHARS]
    translation.slug = _unique_slug(
        brand=article.brand,
        language=language,
        wanted=slug or translation.slug or title,
        exclude_pk=translation.pk,
    )
    translation.body_markdown = body_markdown
    translation.body_html = body_html
    translation.plain_text = plain_text
    translation.updated_by = actor
    translation.save()
    _revision(translation, actor)
    index_translation(translation)
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now())
    return translation


@transaction.atomic
def translation_publish(
    *, translation: ArticleTranslation, actor: User | None
) -> ArticleTranslation:
    """Publish; customers see it if the article is public. Records a revision."""
    return _set_status(translation, TranslationStatus.PUBLISHED, actor)


@transaction.atomic
def translation_unpublish(
    *, translation: ArticleTranslation, actor: User | None
) -> ArticleTranslation:
    """Back to draft: gone from the help centre and search. Records a revision."""
    return _set_status(translation, TranslationStatus.DRAFT, actor)


def _set_status(
    translation: ArticleTranslation, status: str, actor: User | None
) -> ArticleTranslation:
    if translation.status == status:
        return translation
    translation.status = status
    if status == TranslationStatus.PUBLISHED and translation.published_at is None:
        translation.published_at = timezone.now()
    translation.is_public = (
        status == TranslationStatus.PUBLISHED
        and translation.article.visibility == Visibility.PUBLIC
    )
    translation.updated_by = actor
    translation.save(
        update_fields=["status", "published_at", "is_public", "updated_by", "updated_at"]
    )
    _revision(translation, actor)
    return translation


@transaction.atomic
def article_publish(*, article: Article, actor: User | None) -> Article:
    """Publish every translation of the article."""
    for translation in article.translations.select_related("article"):
        _set_status(translation, TranslationStatus.PUBLISHED, actor)
    return article


@transaction.atomic
def article_update(
    *,
    article: Article,
    actor: User | None,
    visibility: str | None = None,
    category: Category | None = None,
    clear_category: bool = False,
    tags: Sequence[str] | None = None,
    related: Sequence[Article] | None = None,
) -> Article:
    """Change the article's settings; a visibility change applies to customers at once."""
    if visibility is not None:
        if visibility not in Visibility.values:
            raise ValidationError(_("Unknown visibility."))
        article.visibility = visibility
    if category is not None:
        if category.brand_id != article.brand_id:
            raise ValidationError(_("The category belongs to another store."))
        article.category = category
    elif clear_category:
        article.category = None
    if tags is not None:
        article.tags = _clean_tags(tags)
    article.save(update_fields=["visibility", "category", "tags", "updated_at"])
    if related is not None:
        if any(r.brand_id != article.brand_id or r.pk == article.pk for r in related):
            raise ValidationError(_("Related articles must be other articles of the same store."))
        article.related.set(related)
    _sync_public(article)
    return article


@transaction.atomic
def article_delete(*, article: Article, actor: User | None) -> None:
    """Delete the article, its translations, revisions and files (index rows follow)."""
    for attachment in article.attachments.all():
        attachment.file.delete(save=False)
    article.delete()


@transaction.atomic
def category_save(*, brand: Brand, slug: str, names: dict[str, str], position: int = 0) -> Category:
    """Create or rename a category (found by slug)."""
    for language in names:
        _language_check(language)
    category, _created = Category.objects.update_or_create(
        brand=brand,
        slug=slugify(slug) or "category",
        defaults={
            "names": {k: v.strip()[:120] for k, v in names.items() if v.strip()},
            "position": position,
        },
    )
    return category
