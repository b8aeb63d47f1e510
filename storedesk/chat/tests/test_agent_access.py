"""The agent socket's kept access checks: spread in time, and repeated when they come due."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from storedesk.accounts.models import Team, User
from storedesk.chat.consumers import agent as agent_socket
from storedesk.chat.models import Chat
from storedesk.chat.tests.test_agent_pipelining import console_connect, send_frame
from storedesk.chat.tests.test_consumers import _agent_headers, frames_until
from storedesk.core.tests.websockets import run

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


def test_chats_checked_together_come_due_at_different_times() -> None:
    before = time.monotonic()
    checked = [agent_socket._checked_at_spread() for _ in range(200)]

    interval = agent_socket.ACCESS_RECHECK_SECONDS
    assert all(before - interval / 2 <= at <= time.monotonic() for at in checked)
    # 200 draws from 15 seconds: all within a quarter of it is as good as impossible.
    assert max(checked) - min(checked) > interval / 4


def test_agent_who_lost_access_is_refused_once_the_check_comes_due(
    chat: Chat, agent: User, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = _agent_headers(agent)

    def answer_to(client_id: str) -> Callable[[list[Any]], bool]:
        return lambda got: any(f.get("client_id") == client_id for f in got)

    async def scenario() -> None:
        console = await console_connect(headers)
        await database_sync_to_async(team.members.remove)(agent)

        # Within the interval the kept check stands (checked at most half of it ago).
        await console.send_json_to(send_frame(chat, "a-1", "Still mine"))
        frames = await frames_until(console, answer_to("a-1"))
        assert [f["type"] for f in frames if f.get("client_id") == "a-1"] == ["ack"]

        monkeypatch.setattr(agent_socket, "ACCESS_RECHECK_SECONDS", 0.0)  # due now
        await console.send_json_to(send_frame(chat, "a-2", "Not mine any more"))
        frames = await frames_until(console, answer_to("a-2"))
        refused = [f for f in frames if f.get("client_id") == "a-2" or f["type"] == "error"]
        assert refused == [
            {
                "type": "error",
                "code": "forbidden",
                "request": "send",
                "client_id": "a-2",
                "conversation": chat.pk,
            }
        ]
        await console.disconnect()

    run(scenario)
