"""The live chat benchmark's world: a database with a chat inbox, agents, visitor sessions
and seated chats, made through the services in process; and the in-process profile of one
message's database work (`bench/chat.py --profile`)."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

from harness import ROOT, PageResult

WIDGET_KEY = "bench-widget"
SHOP_ORIGIN = "http://bench.example"
CAPACITY = 10


@dataclass(frozen=True)
class World:
    tokens: list[str]  # one per visitor; the first len(chats) have a chat
    chats: list[tuple[int, int]]  # (conversation id, agent id), by visitor index
    agent_cookies: dict[int, str]  # agent id -> session key


def database_reset(url: str) -> None:
    if url.startswith("sqlite"):
        return  # a fresh file in a fresh directory
    import psycopg
    from harness import database_name, with_database
    from psycopg import sql

    name = database_name(url)
    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as admin:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        admin.execute(drop.format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)  # this process only writes rows; it publishes nothing
    sys.path.insert(0, str(ROOT))
    import django
    from django.test import override_settings

    django.setup()
    override_settings(CHANNEL_LAYERS={}).enable()


def world_create(*, visitors: int, agents: int) -> World:
    """Through the services where they exist (chats, routing), bulk rows where they would
    only be slow (visitor sessions that never chat)."""
    import importlib
    import secrets

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command

    from storedesk.accounts.enums import AgentStatus
    from storedesk.accounts.models import Team, User
    from storedesk.brands.models import Brand
    from storedesk.chat.models import ChatWidget, VisitorSession
    from storedesk.chat.services import agent_availability_set, chat_start, visitor_token
    from storedesk.inboxes.enums import Channel
    from storedesk.inboxes.models import Inbox

    call_command("migrate", verbosity=0)
    brand = Brand.objects.create(name="Bench shop", slug="bench-shop")
    team = Team.objects.create(name="Bench chat")
    inbox = Inbox.objects.create(brand=brand, team=team, name="Bench chat", channel=Channel.CHAT)
    # No pre-chat form, and a timeout longer than the run: nobody is passed over.
    widget = ChatWidget.objects.create(
        inbox=inbox, key=WIDGET_KEY, allowed_origins=[SHOP_ORIGIN], prechat_enabled=False,
        answer_timeout_seconds=3600,
    )
    chats_wanted = min(visitors, agents * CAPACITY)
    staff = [
        User.objects.create_user(
            username=f"bench-agent-{i}", email=f"agent{i}@bench.example",
            display_name=f"Agent {i}", chat_capacity=CAPACITY,
        )
        for i in range(agents)
    ]
    team.members.add(*staff)
    for agent in staff:
        agent_availability_set(agent=agent, status=AgentStatus.ONLINE)
    sessions = VisitorSession.objects.bulk_create(
        VisitorSession(widget=widget, key=secrets.token_urlsafe(32))
        for _ in range(visitors)
    )
    chats = []
    for index, session in enumerate(sessions[:chats_wanted]):
        chat = chat_start(session=session, text=f"Hello from visitor {index}",
                          client_id=f"bench-{index}")
        assert chat.agent_id is not None, "every bench chat gets a seat"
        chats.append((chat.pk, chat.agent_id))
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore
    cookies = {}
    for agent in staff:
        session = store()
        session[SESSION_KEY] = str(agent.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = agent.get_session_auth_hash()
        session.create()
        cookies[agent.pk] = session.session_key or ""
    return World([visitor_token(s) for s in sessions], chats, cookies)


def service_profile(world: World, rounds: int) -> list[str]:
    """What one delivered message costs on the server's database thread, in process: the
    agent's send (the service) and, for comparison, the entry reads a socket makes when it
    resumes after a drop (live delivery forwards the entry chat.entry carries instead)."""
    import cProfile
    import io
    import pstats

    from storedesk.accounts.models import User
    from storedesk.chat.models import Chat
    from storedesk.chat.selectors import chat_entries_for_agent, chat_entries_for_visitor
    from storedesk.chat.services import chat_message_send_agent

    chats = [(Chat.objects.select_related("conversation", "widget").get(pk=conversation),
              User.objects.get(pk=agent)) for conversation, agent in world.chats]
    timings: dict[str, list[float]] = {"send (chat_message_send_agent)": [],
                                       "visitor's entry read (resume only)": [],
                                       "agent's entry read (resume only)": []}
    # The chats' first agent lines, not profiled: what the benchmark's phases send are
    # lines after the first (the steady path, conversations/services/steady.py).
    for chat, agent in chats:
        chat_message_send_agent(chat=chat, agent=agent, text="Hello", client_id=f"hello-{chat.pk}")
    profiler = cProfile.Profile()
    for index in range(rounds):
        chat, agent = chats[index % len(chats)]
        started = time.perf_counter()
        profiler.enable()
        sent = chat_message_send_agent(chat=chat, agent=agent, text=f"profile {index}",
                                       client_id=f"profile-{index}")
        profiler.disable()
        middle = time.perf_counter()
        chat_entries_for_visitor(chat=chat, after=sent.message.sequence - 1)
        after_visitor = time.perf_counter()
        chat_entries_for_agent(chat=chat, after=sent.message.sequence - 1)
        ended = time.perf_counter()
        for label, (start, end) in zip(
            timings, ((started, middle), (middle, after_visitor), (after_visitor, ended)),
            strict=True,
        ):
            timings[label].append((end - start) * 1000)
    lines = [f"{label}: p50 {PageResult(label, samples=samples).percentile(50):.1f} ms"
             for label, samples in timings.items()]
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    lines += ["", f"cProfile of {rounds} sends, by own time:", *out.getvalue().splitlines()[6:]]
    return lines
