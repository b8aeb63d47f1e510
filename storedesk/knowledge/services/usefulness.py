"""Usefulness: views, "this helped" votes and resolved conversations, decayed over time.

Each event adds weight * 2**((t - EPOCH) / half_life) to `Article.usefulness_ref`, so the
column orders articles exactly as today's decayed score does, needs no periodic job, and
is updated atomically with F(). Today's value is the column divided by 2**((now - EPOCH) /
half_life). A float holds this for over 80 years with a 30-day half-life.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db.models import F
from django.utils import timezone

from storedesk.knowledge.models import Article
from storedesk.knowledge.search.ranking import USEFULNESS_WEIGHTS

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def _growth(at: datetime) -> float:
    half_life_seconds = USEFULNESS_WEIGHTS.half_life_days * 86400
    return float(2 ** ((at - EPOCH).total_seconds() / half_life_seconds))


def usefulness_now(article: Article, *, at: datetime | None = None) -> float:
    """The article's decayed usefulness score today (or at `at`)."""
    return usefulness_decayed(article.usefulness_ref, at=at)


def usefulness_decayed(usefulness_ref: float, *, at: datetime | None = None) -> float:
    """Today's (or `at`'s) score for a stored `Article.usefulness_ref` value."""
    return usefulness_ref / _growth(at or timezone.now())


def _record(article: Article, weight: float, counter: str) -> None:
    Article.objects.filter(pk=article.pk).update(
        usefulness_ref=F("usefulness_ref") + weight * _growth(timezone.now()),
        **{counter: F(counter) + 1},
    )


def article_view_record(*, article: Article) -> None:
    """A reader opened the article. Writes the counter and score only."""
    _record(article, USEFULNESS_WEIGHTS.view, "view_count")


def article_vote_record(*, article: Article, helpful: bool) -> None:
    """A reader answered "Was this helpful?". Writes the counter and score only."""
    if helpful:
        _record(article, USEFULNESS_WEIGHTS.helpful, "helpful_count")
    else:
        _record(article, USEFULNESS_WEIGHTS.unhelpful, "unhelpful_count")


def article_resolution_record(*, article: Article) -> None:
    """A conversation ended, or a request was not sent, after the article was shown."""
    _record(article, USEFULNESS_WEIGHTS.resolution, "resolved_count")
