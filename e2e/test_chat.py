"""Live chat through the real server, websockets and browsers: a visitor on /demo-shop/
and agents in the chat console (/chat/console/)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from helpers import sign_in
from playwright.sync_api import BrowserContext, Page, expect

from storedesk.accounts.models import Team, User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.brands.tests.factories import create_brand
from storedesk.chat.models import CannedReply, Chat, ChatWidget
from storedesk.chat.selectors import chat_entries_for_visitor
from storedesk.conversations.models import Conversation
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox

LIVE_TIMEOUT_MS = 10_000
DEMO_WIDGET_KEY = "demo-shop"


@dataclass(frozen=True)
class ChatDesk:
    team: Team
    widget: ChatWidget
    offline_inbox: Inbox
    agents: list[User]


def create_chat_desk(*, agent_names: list[str], capacity: int = 3) -> ChatDesk:
    """A team with a chat inbox behind the demo shop's widget, and an email inbox for
    messages left offline. Every test gets its own team, so earlier tests' agents (still
    online) never take its chats."""
    suffix = uuid.uuid4().hex[:8]
    agents = []
    for name in agent_names:
        agent = create_agent(username=f"{name.split()[0].lower()}-{suffix}", display_name=name)
        agent.chat_capacity = capacity
        agent.save(update_fields=["chat_capacity"])
        agents.append(agent)
    team = create_team(name=f"Chat {suffix}", members=agents)
    brand = create_brand()
    chat_inbox = create_inbox(brand=brand, team=team, name=f"Chat {suffix}", channel=Channel.CHAT)
    offline_inbox = create_inbox(
        brand=brand, team=team, name=f"Mail {suffix}", address=f"help-{suffix}@shop.example"
    )
    widget, _ = ChatWidget.objects.get_or_create(
        key=DEMO_WIDGET_KEY, defaults={"inbox": chat_inbox}
    )
    widget.inbox = chat_inbox
    widget.offline_inbox = offline_inbox
    widget.prechat_enabled = False
    widget.save()
    return ChatDesk(team=team, widget=widget, offline_inbox=offline_inbox, agents=agents)


def open_console(context: BrowserContext, agent: User, *, online: bool = True) -> Page:
    page = context.new_page()
    sign_in(page, agent.username)
    page.goto("/chat/console/")
    page.wait_for_function("window.storedeskChatConsole && window.storedeskChatConsole.connected")
    if online:
        page.locator(".console-status-option--online").click()
        expect(page.locator(".console-status-option--online input")).to_be_checked()
    return page


def pane(page: Page, chat_id: int) -> Any:
    return page.locator(f"#chat-{chat_id}")


def agent_sequences(page: Page, chat_id: int) -> list[int]:
    """What the agent's pane shows (messages, notes and events), in page order."""
    values: list[int] = page.evaluate(
        "id => window.storedeskChatConsole.sequences(id)", chat_id
    )
    return values


def agent_message_sequences(page: Page, chat_id: int) -> list[int]:
    """The entries of the pane a visitor also sees: messages, not notes or events."""
    values: list[str] = page.eval_on_selector_all(
        f"#chat-{chat_id} .console-timeline .message:not(.message--note)[data-sequence]",
        "nodes => nodes.map(n => n.dataset.sequence)",
    )
    return [int(value) for value in values]


class VisitorApi:
    """A visitor through the widget's HTTP API (what widget.js falls back to)."""

    def __init__(self, base_url: str, key: str = DEMO_WIDGET_KEY) -> None:
        self.client = httpx.Client(
            base_url=f"{base_url}/chat/api/{key}", headers={"Origin": base_url}, timeout=30
        )
        answer = self.client.post("/session", json={
            "page": {"url": f"{base_url}/demo-shop/lamps", "title": "Lamps"},
        })
        answer.raise_for_status()
        self.client.headers["X-Chat-Token"] = answer.json()["token"]

    def start(self, text: str, *, name: str) -> int:
        answer = self.client.post("/chat", json={
            "text": text, "client_id": uuid.uuid4().hex, "name": name,
            "email": f"{name.split()[0].lower()}-{uuid.uuid4().hex[:6]}@example.com",
        })
        answer.raise_for_status()
        conversation: int = answer.json()["chat"]["conversation"]
        return conversation

    def entries(self) -> list[dict[str, Any]]:
        answer = self.client.get("/messages", params={"after": 0})
        answer.raise_for_status()
        entries: list[dict[str, Any]] = answer.json()["entries"]
        return entries

    def typing(self, is_typing: bool) -> None:
        self.client.post("/typing", json={"is_typing": is_typing}).raise_for_status()


def test_console_takes_a_chat_replies_notes_and_transfers(
    new_context: Callable[..., BrowserContext], live_url: str,
    screenshot: Callable[..., Path],
) -> None:
    desk = create_chat_desk(agent_names=["Sam Agent"])
    other_team = create_team(name=f"Billing {uuid.uuid4().hex[:6]}")
    CannedReply.objects.create(
        team=desk.team, title="E27 bulbs", text="Yes, it takes any E27 bulb.", shortcut="e27"
    )
    page = open_console(new_context(), desk.agents[0])
    visitor = VisitorApi(live_url)

    chat_id = visitor.start("Hi! Does the <b>Orb</b> lamp fit E27 bulbs?", name="Kim Lee")

    chat_pane = pane(page, chat_id)
    expect(chat_pane.locator(".message--inbound .message-body")).to_have_text(
        "Hi! Does the <b>Orb</b> lamp fit E27 bulbs?", timeout=LIVE_TIMEOUT_MS
    )
    expect(chat_pane.locator(".console-context [data-current-page]")).to_have_text("Lamps")
    expect(page.locator("#console-seats")).to_have_attribute("data-active", "1")

    visitor.typing(True)
    expect(chat_pane.locator("[data-typing]")).to_have_text("Visitor is typing…")

    composer = chat_pane.locator("[data-composer-text]")
    composer.fill("/e27")  # a canned reply's shortcut: Enter expands it, the next sends it
    composer.press("Enter")
    expect(composer).to_have_value("Yes, it takes any E27 bulb.")
    composer.press("Enter")
    chat_pane.locator("[data-composer-note]").check()
    composer.fill("Customer asked about bulbs; check stock of E27.")
    composer.press("Enter")
    expect(chat_pane.locator(".message--outbound[data-sequence] .message-body")).to_have_text(
        "Yes, it takes any E27 bulb.", timeout=LIVE_TIMEOUT_MS
    )
    expect(chat_pane.locator(".message--note[data-sequence] .message-body")).to_have_text(
        "Customer asked about bulbs; check stock of E27."
    )
    texts = [entry["text"] for entry in visitor.entries()]
    assert texts == [
        "Hi! Does the <b>Orb</b> lamp fit E27 bulbs?", "Yes, it takes any E27 bulb.",
    ]
    chat = Chat.objects.select_related("conversation").get(pk=chat_id)
    visitor_sequences = [e["sequence"] for e in chat_entries_for_visitor(chat=chat, after=0)]
    assert agent_message_sequences(page, chat_id) == visitor_sequences
    screenshot(page)

    chat_pane.locator("summary", has_text="Transfer").click()
    chat_pane.locator("select[name=team]").select_option(str(other_team.pk))
    chat_pane.locator("[data-transfer-form] button[type=submit]").click()

    expect(chat_pane).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    chat.refresh_from_db()
    assert (chat.state, chat.team_id, chat.agent_id) == ("queued", other_team.pk, None)
    expect(page.locator("#console-seats")).to_have_attribute("data-active", "0")


# --- The visitor's widget on the demo shop ------------------------------------------------

WIDGET = "[data-storedesk-chat]"  # its shadow root is open, so CSS selectors reach inside


def open_shop_chat(context: BrowserContext) -> Page:
    page = context.new_page()
    page.goto("/demo-shop/")
    page.locator(f"{WIDGET} .launcher").click()
    expect(page.locator(f"{WIDGET} .window")).to_be_visible()
    return page


def visitor_start(page: Page, text: str) -> None:
    page.locator(f"{WIDGET} #sd-text").fill(text)
    page.locator(f"{WIDGET} .panel button.primary").click()
    expect(page.locator(f"{WIDGET} #sd-compose")).to_be_visible(timeout=LIVE_TIMEOUT_MS)


def visitor_sequences(page: Page) -> list[int]:
    values: list[str] = page.eval_on_selector_all(
        f"{WIDGET} .log .msg[data-sequence]", "nodes => nodes.map(n => n.dataset.sequence)"
    )
    return [int(value) for value in values]


def newest_chat(desk: ChatDesk) -> Chat:
    return Chat.objects.filter(widget=desk.widget, team=desk.team).latest("queued_at")


def agent_send(page: Page, chat_id: int, text: str) -> None:
    composer = pane(page, chat_id).locator("[data-composer-text]")
    composer.fill(text)
    composer.press("Enter")
    sent = pane(page, chat_id).locator(".message--outbound[data-sequence] .message-body")
    expect(sent.filter(has_text=text)).to_have_count(1, timeout=LIVE_TIMEOUT_MS)


def test_visitor_and_agent_chat_and_the_visitor_catches_up_after_being_offline(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_chat_desk(agent_names=["Anna Berg"])
    agent_page = open_console(new_context(), desk.agents[0])
    visitor_context = new_context()
    shop = open_shop_chat(visitor_context)

    visitor_start(shop, "Do you have the trail runner in size 44?")

    chat_id = newest_chat(desk).pk
    expect(pane(agent_page, chat_id).locator(".message--inbound .message-body")).to_have_text(
        "Do you have the trail runner in size 44?", timeout=LIVE_TIMEOUT_MS
    )
    agent_send(agent_page, chat_id, "We do! Shall I reserve a pair?")
    expect(shop.locator(f"{WIDGET} .msg.agent", has_text="Shall I reserve")).to_have_count(
        1, timeout=LIVE_TIMEOUT_MS
    )
    expect(shop.locator(f"{WIDGET} .status")).to_have_text("You are chatting with Anna Berg.")
    shop.locator(f"{WIDGET} #sd-compose").fill("Yes please.")
    shop.locator(f"{WIDGET} #sd-compose").press("Enter")
    inbound = pane(agent_page, chat_id).locator(".message--inbound")
    expect(inbound.filter(has_text="Yes please.")).to_have_count(1, timeout=LIVE_TIMEOUT_MS)

    # The visitor's own message is shown at once; its number comes with the server's entry.
    expect(shop.locator(f"{WIDGET} .log .msg.visitor[data-sequence]")).to_have_count(
        2, timeout=LIVE_TIMEOUT_MS
    )
    visitor_context.set_offline(True)
    shown_before = visitor_sequences(shop)
    for text in ("Reserved in size 44.", "It is at the front desk.", "Open until 18:00."):
        agent_send(agent_page, chat_id, text)
    # Nothing reached the offline visitor...
    shop.wait_for_timeout(500)
    assert visitor_sequences(shop) == shown_before
    visitor_context.set_offline(False)

    # ...and after reconnecting, exactly what the agent has, no more, no less, in order.
    expected = agent_message_sequences(agent_page, chat_id)
    assert len(expected) == len(shown_before) + 3
    shop.wait_for_function(
        f"""n => document.querySelector('{WIDGET}').shadowRoot
                  .querySelectorAll('.log .msg[data-sequence]').length >= n""",
        arg=len(expected), timeout=30_000,
    )
    assert visitor_sequences(shop) == expected
    chat = newest_chat(desk)
    assert expected == [e["sequence"] for e in chat_entries_for_visitor(chat=chat, after=0)]
    screenshot(shop, "visitor")
    screenshot(agent_page, "agent")


def test_a_fourth_chat_waits_for_a_seat_and_gets_the_first_one_freed(
    new_context: Callable[..., BrowserContext], live_url: str,
    screenshot: Callable[..., Path],
) -> None:
    desk = create_chat_desk(agent_names=["Bo Ek"], capacity=3)
    agent_page = open_console(new_context(), desk.agents[0])
    first = [VisitorApi(live_url).start(f"Question {n}", name=f"Visitor {n}") for n in (1, 2, 3)]
    expect(agent_page.locator("#console-seats")).to_have_attribute(
        "data-active", "3", timeout=LIVE_TIMEOUT_MS
    )

    shop = open_shop_chat(new_context())
    visitor_start(shop, "Is anyone there?")

    expect(shop.locator(f"{WIDGET} .status")).to_contain_text(
        "You are number 1 in the queue.", timeout=LIVE_TIMEOUT_MS
    )
    waiting = newest_chat(desk)
    assert waiting.state == "queued"
    expect(agent_page.locator(f"#console-queue [data-conversation='{waiting.pk}']")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    screenshot(agent_page, "queue")

    agent_page.once("dialog", lambda dialog: dialog.accept())
    pane(agent_page, first[0]).locator("[data-end-button]").click()

    expect(shop.locator(f"{WIDGET} .status")).to_have_text(
        "Bo Ek will be with you shortly.", timeout=LIVE_TIMEOUT_MS
    )
    expect(pane(agent_page, waiting.pk)).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(pane(agent_page, waiting.pk).locator(".message--inbound .message-body")).to_have_text(
        "Is anyone there?"
    )
    waiting.refresh_from_db()
    assert (waiting.state, waiting.agent_id) == ("assigned", desk.agents[0].pk)
    expect(agent_page.locator("#console-queue [data-conversation]")).to_have_count(0)
    screenshot(shop, "visitor")


def test_an_offline_message_becomes_an_email_conversation(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_chat_desk(agent_names=["Cy Nobody"])  # never online
    shop = open_shop_chat(new_context())

    expect(shop.locator(f"{WIDGET} .status")).to_contain_text(
        "We are offline right now.", timeout=LIVE_TIMEOUT_MS
    )
    shop.locator(f"{WIDGET} #sd-name").fill("Dana Offline")
    shop.locator(f"{WIDGET} #sd-email").fill("dana@example.com")
    shop.locator(f"{WIDGET} #sd-text").fill("Please call me about a bulk order of 40 totes.")
    shop.locator(f"{WIDGET} .panel button.primary").click()

    expect(shop.locator(f"{WIDGET} .status")).to_have_text(
        "Thank you! We will answer by email.", timeout=LIVE_TIMEOUT_MS
    )
    conversation = Conversation.objects.get(inbox=desk.offline_inbox)
    assert conversation.channel == Channel.EMAIL
    assert conversation.customer.primary_email == "dana@example.com"
    first = conversation.messages.order_by("sequence").first()
    assert first is not None
    assert first.text == "Please call me about a bulk order of 40 totes."
    assert not Chat.objects.filter(widget=desk.widget, team=desk.team).exists()
    screenshot(shop)
