from __future__ import annotations

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, ArticleTranslation, Category
from storedesk.knowledge.services.articles import (
    article_create,
    translation_publish,
    translation_save,
)


def create_article(
    *,
    brand: Brand,
    title: str,
    body: str,
    language: str = "en",
    visibility: str = Visibility.PUBLIC,
    category: Category | None = None,
    publish: bool = True,
    actor: User | None = None,
) -> Article:
    return article_create(
        brand=brand,
        actor=actor,
        language=language,
        title=title,
        body_markdown=body,
        visibility=visibility,
        category=category,
        publish=publish,
    )


def add_translation(
    article: Article,
    *,
    language: str,
    title: str,
    body: str,
    publish: bool = True,
    actor: User | None = None,
) -> ArticleTranslation:
    translation = translation_save(
        article=article, actor=actor, language=language, title=title, body_markdown=body
    )
    if publish:
        translation = translation_publish(translation=translation, actor=actor)
    return translation
