"""Every screen in every language: `<html lang>`, a translated label, and a screenshot
(test-artifacts/screenshots/<screen>-<lang>.png) for people to look at.

Expected text comes from the compiled catalogues (gettext under translation.override), so
translators can change wording without breaking these tests; test_core_labels_are_translated
is the one that says whether the catalogues are complete for a handful of core labels.
Compile first: `.venv/bin/storedesk compile_translations`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from helpers import (
    create_customer_conversation,
    create_desk,
    create_web_form_inbox,
    sign_in,
    sign_in_customer,
)
from playwright.sync_api import BrowserContext, Page, expect

from storedesk.accounts.models import User
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, message_reply, note_add
from storedesk.conversations.status_links import status_token_make

LANGUAGES = ["en", "sv", "ru", "zh-hans"]
AGENT_NAMES = {"en": "Emma Stone", "sv": "Sven Berg", "ru": "Ivan Petrov", "zh-hans": "Li Wei"}
# Labels every screen leans on; a catalogue missing one of these is not ready.
CORE_LABELS = [
    "Open", "Pending", "Snoozed", "Solved", "Unassigned", "Send reply", "Internal note",
    "Sign in", "Sign in to your workspace", "Profile and preferences", "My requests",
    "Sign in to see your requests", "Send request", "Sign in to reply", "Reply",
    "Awaiting your reply", "Keyboard shortcuts", "Search conversations",
]


def _(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)


@dataclass(frozen=True)
class Scene:
    agents: dict[str, User]
    conversation: Conversation
    contact_path: str


@pytest.fixture(scope="module")
def scene(live_url: str) -> Scene:
    # Distinct first names: create_desk makes usernames from them.
    desk = create_desk(agent_names=[AGENT_NAMES[language] for language in LANGUAGES])
    agents = dict(zip(LANGUAGES, desk.agents, strict=True))
    for language, agent in agents.items():
        agent.language = language
        agent.save(update_fields=["language"])
    conversation = create_customer_conversation(
        inbox=desk.inbox, subject="Lamp arrived broken",
        text="The shade is cracked. Could you send a new one?",
    )
    message_reply(
        conversation=conversation, author=agents["en"],
        content=MessageContent(text="A new shade is on its way."),
    )
    note_add(
        conversation=conversation, author=agents["en"],
        content=MessageContent(text="Regular customer."),
    )
    # Still open, so the inbox's default view has rows to show.
    for subject, text in [
        ("Wrong size shipped", "I ordered a medium and got a small."),
        ("Refund for order 4471", "Please refund the second lamp."),
        ("Gift card code missing", "There was no code in the email."),
    ]:
        create_customer_conversation(inbox=desk.inbox, subject=subject, text=text)
    web_form = create_web_form_inbox(inbox=desk.inbox)
    return Scene(
        agents=agents, conversation=conversation,
        contact_path=reverse("portal:brand_contact", kwargs={"brand_slug": web_form.brand.slug}),
    )


# Signed-in browser state, kept for the module so each screen does not sign in again.
_states: dict[str, Any] = {}


@pytest.fixture
def agent_page(
    scene: Scene, new_context: Callable[..., BrowserContext]
) -> Callable[[str], Page]:
    def open_as(language: str) -> Page:
        key = f"agent-{language}"
        if key not in _states:
            page = new_context().new_page()
            sign_in(page, scene.agents[language].username)
            _states[key] = page.context.storage_state()
            page.context.close()
        return new_context(storage_state=_states[key]).new_page()

    return open_as


@pytest.fixture
def customer_page(scene: Scene, new_context: Callable[..., BrowserContext]) -> Page:
    if "customer" not in _states:
        page = new_context().new_page()
        sign_in_customer(page, scene.conversation.customer)
        _states["customer"] = page.context.storage_state()
        page.context.close()
    return new_context(storage_state=_states["customer"]).new_page()


@pytest.fixture
def guest_page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


def _check(page: Page, language: str, selector: str, msgid: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(selector)).to_have_text(_(language, msgid))


language = pytest.mark.parametrize("language", LANGUAGES)


@pytest.mark.parametrize("language", ["sv", "ru", "zh-hans"])
def test_core_labels_are_translated(language: str) -> None:
    missing = [msgid for msgid in CORE_LABELS if _(language, msgid) == msgid]
    assert not missing, f"untranslated in {language}: {missing}"


@language
def test_sign_in_page(
    language: str, guest_page: Page, live_url: str, screenshot: Callable[..., Path]
) -> None:
    # Nobody is signed in yet: the language cookie the page's own switcher sets decides.
    guest_page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_url}]
    )
    guest_page.goto("/accounts/login/")
    _check(guest_page, language, ".auth-title", "Sign in to your workspace")
    _check(guest_page, language, "form button[type=submit]", "Sign in")
    screenshot(guest_page, language)


@language
def test_inbox_page(
    language: str, scene: Scene, agent_page: Callable[[str], Page],
    screenshot: Callable[..., Path],
) -> None:
    page = agent_page(language)
    page.goto("/conversations/")
    _check(page, language, "#inbox-title", "Open")
    _check(page, language, ".sidenav-link.is-active > span:first-child", "Open")
    expect(page.locator("#conversation-list .conv-row")).to_have_count(3)
    screenshot(page, language)


@language
def test_conversation_page(
    language: str, scene: Scene, agent_page: Callable[[str], Page],
    screenshot: Callable[..., Path],
) -> None:
    page = agent_page(language)
    page.goto(f"/conversations/{scene.conversation.number}/")
    _check(page, language, "#reply-form button[type=submit]", "Send reply")
    expect(page.locator("[data-composer-tab=note]")).to_contain_text(_(language, "Internal note"))
    _check(page, language, "#conversation-header .badge--status", "Pending")
    expect(page.locator("#timeline .message--note")).to_contain_text("Regular customer.")
    screenshot(page, language)


@language
def test_profile_page(
    language: str, agent_page: Callable[[str], Page], screenshot: Callable[..., Path]
) -> None:
    page = agent_page(language)
    page.goto("/accounts/profile/")
    _check(page, language, "h1.page-title", "Profile and preferences")
    screenshot(page, language)


@language
def test_portal_sign_in_page(
    language: str, scene: Scene, guest_page: Page, screenshot: Callable[..., Path]
) -> None:
    guest_page.goto(f"/portal/signin/?lang={language}")
    _check(guest_page, language, "h1", "Sign in to see your requests")
    _check(guest_page, language, "main button[type=submit]", "Email me a sign-in link")
    screenshot(guest_page, language)


@language
def test_portal_list_page(
    language: str, customer_page: Page, screenshot: Callable[..., Path]
) -> None:
    customer_page.goto(f"/portal/requests/?lang={language}")
    _check(customer_page, language, "h1", "My requests")
    _check(customer_page, language, ".p-list__item .p-badge", "Awaiting your reply")
    screenshot(customer_page, language)


@language
def test_portal_request_page(
    language: str, scene: Scene, customer_page: Page, screenshot: Callable[..., Path]
) -> None:
    customer_page.goto(f"/portal/requests/{scene.conversation.number}/?lang={language}")
    _check(customer_page, language, "#reply-title", "Reply")
    _check(customer_page, language, "#reply button[type=submit]", "Send reply")
    expect(customer_page.locator(".p-timeline")).not_to_contain_text("Regular customer.")
    screenshot(customer_page, language)


@language
def test_contact_page(
    language: str, scene: Scene, guest_page: Page, screenshot: Callable[..., Path]
) -> None:
    guest_page.goto(f"{scene.contact_path}?lang={language}")
    _check(guest_page, language, "main form button[type=submit]", "Send request")
    _check(guest_page, language, "label[for=id_subject]", "Subject")
    screenshot(guest_page, language)


@language
def test_status_page(
    language: str, scene: Scene, guest_page: Page, screenshot: Callable[..., Path]
) -> None:
    token = status_token_make(scene.conversation)
    guest_page.goto(f"{reverse('portal:status', kwargs={'token': token})}?lang={language}")
    _check(guest_page, language, ".p-detail__side a.p-button", "Sign in to reply")
    _check(guest_page, language, ".p-pagehead .p-badge", "Awaiting your reply")
    screenshot(guest_page, language)
