"""Turning an answered conversation into a draft article."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from storedesk.accounts.models import User
from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Conversation, Message
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article
from storedesk.knowledge.services.articles import MAX_TITLE_CHARS, article_create, first_sentence

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


@dataclass(frozen=True)
class QuestionAndAnswer:
    question: str  # the customer's first message
    answer: str  # the first agent reply after it


def question_and_answer(conversation: Conversation) -> QuestionAndAnswer | None:
    """The customer's question and the agent's answer; None until both exist."""
    question = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.INBOUND)
        .exclude(text="")
        .order_by("sequence")
        .first()
    )
    if question is None:
        return None
    answer = (
        Message.objects.filter(
            conversation=conversation, kind=MessageKind.OUTBOUND,
            author_user__isnull=False, sequence__gt=question.sequence,
        )
        .exclude(text="")
        .order_by("sequence")
        .first()
    )
    if answer is None:
        return None
    return QuestionAndAnswer(question=question.text.strip(), answer=answer.text.strip())


@transaction.atomic
def article_draft_from_conversation(*, conversation: Conversation, actor: User) -> Article:
    """A draft public article: the subject (else the question's first sentence) as title,
    the agent's reply as body, in the conversation's language (else the brand's default).

    Through article_create (a revision; indexed, but drafts never reach customers). Raises
    ValidationError when the conversation has no agent reply yet.
    """
    found = question_and_answer(conversation)
    if found is None:
        raise ValidationError(_("This conversation has no agent reply to turn into an article."))
    language = conversation.language
    if language not in LANGUAGE_CODES:
        language = conversation.brand.default_language
    title = conversation.subject.strip()[:MAX_TITLE_CHARS] or first_sentence(found.question)
    return article_create(
        brand=conversation.brand, actor=actor, language=language, title=title,
        body_markdown=found.answer, visibility=Visibility.PUBLIC, publish=False,
    )
