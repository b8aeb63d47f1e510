"""Sockets' message writes that arrive together (group-committed on SQLite): each is
still answered on its own, as if it had been written alone."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from storedesk.accounts.models import User
from storedesk.chat.consumers.base import db_write
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat
from storedesk.chat.services import SendResult, chat_message_send_agent
from storedesk.conversations.models import Message
from storedesk.core.tests.websockets import run

pytestmark = pytest.mark.django_db(transaction=True)


def _loaded(chat: Chat) -> Chat:
    return Chat.objects.select_related("conversation", "widget").get(pk=chat.pk)


def test_writes_sent_together_succeed_fail_and_retry_each_on_their_own(
    chat: Chat, agent: User
) -> None:
    outcomes: list[SendResult | BaseException] = []

    async def scenario() -> None:
        loaded = await database_sync_to_async(_loaded)(chat)

        def send(text: str, client_id: str) -> asyncio.Future[SendResult]:
            return asyncio.ensure_future(
                db_write(
                    chat_message_send_agent,
                    chat=loaded,
                    agent=agent,
                    text=text,
                    client_id=client_id,
                )
            )

        sends = [
            send("First", "b1"),
            send("Second", "b2"),
            send("   ", "b3"),  # empty: refused
            send("Second", "b2"),  # a retry of the second
        ]
        outcomes.extend(await asyncio.gather(*sends, return_exceptions=True))

    run(scenario)

    first, second, empty, retry = outcomes
    assert isinstance(first, SendResult)
    assert first.created
    assert isinstance(empty, ChatError)
    assert empty.code == "empty"
    # The same client id twice: one stores the message (on PostgreSQL, where the writes
    # run side by side, either may be first), the other gets that message back.
    assert isinstance(second, SendResult)
    assert isinstance(retry, SendResult)
    assert sorted([second.created, retry.created]) == [False, True]
    assert retry.message.pk == second.message.pk
    stored = Message.objects.filter(conversation_id=chat.pk, client_id__startswith="a:")
    assert sorted(stored.values_list("client_id", "text")) == [
        ("a:b1", "First"),
        ("a:b2", "Second"),
    ]
