"""Keeping the index in step: the article services call these inside their transaction."""

from __future__ import annotations

from storedesk.knowledge.models import ArticleTranslation, SearchTerm
from storedesk.knowledge.search import semantic
from storedesk.knowledge.search.analysis import vocabulary
from storedesk.knowledge.search.backends import backend


def index_translation(translation: ArticleTranslation) -> None:
    """(Re)index one translation and add its words to the typo vocabulary."""
    backend().index(
        translation.pk,
        language=translation.language,
        title=translation.title,
        body=translation.plain_text,
    )
    terms = vocabulary([translation.title, translation.plain_text])
    SearchTerm.objects.bulk_create(
        [SearchTerm(language=translation.language, term=term) for term in sorted(terms)],
        ignore_conflicts=True,
    )
    semantic.embedding_schedule(translation)
