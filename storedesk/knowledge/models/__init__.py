from storedesk.knowledge.models.article import (
    Article,
    ArticleAttachment,
    ArticleRevision,
    ArticleTranslation,
    Category,
)
from storedesk.knowledge.models.deflection import (
    ArticleUse,
    DeflectionEvent,
    DeflectionSession,
    SearchLog,
)
from storedesk.knowledge.models.search import SearchTerm
from storedesk.knowledge.models.semantic import TranslationEmbedding

__all__ = [
    "Article",
    "ArticleAttachment",
    "ArticleRevision",
    "ArticleTranslation",
    "ArticleUse",
    "Category",
    "DeflectionEvent",
    "DeflectionSession",
    "SearchLog",
    "SearchTerm",
    "TranslationEmbedding",
]
