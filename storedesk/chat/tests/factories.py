"""Chat test builders: a chat inbox with its widget, agents in its team, visitors."""

from __future__ import annotations

import itertools

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import Team, User
from storedesk.accounts.tests.factories import create_agent
from storedesk.chat.models import ChatWidget, VisitorSession
from storedesk.chat.services import PageView, visitor_session_start
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox

_counter = itertools.count(1)
SHOP_ORIGIN = "https://shop.example"


def create_widget(
    *, team: Team | None = None, offline_inbox: Inbox | None = None, **settings: object
) -> ChatWidget:
    inbox = create_inbox(team=team, channel=Channel.CHAT, name=f"Chat {next(_counter)}")
    return ChatWidget.objects.create(
        inbox=inbox,
        offline_inbox=offline_inbox,
        allowed_origins=[SHOP_ORIGIN],
        **settings,
    )


def create_online_agent(team: Team, *, capacity: int = 3, username: str = "") -> User:
    agent = create_agent(username=username)
    agent.status, agent.chat_capacity = AgentStatus.ONLINE, capacity
    agent.save(update_fields=["status", "chat_capacity"])
    team.members.add(agent)
    return agent


def create_visitor(
    widget: ChatWidget, *, url: str = "https://shop.example/shoes"
) -> VisitorSession:
    return visitor_session_start(
        widget=widget, page=PageView(url=url, title="Shoes"), language="en"
    )
