"""The chat widget on /demo-shop/ suggests help-centre articles while the visitor writes the
first message (deflection), in English and Swedish, usable by keyboard; what was shown,
marked as the answer, and a chat started anyway are recorded on the visit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.chat.models import Chat, ChatWidget
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.knowledge.deflection_enums import DeflectionEventKind
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import DeflectionSession
from storedesk.knowledge.tests.factories import add_translation, create_article

WIDGET = "[data-storedesk-chat]"  # an open shadow root: CSS selectors reach inside
DEMO_WIDGET_KEY = "demo-shop"
TITLES = {"en": "How do I return a lamp?", "sv": "Hur returnerar jag en lampa?"}
TYPED = {"en": "How can I return my lamp", "sv": "Hur kan jag returnera lampan"}
ANSWERED = {"en": "This answered my question", "sv": "Det här besvarade min fråga"}
INTERNAL_TITLE = "Phone script: lamp returns"
LIVE_TIMEOUT_MS = 10_000


def _demo_brand() -> Brand:
    """A brand with lamp articles behind the demo shop's widget, and an online agent so the
    widget offers a chat. Its own team: earlier tests' online agents never take its chats."""
    suffix = uuid.uuid4().hex[:8]
    agent = create_agent(username=f"nils-{suffix}")
    agent.status = AgentStatus.ONLINE
    agent.save(update_fields=["status"])
    brand = create_brand(default_language="en")
    inbox = create_inbox(brand=brand, team=create_team(name=f"Chat {suffix}", members=[agent]),
                         channel=Channel.CHAT, name=f"Chat {suffix}")
    widget, _created = ChatWidget.objects.get_or_create(
        key=DEMO_WIDGET_KEY, defaults={"inbox": inbox}
    )
    widget.inbox, widget.prechat_enabled = inbox, False
    widget.save()
    article = create_article(brand=brand, title=TITLES["en"],
                             body="Pack the lamp in its box and send it back within 30 days.")
    add_translation(article, language="sv", title=TITLES["sv"],
                    body="Packa lampan i kartongen och skicka tillbaka den inom 30 dagar.")
    create_article(brand=brand, title=INTERNAL_TITLE, visibility=Visibility.INTERNAL,
                   body="Internal: lamp returns above 500 need manager code 4711.")
    return brand


def _visitor(new_context: Callable[..., BrowserContext], live_url: str, language: str) -> Page:
    context = new_context(locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_url}])
    page = context.new_page()
    page.goto("/demo-shop/")
    page.locator(f"{WIDGET} .launcher").click()
    expect(page.locator(f"{WIDGET} #sd-text")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    return page


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_widget_suggests_articles_before_a_chat_starts(
    language: str, new_context: Callable[..., BrowserContext], live_url: str,
    screenshot: Callable[..., Path],
) -> None:
    brand = _demo_brand()
    page = _visitor(new_context, live_url, language)
    text = page.locator(f"{WIDGET} #sd-text")

    text.press_sequentially(TYPED[language], delay=30)

    items = page.locator(f"{WIDGET} .sugg li")
    # The server's first search may load the language-detection model (seconds, once).
    expect(items).to_have_count(1, timeout=20_000)
    expect(items.locator("a")).to_have_text(TITLES[language])
    expect(page.locator(f"{WIDGET} .sugg")).not_to_contain_text(INTERNAL_TITLE)
    expect(text).to_have_attribute("aria-describedby", "sd-sugg-title")
    screenshot(page, language)

    # Keyboard: the suggestion comes right after the message box, before "Start chat".
    text.focus()
    page.keyboard.press("Tab")
    expect(items.locator("a")).to_be_focused()
    page.keyboard.press("Tab")
    expect(items.locator("button")).to_be_focused()
    expect(items.locator("button")).to_have_text(ANSWERED[language])
    with page.expect_response(
        lambda r: r.url.endswith("/suggest/event") and r.request.method == "POST"
    ) as answered:
        page.keyboard.press("Enter")
    assert answered.value.status == 204
    expect(items.locator("[role=status]")).to_be_visible()

    session = DeflectionSession.objects.get(brand=brand)
    assert session.suggested_at is not None
    assert session.answered_at is not None
    assert session.request_sent_at is None
    assert set(session.events.values_list("kind", flat=True)) == {
        DeflectionEventKind.SHOWN, DeflectionEventKind.OPENED, DeflectionEventKind.ANSWERED
    }

    # A person is still one click away, and the chat is counted against the visit.
    page.locator(f"{WIDGET} .panel button.primary").click()
    expect(page.locator(f"{WIDGET} #sd-compose")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    chat = Chat.objects.get(conversation__brand=brand)
    after_chat = DeflectionSession.objects.get(pk=session.pk)
    assert after_chat.request_sent_at is not None
    assert after_chat.conversation_id == chat.conversation_id
