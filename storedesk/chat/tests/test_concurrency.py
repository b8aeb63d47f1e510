"""Two writers at once never overfill an agent (row locks on PostgreSQL).

Runs on PostgreSQL only: Django's SQLite test database is one shared in-memory database, on
which concurrent writers from threads fail with "table is locked" instead of waiting; the
SQLite installation itself serialises writers with immediate transactions (settings.py).
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from storedesk.accounts.models import Team
from storedesk.chat.enums import SEATED_STATES, ChatState
from storedesk.chat.models import Chat, ChatWidget
from storedesk.chat.selectors import chat_state
from storedesk.chat.services import chat_start
from storedesk.chat.tests.factories import create_online_agent, create_visitor

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers"),
]
VISITORS = 8


def test_concurrent_chat_starts_respect_capacity_and_queue_order(
    team: Team, widget: ChatWidget
) -> None:
    agents = [create_online_agent(team, capacity=1, username=f"agent{n}") for n in range(3)]
    sessions = [create_visitor(widget) for _ in range(VISITORS)]
    barrier = threading.Barrier(VISITORS)
    errors: list[BaseException] = []

    def visitor(n: int) -> None:
        try:
            barrier.wait()
            chat_start(session=sessions[n], text=f"Hello {n}", client_id=f"c{n}")
        except BaseException as error:  # reported below; a thread must not die silently
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=visitor, args=(n,)) for n in range(VISITORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seated = Counter(
        Chat.objects.filter(state__in=SEATED_STATES).values_list("agent_id", flat=True)
    )
    assert seated == Counter({agent.pk: 1 for agent in agents})
    queued = Chat.objects.filter(state=ChatState.QUEUED).order_by("queued_at", "pk")
    assert [chat_state(chat=chat)["position"] for chat in queued] == list(
        range(1, VISITORS - len(agents) + 1)
    )
