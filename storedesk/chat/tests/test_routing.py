"""The queue: capacity, order, seats freed, the answer timeout, nobody online."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import Team, User
from storedesk.chat.enums import ChatState
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat, ChatWidget
from storedesk.chat.selectors import chat_queue_for_agent, chat_state
from storedesk.chat.services import (
    agent_availability_set,
    agent_capacity_set,
    chat_end,
    chat_message_send_agent,
    chat_reassign_unanswered,
    chat_start,
    chat_transfer,
)
from storedesk.chat.tests.factories import create_online_agent, create_visitor
from storedesk.conversations.enums import EventType
from storedesk.conversations.models import ConversationEvent

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)


def start(widget: ChatWidget, text: str = "Hello") -> Chat:
    return chat_start(session=create_visitor(widget), text=text, client_id=f"c{next(_ids)}")


def fresh(chat: Chat) -> Chat:
    return Chat.objects.select_related("agent", "conversation").get(pk=chat.pk)


def test_chats_fill_the_least_busy_agent_then_queue_in_order(
    team: Team, widget: ChatWidget
) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    bo = create_online_agent(team, capacity=2, username="bo")

    chats = [start(widget) for _ in range(5)]

    agents = [fresh(chat).agent for chat in chats]
    # Ties on active chats go to whoever waited longest for a chat (anna never had one).
    assert agents[:3] == [anna, bo, bo]
    assert [fresh(chat).state for chat in chats[3:]] == [ChatState.QUEUED, ChatState.QUEUED]
    assert [chat_state(chat=fresh(chat))["position"] for chat in chats[3:]] == [1, 2]
    assert [row["conversation"] for row in chat_queue_for_agent(agent=anna)] == [
        chats[3].pk,
        chats[4].pk,
    ]
    assert fresh(chats[0]).conversation.assignee == anna


def test_fewest_active_chats_wins_over_idle_time(team: Team, widget: ChatWidget) -> None:
    anna = create_online_agent(team, capacity=3, username="anna")
    first = start(widget)
    assert fresh(first).agent == anna
    bo = create_online_agent(team, capacity=3, username="bo")

    assert fresh(start(widget)).agent == bo


def test_a_freed_seat_goes_to_the_oldest_waiting_chat_at_once(
    team: Team, widget: ChatWidget
) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    first, second, third = start(widget), start(widget), start(widget)

    chat_end(chat=first, actor=anna)

    assert fresh(first).state == ChatState.ENDED
    assert fresh(first).conversation.status == "solved"
    assert (fresh(second).state, fresh(second).agent) == (ChatState.ASSIGNED, anna)
    assert fresh(third).state == ChatState.QUEUED
    assert chat_state(chat=fresh(third))["position"] == 1


def test_estimated_wait_comes_from_recent_handling_times(team: Team, widget: ChatWidget) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    handled = start(widget)
    chat_end(chat=handled, actor=anna)
    ended_at = timezone.now()
    Chat.objects.filter(pk=handled.pk).update(
        assigned_at=ended_at - timedelta(seconds=240), ended_at=ended_at
    )
    start(widget)  # takes anna's one seat
    waiting = [start(widget), start(widget)]

    states = [chat_state(chat=fresh(chat)) for chat in waiting]

    # One seat, 240 s per chat: first in line waits one chat, the second two.
    assert [(s["position"], s["estimated_wait_seconds"]) for s in states] == [(1, 240), (2, 480)]


def test_going_online_or_adding_seats_takes_waiting_chats(team: Team, widget: ChatWidget) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    start(widget)
    waiting = start(widget)
    bo = create_online_agent(team, capacity=1, username="bo")
    User.objects.filter(pk=bo.pk).update(status=AgentStatus.OFFLINE)
    bo.refresh_from_db()

    agent_availability_set(agent=bo, status=AgentStatus.ONLINE)
    assert fresh(waiting).agent == bo

    third = start(widget)
    agent_capacity_set(agent=anna, capacity=2)
    assert fresh(third).agent == anna


@pytest.mark.parametrize("capacity", [0, 11, True])
def test_capacity_outside_one_to_ten_is_refused(team: Team, capacity: int) -> None:
    anna = create_online_agent(team, capacity=3)
    with pytest.raises(ChatError) as error:
        agent_capacity_set(agent=anna, capacity=capacity)
    assert error.value.code == "invalid"
    anna.refresh_from_db()
    assert anna.chat_capacity == 3


def test_unanswered_chat_goes_to_the_next_agent_and_the_first_is_set_away(
    team: Team, widget: ChatWidget
) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    bo = create_online_agent(team, capacity=1, username="bo")
    chat = start(widget)
    assert fresh(chat).agent == anna
    later = timezone.now() + timedelta(seconds=widget.answer_timeout_seconds - 1)
    assert chat_reassign_unanswered(now=later) == 0

    assert chat_reassign_unanswered(now=later + timedelta(seconds=2)) == 1

    assert (fresh(chat).state, fresh(chat).agent) == (ChatState.ASSIGNED, bo)
    assert fresh(chat).conversation.assignee == bo
    anna.refresh_from_db()
    assert anna.status == AgentStatus.AWAY
    # Routing did all three assignments, not the agents: the timeline names no agent.
    assignments = ConversationEvent.objects.filter(
        conversation_id=chat.pk, type=EventType.ASSIGNED
    ).order_by("sequence")
    assert [(e.actor_id, e.data["to"]) for e in assignments] == [
        (None, anna.pk), (None, None), (None, bo.pk)
    ]


def test_an_answered_chat_is_not_taken_back(team: Team, widget: ChatWidget) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    create_online_agent(team, capacity=1, username="bo")
    chat = start(widget)
    chat_message_send_agent(chat=fresh(chat), agent=anna, text="Hi!", client_id="a1")

    assert fresh(chat).state == ChatState.ACTIVE
    assert chat_reassign_unanswered(now=timezone.now() + timedelta(hours=1)) == 0
    assert fresh(chat).agent == anna


def test_timed_out_chat_with_nobody_else_waits_first_in_line(
    team: Team, widget: ChatWidget
) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    chat = start(widget)

    chat_reassign_unanswered(now=timezone.now() + timedelta(hours=1))

    assert (fresh(chat).state, fresh(chat).agent) == (ChatState.QUEUED, None)
    assert fresh(chat).conversation.assignee is None
    agent_availability_set(agent=anna, status=AgentStatus.ONLINE)
    assert fresh(chat).agent == anna


def test_nobody_online_refuses_to_start(team: Team, widget: ChatWidget) -> None:
    with pytest.raises(ChatError) as error:
        start(widget)
    assert error.value.code == "offline"
    assert not Chat.objects.exists()


def test_transfer_to_an_agent_and_to_a_team(team: Team, widget: ChatWidget) -> None:
    anna = create_online_agent(team, capacity=2, username="anna")
    bo = create_online_agent(team, capacity=1, username="bo")
    chat = start(widget)
    assert fresh(chat).agent == anna

    chat_transfer(chat=fresh(chat), actor=anna, to_agent=bo)
    assert (fresh(chat).agent, fresh(chat).conversation.assignee) == (bo, bo)

    other = Team.objects.create(name="Second line")
    carl = create_online_agent(other, capacity=1, username="carl")
    chat_transfer(chat=fresh(chat), actor=bo, to_team=other)
    assert (fresh(chat).team, fresh(chat).agent) == (other, carl)


def test_transfer_to_a_full_agent_is_refused(team: Team, widget: ChatWidget) -> None:
    anna = create_online_agent(team, capacity=1, username="anna")
    bo = create_online_agent(team, capacity=1, username="bo")
    mine, theirs = start(widget), start(widget)
    assert (fresh(mine).agent, fresh(theirs).agent) == (anna, bo)

    with pytest.raises(ChatError) as error:
        chat_transfer(chat=fresh(mine), actor=anna, to_agent=bo)

    assert error.value.code == "at_capacity"
    assert fresh(mine).agent == anna
