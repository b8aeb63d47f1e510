"""What customers searched and were shown, and what agents reused: the records behind the
deflection rate and the content-gaps page."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from storedesk.brands.models import Brand
from storedesk.conversations.models import Conversation
from storedesk.core.models import BaseModel
from storedesk.knowledge.deflection_enums import (
    ArticleUseMode,
    DeflectionEventKind,
    SuggestionSource,
)
from storedesk.knowledge.models.article import Article

SESSION_KEY_MAX = 64
QUERY_MAX = 200


class DeflectionSession(BaseModel):
    """One customer's visit to a page that suggests articles, named by a key the page makes.

    The `*_at` fields keep the first time each step happened, so the deflection rate is a
    count over one table.
    """

    key = models.CharField(max_length=SESSION_KEY_MAX, unique=True)
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=SuggestionSource.choices)
    language = models.CharField(max_length=10, blank=True)
    suggested_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    request_sent_at = models.DateTimeField(null=True, blank=True)
    # The request the customer sent anyway; keeps the session findable from the customer.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["brand", "created_at"], name="kb_defl_brand_created")]

    def __str__(self) -> str:
        return self.key


class DeflectionEvent(BaseModel):
    """An article shown, opened or marked as the answer, once per session."""

    session = models.ForeignKey(DeflectionSession, on_delete=models.CASCADE, related_name="events")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=DeflectionEventKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "article", "kind"], name="kb_defl_event_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.article_id}"


class SearchLog(BaseModel):
    """One search as the customer finally typed it (as-you-type prefixes merge into one row)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=SESSION_KEY_MAX, blank=True)
    source = models.CharField(max_length=16, choices=SuggestionSource.choices)
    query = models.CharField(max_length=QUERY_MAX)
    # Lower-cased, whitespace-collapsed: what the gaps page groups by.
    normalized_query = models.CharField(max_length=QUERY_MAX)
    language = models.CharField(max_length=10, blank=True)
    results_count = models.PositiveIntegerField()
    clicked_article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["brand", "created_at"], name="kb_search_brand_created"),
            models.Index(fields=["session_key", "-updated_at"], name="kb_search_session"),
        ]

    def __str__(self) -> str:
        return self.query


class ArticleUse(BaseModel):
    """An agent put the article into a reply of the conversation (counted once per conversation)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    mode = models.CharField(max_length=8, choices=ArticleUseMode.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "conversation"], name="kb_article_use_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"article {self.article_id} in conversation {self.conversation_id}"
