"""Two agents on one conversation: live replies, the collision notice, and catching up after
being offline, through the real server, websocket and browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers import (
    create_customer_conversation,
    create_desk,
    shown_sequences,
    sign_in,
    stored_sequences,
)
from playwright.sync_api import BrowserContext, Page, expect

LIVE_TIMEOUT_MS = 10_000


def _open(context: BrowserContext, username: str, path: str) -> Page:
    page = context.new_page()
    sign_in(page, username)
    page.goto(path)
    page.wait_for_function("window.storedeskLive && window.storedeskLive.connected")
    # Survives only if the page is never reloaded: updates must arrive live.
    page.evaluate("window.__sameDocument = true")
    return page


def _wait_for_htmx_idle(page: Page) -> None:
    # A control swapped in but not yet processed by htmx ignores a change made to it.
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def test_second_agent_sees_reply_live_and_catches_up_after_offline(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_desk(agent_names=["Anna Berg", "Bo Ek"])
    anna, bo = desk.agents
    conversation = create_customer_conversation(
        inbox=desk.inbox, subject="Lamp arrived broken", text="The shade is cracked."
    )
    path = f"/conversations/{conversation.number}/"
    context_b = new_context()
    page_b = _open(context_b, bo.username, path)
    page_a = _open(new_context(), anna.username, path)
    notice_b = page_b.locator("#collision-notice")

    expect(notice_b).to_have_text("Anna Berg is also viewing", timeout=LIVE_TIMEOUT_MS)
    expect(page_a.locator("#collision-notice")).to_have_text("Bo Ek is also viewing")

    reply_box = page_a.locator("#reply-form [data-presence]")
    reply_box.click()
    reply_box.fill("We are sending a new shade today.")
    expect(notice_b).to_have_text("Anna Berg is replying…", timeout=LIVE_TIMEOUT_MS)
    page_a.locator("#reply-form button[type=submit]").click()

    timeline_b = page_b.locator("#timeline")
    expect(timeline_b).to_contain_text("We are sending a new shade today.", timeout=LIVE_TIMEOUT_MS)
    conversation.refresh_from_db()
    page_b.wait_for_function(
        f"window.storedeskLive.lastSequence === {conversation.last_sequence}",
        timeout=LIVE_TIMEOUT_MS,
    )
    assert shown_sequences(page_b) == stored_sequences(conversation)

    context_b.set_offline(True)
    seen_offline = shown_sequences(page_b)
    page_a.locator("[data-composer-tab=note]").click()
    page_a.locator("#note-form [data-presence]").fill("Customer is a regular, be generous.")
    page_a.locator("#note-form button[type=submit]").click()
    expect(page_a.locator("#timeline")).to_contain_text("Customer is a regular")
    _wait_for_htmx_idle(page_a)  # the note re-renders the header; change it after that
    page_a.select_option("#prop-status", "solved")
    expect(page_a.locator("#conversation-header .badge--solved")).to_be_visible()
    conversation.refresh_from_db()
    page_a.wait_for_function(
        f"window.storedeskLive.lastSequence === {conversation.last_sequence}",
        timeout=LIVE_TIMEOUT_MS,
    )
    missed = [s for s in stored_sequences(conversation) if s > max(seen_offline)]
    assert len(missed) >= 2  # the note and the status change
    assert shown_sequences(page_b) == seen_offline

    context_b.set_offline(False)
    page_b.wait_for_function(
        f"window.storedeskLive.lastSequence === {conversation.last_sequence}",
        timeout=LIVE_TIMEOUT_MS,
    )
    assert shown_sequences(page_b) == seen_offline + missed
    # Found through the reconnect's catch-up, not a reload or a lucky event.
    assert page_b.evaluate("window.storedeskLive.lastCatchup") == missed
    expect(timeline_b).to_contain_text("Customer is a regular")
    expect(page_b.locator("#conversation-header .badge--solved")).to_be_visible()
    assert page_b.evaluate("window.__sameDocument") is True
    # Anna sent her note, so she is no longer replying; Bo learnt that when he came back.
    expect(notice_b).to_have_text("Anna Berg is also viewing")
    screenshot(page_b, "en")


def test_inbox_list_follows_a_colleague_without_reload(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_desk(agent_names=["Anna Berg", "Bo Ek"])
    anna, bo = desk.agents
    conversation = create_customer_conversation(
        inbox=desk.inbox, subject="Wrong size shipped", text="I ordered a medium."
    )
    inbox = _open(new_context(), anna.username, "/conversations/?status=open")
    rows = inbox.locator("#conversation-list")
    expect(rows).to_contain_text("Wrong size shipped")

    page_b = _open(new_context(), bo.username, f"/conversations/{conversation.number}/")
    page_b.locator("#reply-form [data-presence]").fill("A medium is on its way.")
    page_b.locator("#reply-form button[type=submit]").click()

    # Answered, so pending: it leaves Anna's open list by itself.
    expect(rows).not_to_contain_text("Wrong size shipped", timeout=LIVE_TIMEOUT_MS)
    assert inbox.evaluate("window.__sameDocument") is True
    screenshot(inbox)
