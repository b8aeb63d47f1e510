"""What the content-gaps page shows: searches that found nothing or ended in a request,
and clusters of similar questions from incoming conversations."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery

from storedesk.brands.models import Brand
from storedesk.conversations.enums import ConversationStatus, MessageKind
from storedesk.conversations.models import Conversation, Message
from storedesk.knowledge.clustering import Document, cluster, most_central, tfidf_vectors
from storedesk.knowledge.models import DeflectionSession, SearchLog

MAX_GAPS = 30
MAX_EXAMPLES = 3
# The most recent conversations of the period that are clustered; enough to find what
# is asked often, small enough to cluster on view (a fraction of a second, then cached).
MAX_CLUSTERED = 500
MIN_CLUSTER_SIZE = 2
MAX_CLUSTERS = 20
CLUSTER_CACHE_SECONDS = 900
EXCERPT_CHARS = 240


@dataclass(frozen=True)
class SearchGap:
    query: str
    searches: int
    without_results: int
    followed_by_contact: int
    examples: list[str]  # how customers wrote it, when they wrote it differently


def search_gaps(*, brand: Brand, start: datetime, end: datetime) -> list[SearchGap]:
    """Searches of the period that found nothing or were followed by a request, grouped by
    their normalised text, most frequent first."""
    contacted = DeflectionSession.objects.filter(
        key=OuterRef("session_key"), request_sent_at__isnull=False
    )
    logs = SearchLog.objects.filter(brand=brand, created_at__gte=start, created_at__lt=end)
    logs = logs.annotate(contacted=Exists(contacted)).filter(
        Q(results_count=0) | Q(contacted=True)
    )
    groups = list(
        logs.values("normalized_query")
        .annotate(
            searches=Count("id"),
            without_results=Count("id", filter=Q(results_count=0)),
            followed_by_contact=Count("id", filter=Q(contacted=True)),
            last=Max("created_at"),
        )
        .order_by("-searches", "-last", "normalized_query")[:MAX_GAPS]
    )
    examples = _examples(logs, [g["normalized_query"] for g in groups])
    return [
        SearchGap(
            query=g["normalized_query"], searches=g["searches"],
            without_results=g["without_results"], followed_by_contact=g["followed_by_contact"],
            examples=examples.get(g["normalized_query"], []),
        )
        for g in groups
    ]


def _examples(logs: QuerySet[SearchLog], normalized: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    rows = logs.filter(normalized_query__in=normalized).values_list("normalized_query", "query")
    for key, query in rows.distinct().order_by("normalized_query", "query"):
        if query != key and len(found.setdefault(key, [])) < MAX_EXAMPLES:
            found[key].append(query)
    return found


@dataclass(frozen=True)
class ClusterExample:
    number: int
    subject: str
    excerpt: str
    answered: bool  # an agent replied, so one click can make it a draft article


@dataclass(frozen=True)
class QuestionCluster:
    label: str  # the subject (else excerpt) of the most typical conversation
    size: int
    examples: list[ClusterExample]


@dataclass(frozen=True)
class _Question:
    number: int
    subject: str
    language: str
    question: str
    answered: bool


def _questions(
    brand: Brand, start: datetime, end: datetime, inbox_ids: list[int] | None
) -> list[_Question]:
    """The period's newest conversations with their first customer message, newest first."""
    first_question = Message.objects.filter(
        conversation=OuterRef("pk"), kind=MessageKind.INBOUND
    ).order_by("sequence").values("text")[:1]
    replied = Message.objects.filter(
        conversation=OuterRef("pk"), kind=MessageKind.OUTBOUND, author_user__isnull=False
    )
    conversations = Conversation.objects.filter(
        brand=brand, created_at__gte=start, created_at__lt=end
    ).exclude(status__in=[ConversationStatus.SPAM, ConversationStatus.TRASH])
    if inbox_ids is not None:
        conversations = conversations.filter(inbox_id__in=inbox_ids)
    rows = (
        conversations.annotate(question=Subquery(first_question), answered=Exists(replied))
        .order_by("-created_at", "-id")
        .values_list("number", "subject", "language", "question", "answered")[:MAX_CLUSTERED]
    )
    return [
        _Question(number=n, subject=subject, language=language, question=question or "",
                  answered=answered)
        for n, subject, language, question, answered in rows
    ]


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS].rsplit(" ", 1)[0] + "…"


def _example(question: _Question) -> ClusterExample:
    return ClusterExample(
        number=question.number, subject=question.subject,
        excerpt=_excerpt(question.question), answered=question.answered,
    )


def _clusters_compute(questions: list[_Question], default_language: str) -> list[QuestionCluster]:
    questions = list(reversed(questions))  # oldest first: a cluster's leader is its first question
    vectors = tfidf_vectors([
        Document(text=f"{q.subject} {q.question}", language=q.language or default_language)
        for q in questions
    ])
    result: list[QuestionCluster] = []
    for members in cluster(vectors):
        if len(members) < MIN_CLUSTER_SIZE or len(result) == MAX_CLUSTERS:
            continue
        central = questions[most_central(vectors, members)]
        # Answered ones first (they can become drafts), then the newest.
        shown = sorted(members, key=lambda m: (not questions[m].answered, -m))[:MAX_EXAMPLES]
        result.append(QuestionCluster(
            label=central.subject or _excerpt(central.question), size=len(members),
            examples=[_example(questions[m]) for m in shown],
        ))
    return result


def question_clusters(
    *, brand: Brand, start: datetime, end: datetime, inbox_ids: list[int] | None
) -> list[QuestionCluster]:
    """Similar first questions of the period's conversations (in `inbox_ids`, or all),
    biggest group first; computed on view and cached while no conversation is added."""
    questions = _questions(brand, start, end, inbox_ids)
    newest = max((q.number for q in questions), default=0)
    scope = hashlib.sha256(repr(sorted(inbox_ids) if inbox_ids is not None else None).encode())
    key = (
        f"kb.clusters.{brand.pk}.{start.isoformat()}.{end.isoformat()}."
        f"{len(questions)}.{newest}.{scope.hexdigest()[:16]}"
    )
    cached = cache.get(key)
    if cached is not None:
        assert isinstance(cached, list)
        return cached
    clusters = _clusters_compute(questions, brand.default_language)
    cache.set(key, clusters, timeout=CLUSTER_CACHE_SECONDS)
    return clusters
