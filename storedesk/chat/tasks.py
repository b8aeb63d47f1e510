"""Background work for live chat."""

from __future__ import annotations

from django_tasks import task

from storedesk.chat.services import chat_reassign_unanswered


@task()
def chat_reassign_unanswered_task() -> int:
    return chat_reassign_unanswered()
