"""The chat websockets through the real ASGI application, on the in-memory layer and Redis.

Transactional tests, so that services commit and their on_commit publishing really happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings
from django.test import Client

from storedesk.accounts.models import Team, User
from storedesk.asgi import application
from storedesk.chat import events
from storedesk.chat.models import Chat, ChatWidget, VisitorSession
from storedesk.chat.services import chat_message_send_agent, chat_start, visitor_token
from storedesk.chat.tests.factories import (
    SHOP_ORIGIN,
    create_online_agent,
    create_visitor,
    create_widget,
)
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.services.messages import MessageContent, note_add
from storedesk.core.realtime import conversation_group, layer_message
from storedesk.core.realtime_events import CONVERSATION_UPDATED, TIMELINE_APPENDED, RealtimeEvent
from storedesk.core.tests.websockets import WebsocketCommunicator, run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]

TIMEOUT = 5
# Silence for this long means the server has nothing more to send.
QUIET = 1.0


def _origin(origin: str) -> list[tuple[bytes, bytes]]:
    return [(b"origin", origin.encode())]


def _agent_headers(user: User) -> list[tuple[bytes, bytes]]:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return [
        (b"origin", b"http://localhost"),
        (b"cookie", f"{name}={client.cookies[name].value}".encode()),
    ]


async def frames_until_quiet(communicator: WebsocketCommunicator) -> list[Any]:
    frames = []
    while not await communicator.receive_nothing(timeout=QUIET):
        frames.append(await communicator.receive_json_from(timeout=TIMEOUT))
    return frames


async def frames_until(
    communicator: WebsocketCommunicator, done: Callable[[list[Any]], bool]
) -> list[Any]:
    """Frames until `done` holds (each waited for up to TIMEOUT), then any that follow at once:
    what a test expects must not depend on how fast a loaded machine sends it."""
    frames: list[Any] = []
    while not done(frames):
        frames.append(await communicator.receive_json_from(timeout=TIMEOUT))
    return frames + await frames_until_quiet(communicator)


def entry_count(count: int) -> Callable[[list[Any]], bool]:
    return lambda frames: len(_entries(frames)) >= count


async def visitor_connect(
    widget: ChatWidget,
    session: VisitorSession,
    after: int,
    entries: int = 0,
    origin: str = SHOP_ORIGIN,
) -> tuple[WebsocketCommunicator, list[Any]]:
    communicator = WebsocketCommunicator(application, "/ws/chat/visitor/", _origin(origin))
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.send_json_to(
        {"type": "hello", "widget": widget.key, "token": visitor_token(session), "after": after}
    )
    frames = await frames_until(
        communicator, lambda got: bool(got) and len(_entries(got)) >= entries
    )
    assert frames[0]["type"] == "ready"
    return communicator, frames


def _entries(frames: list[Any]) -> list[Any]:
    return [frame["entry"] for frame in frames if frame["type"] == "entry"]


def _send(chat: Chat, agent: User, text: str, client_id: str) -> int:
    fresh = Chat.objects.select_related("conversation", "widget").get(pk=chat.pk)
    return chat_message_send_agent(
        chat=fresh, agent=agent, text=text, client_id=client_id
    ).message.sequence


def _last_sequence(chat: Chat) -> int:
    return Conversation.objects.values_list("last_sequence", flat=True).get(pk=chat.pk)


def test_resume_after_a_drop_sends_exactly_the_missed_entries(chat: Chat, agent: User) -> None:
    widget, session = chat.widget, chat.visitor

    async def scenario() -> None:
        communicator, frames = await visitor_connect(widget, session, 0, entries=1)
        first = _entries(frames)
        assert [e["text"] for e in first] == ["Where is my order?"]
        seen = first[-1]["sequence"]
        await communicator.disconnect()  # the drop

        sent = [
            await database_sync_to_async(_send)(chat, agent, f"Reply {n}", f"r{n}")
            for n in range(3)
        ]
        await database_sync_to_async(note_add)(
            conversation=chat.conversation, author=agent, content=MessageContent(text="VIP")
        )

        communicator, frames = await visitor_connect(widget, session, seen, entries=3)
        entries = _entries(frames)
        assert [e["sequence"] for e in entries] == sent
        assert [e["text"] for e in entries] == ["Reply 0", "Reply 1", "Reply 2"]
        # Live from here on, once each, and never the note.
        live = await database_sync_to_async(_send)(chat, agent, "Still there?", "r4")
        later = _entries(await frames_until(communicator, entry_count(1)))
        assert [e["sequence"] for e in later] == [live]
        await communicator.disconnect()

    run(scenario)


async def entry_publish(chat: Chat, sequence: int, text: str, kind: str = "message") -> None:
    """A chat.entry for `sequence` as the services publish it, with text that is not stored."""
    entry = {
        "sequence": sequence,
        "kind": kind,
        "author": "agent",
        "author_name": "Anna",
        "avatar_url": "",
        "text": text,
        "attachments": [],
        "client_id": "",
        "created_at": "2026-12-02T02:00:00+00:00",
        "event": None,
    }
    event = RealtimeEvent(
        name=events.CHAT_ENTRY,
        conversation_id=chat.pk,
        sequence=sequence,
        data={"after": sequence - 1, "entry": entry},
    )
    await get_channel_layer().group_send(conversation_group(chat.pk), layer_message([event]))


def test_visitor_socket_sends_the_entry_the_event_carries(chat: Chat, agent: User) -> None:
    """chat.entry goes out as published, without a read back; one whose predecessors the
    socket has not passed makes it read what it missed from the database instead."""
    widget, session, seen = chat.widget, chat.visitor, chat.conversation.last_sequence

    async def scenario() -> None:
        communicator, _ = await visitor_connect(widget, session, seen)
        await entry_publish(chat, seen + 50, "beyond a gap")  # nothing stored after `seen`
        assert await frames_until_quiet(communicator) == []

        real = await database_sync_to_async(_send)(chat, agent, "Real", "r1")
        # The first answer also records the chat's status change (an event after `real`).
        top = await database_sync_to_async(_last_sequence)(chat)
        assert top == real + 1
        await entry_publish(chat, top + 1, "carried")
        await entry_publish(chat, top + 2, "internal", kind="note")
        await entry_publish(chat, top + 1, "carried again")  # already passed
        frames = await frames_until(communicator, entry_count(2))
        got = [(e["sequence"], e["text"]) for e in _entries(frames)]
        assert got == [(real, "Real"), (top + 1, "carried")]
        await communicator.disconnect()

    run(scenario)


def test_visitor_socket_passes_entries_that_are_not_theirs(chat: Chat, agent: User) -> None:
    """After a note (or an event) the visitor never sees, the next chat.entry is sent on as
    carried: the socket has passed the note, so it does not read the database again."""
    widget, session, seen = chat.widget, chat.visitor, chat.conversation.last_sequence

    async def scenario() -> None:
        communicator, _ = await visitor_connect(widget, session, seen)
        note = await database_sync_to_async(note_add)(
            conversation=chat.conversation, author=agent, content=MessageContent(text="VIP")
        )
        assert await frames_until_quiet(communicator) == []  # read, found nothing for them
        # Not stored: only a socket that passed the note can send it on.
        await entry_publish(chat, note.sequence + 1, "carried")
        frames = await frames_until(communicator, entry_count(1))
        assert [(e["sequence"], e["text"]) for e in _entries(frames)] == [
            (note.sequence + 1, "carried")
        ]
        await communicator.disconnect()

    run(scenario)


def test_a_chat_line_travels_as_one_message_per_group(chat: Chat, agent: User) -> None:
    """A line's events go out together: one publish per group and one delivery per socket
    in it, where they were a send each (chat.entry, timeline.appended, conversation.updated)."""
    _send(chat, agent, "First answer", "a0")  # the first also changes status and chat state

    async def scenario() -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(conversation_group(chat.pk), channel)
        sequence = await database_sync_to_async(_send)(chat, agent, "Second", "a1")
        message = await asyncio.wait_for(layer.receive(channel), TIMEOUT)
        assert [(e["name"], e["sequence"]) for e in message["events"]] == [
            (events.CHAT_ENTRY, sequence),
            (TIMELINE_APPENDED, sequence),
            (CONVERSATION_UPDATED, sequence),
        ]
        assert message["events"][0]["data"]["entry"]["text"] == "Second"
        listening = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(QUIET)
        assert not listening.done()  # nothing more for the line
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening

    run(scenario)


def test_retried_socket_send_stores_one_message(chat: Chat) -> None:
    widget, session, seen = chat.widget, chat.visitor, chat.conversation.last_sequence

    async def scenario() -> None:
        communicator, _ = await visitor_connect(widget, session, seen)
        for _ in range(2):
            await communicator.send_json_to({"type": "send", "client_id": "m-1", "text": "Hello?"})
        frames = await frames_until(
            communicator, lambda got: len([f for f in got if f["type"] == "ack"]) == 2
        )
        acks = [f for f in frames if f["type"] == "ack"]
        assert len(acks) == 2
        assert acks[0]["sequence"] == acks[1]["sequence"]
        assert [e["text"] for e in _entries(frames)] == ["Hello?"]
        await communicator.disconnect()

    run(scenario)
    assert Message.objects.filter(conversation_id=chat.pk, text="Hello?").count() == 1


def test_agent_and_visitor_exchange_messages_and_typing(chat: Chat, agent: User) -> None:
    widget, session = chat.widget, chat.visitor
    headers = _agent_headers(agent)

    async def scenario() -> None:
        console = WebsocketCommunicator(application, "/ws/chat/agent/", headers)
        assert (await console.connect(timeout=TIMEOUT))[0]
        hello = await console.receive_json_from(timeout=TIMEOUT)
        assert [c["conversation"] for c in hello["chats"]] == [chat.pk]
        await console.send_json_to({"type": "join", "conversation": chat.pk, "after": 0})
        joined = await frames_until(console, lambda got: any(f["type"] == "state" for f in got))
        kinds = [(f["entry"]["kind"], f["entry"]["text"]) for f in joined if f["type"] == "entry"]
        assert ("message", "Where is my order?") in kinds
        assert {kind for kind, _ in kinds} == {"message", "event"}

        visitor, _ = await visitor_connect(widget, session, 0, entries=1)
        await console.send_json_to({"type": "typing", "conversation": chat.pk, "is_typing": True})
        await console.send_json_to(
            {"type": "send", "conversation": chat.pk, "client_id": "a-1", "text": "On its way"}
        )
        frames = await frames_until(
            visitor,
            lambda got: (
                bool(_entries(got))
                and any(f["type"] == "state" and f["chat"]["state"] == "active" for f in got)
            ),
        )
        assert {"type": "typing", "name": agent.name, "is_typing": True} in frames
        assert [e["text"] for e in _entries(frames)] == ["On its way"]
        states = [f["chat"]["state"] for f in frames if f["type"] == "state"]
        assert states[-1] == "active"

        await visitor.send_json_to({"type": "send", "client_id": "v-2", "text": "<b>Thanks</b>"})
        frames = await frames_until(
            console, lambda got: any(e["author"] == "visitor" for e in _entries(got))
        )
        entries = [f["entry"] for f in frames if f["type"] == "entry"]
        messages = [(e["author"], e["text"]) for e in entries if e["kind"] == "message"]
        # The console's own reply comes back as an entry too (matched by its client id).
        assert messages == [("agent", "On its way"), ("visitor", "<b>Thanks</b>")]
        await visitor.disconnect()
        await console.disconnect()

    run(scenario)


def test_agent_socket_reads_entries_in_the_agents_language(chat: Chat, agent: User) -> None:
    agent.language = "ru"
    agent.save(update_fields=["language"])
    visitor = chat.conversation.customer
    visitor.name = ""
    visitor.save(update_fields=["name"])
    headers = _agent_headers(agent)

    async def scenario() -> None:
        console = WebsocketCommunicator(application, "/ws/chat/agent/", headers)
        assert (await console.connect(timeout=TIMEOUT))[0]
        await console.receive_json_from(timeout=TIMEOUT)  # hello
        await console.send_json_to({"type": "join", "conversation": chat.pk, "after": 0})
        joined = await frames_until(console, lambda got: any(f["type"] == "state" for f in got))
        entries = [f["entry"] for f in joined if f["type"] == "entry"]
        await console.disconnect()
        assert "Обращение создано" in [e["text"] for e in entries if e["kind"] == "event"]
        visitor_names = {e["author_name"] for e in entries if e["author"] == "visitor"}
        assert visitor_names == {f"Посетитель {visitor.pk}"}

    run(scenario)


def test_agent_socket_hears_of_new_chats_and_queue(widget: ChatWidget, agent: User) -> None:
    agent.chat_capacity = 1
    agent.save(update_fields=["chat_capacity"])
    headers = _agent_headers(agent)

    async def scenario() -> None:
        console = WebsocketCommunicator(application, "/ws/chat/agent/", headers)
        assert (await console.connect(timeout=TIMEOUT))[0]
        assert (await console.receive_json_from(timeout=TIMEOUT))["chats"] == []
        first = await database_sync_to_async(chat_start)(
            session=await database_sync_to_async(create_visitor)(widget), text="A", client_id="a"
        )
        frames = await frames_until(console, lambda got: any(f["type"] == "assigned" for f in got))
        assert [f["chat"]["conversation"] for f in frames if f["type"] == "assigned"] == [first.pk]
        second = await database_sync_to_async(chat_start)(
            session=await database_sync_to_async(create_visitor)(widget), text="B", client_id="b"
        )
        frames = await frames_until(
            console,
            lambda got: any(
                f["type"] == "queue" and [row["conversation"] for row in f["queue"]] == [second.pk]
                for f in got
            ),
        )
        queues = [f["queue"] for f in frames if f["type"] == "queue"]
        assert [[row["conversation"] for row in queue] for queue in queues][-1] == [second.pk]
        await console.disconnect()

    run(scenario)


def test_forged_token_is_closed_with_4401(chat: Chat) -> None:
    token, key = visitor_token(chat.visitor), chat.widget.key
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, "/ws/chat/visitor/", _origin(SHOP_ORIGIN))
        await communicator.connect(timeout=TIMEOUT)
        await communicator.send_json_to(
            {"type": "hello", "widget": key, "token": forged, "after": 0}
        )
        assert await communicator.receive_output(TIMEOUT) == {
            "type": "websocket.close",
            "code": 4401,
        }

    run(scenario)


def test_first_frame_must_be_hello(chat: Chat) -> None:
    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, "/ws/chat/visitor/", _origin(SHOP_ORIGIN))
        await communicator.connect(timeout=TIMEOUT)
        await communicator.send_json_to({"type": "send", "client_id": "x", "text": "hi"})
        assert await communicator.receive_output(TIMEOUT) == {
            "type": "websocket.close",
            "code": 4401,
        }

    run(scenario)
    assert Message.objects.filter(conversation_id=chat.pk).count() == 1


def test_foreign_origin_is_closed_with_4403(chat: Chat) -> None:
    token, key = visitor_token(chat.visitor), chat.widget.key

    async def scenario() -> None:
        communicator = WebsocketCommunicator(
            application, "/ws/chat/visitor/", _origin("https://evil.example")
        )
        await communicator.connect(timeout=TIMEOUT)
        await communicator.send_json_to({"type": "hello", "widget": key, "token": token})
        assert await communicator.receive_output(TIMEOUT) == {
            "type": "websocket.close",
            "code": 4403,
        }

    run(scenario)


def test_token_of_another_widget_is_refused(chat: Chat, team: Team) -> None:
    other, token = create_widget(team=team), visitor_token(chat.visitor)

    async def scenario() -> None:
        communicator = WebsocketCommunicator(application, "/ws/chat/visitor/", _origin(SHOP_ORIGIN))
        await communicator.connect(timeout=TIMEOUT)
        await communicator.send_json_to({"type": "hello", "widget": other.key, "token": token})
        assert await communicator.receive_output(TIMEOUT) == {
            "type": "websocket.close",
            "code": 4401,
        }

    run(scenario)


def test_another_visitor_never_sees_the_chat(chat: Chat, widget: ChatWidget) -> None:
    stranger, agent = create_visitor(widget), chat.agent
    assert agent is not None

    async def scenario() -> None:
        communicator, frames = await visitor_connect(widget, stranger, 0)
        assert frames == [{"type": "ready", "chat": None}]
        await database_sync_to_async(_send)(chat, agent, "Private", "p1")
        assert await frames_until_quiet(communicator) == []
        await communicator.disconnect()

    run(scenario)


def test_agent_socket_refuses_chats_of_other_teams(chat: Chat) -> None:
    outsider = create_online_agent(Team.objects.create(name="Elsewhere"), username="eve")
    headers = _agent_headers(outsider)

    async def scenario() -> None:
        console = WebsocketCommunicator(application, "/ws/chat/agent/", headers)
        assert (await console.connect(timeout=TIMEOUT))[0]
        await console.receive_json_from(timeout=TIMEOUT)
        for frame in (
            {"type": "join", "conversation": chat.pk, "after": 0},
            {"type": "send", "conversation": chat.pk, "client_id": "x", "text": "hi"},
            {"type": "end", "conversation": chat.pk},
        ):
            await console.send_json_to(frame)
            reply = await console.receive_json_from(timeout=TIMEOUT)
            assert (reply["type"], reply["code"]) == ("error", "forbidden")
        await console.disconnect()

    run(scenario)
    assert Message.objects.filter(conversation_id=chat.pk).count() == 1
    assert Chat.objects.get(pk=chat.pk).state == "assigned"
