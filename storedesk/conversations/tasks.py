"""Background work for conversations: delivering replies, waking snoozed ones, deleting
attachment files a killed process left without a row, and catching up the search index."""

from __future__ import annotations

from django_tasks import task

from storedesk.conversations.attachment_sweep import attachment_orphans_delete
from storedesk.conversations.models import Message
from storedesk.conversations.search_index import search_index_catch_up
from storedesk.conversations.services.changes import conversation_wake_due
from storedesk.conversations.services.delivery import message_deliver


@task()
def message_deliver_task(message_id: int) -> None:
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        return  # deleted meanwhile: nothing to deliver
    message_deliver(message=message)


@task()
def conversation_wake_due_task() -> int:
    return conversation_wake_due()


@task()
def attachment_orphans_delete_task() -> int:
    return attachment_orphans_delete()


@task()
def search_index_catch_up_task() -> int:
    return search_index_catch_up()
