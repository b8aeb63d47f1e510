"""An agent's day in the workspace, through the real server and browser: sign-in, the inbox
and its filters, a conversation (reply, note, status, snooze) and keyboard shortcuts."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from helpers import create_customer_conversation, create_desk, wait_for_htmx_idle
from playwright.sync_api import BrowserContext, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from storedesk.accounts.tests.factories import PASSWORD
from storedesk.conversations.enums import ConversationStatus, MessageKind
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.changes import conversation_assign, conversation_transition

ROWS = "#conversation-list .conv-row"


def _row_numbers(page: Page) -> list[int]:
    values: list[str] = page.eval_on_selector_all(
        ROWS, "rows => rows.map(row => row.dataset.number)"
    )
    return [int(value) for value in values]


def _view_link(page: Page, label: str) -> Locator:
    """A status view in the sidebar, by its exact label."""
    return page.locator(".sidenav-link").filter(has=page.get_by_text(label, exact=True))


def _current_row(page: Page) -> int:
    current = page.locator(f"{ROWS}.is-current")
    expect(current).to_have_count(1)
    return int(current.get_attribute("data-number") or 0)


def _snooze_for_an_hour(page: Page) -> None:
    """Open the header's Snooze menu and pick "In 1 hour".

    The socket's echo of an earlier change may re-render the header (closing the menu)
    between the two clicks; then the menu is opened again.
    """
    header = page.locator("#conversation-header")
    for _attempt in range(3):
        wait_for_htmx_idle(page)
        header.locator(".conv-actions summary", has_text="Snooze").click()
        try:
            header.locator("button[name=preset][value=hour]").click(timeout=2_000)
        except PlaywrightTimeoutError:
            continue
        return
    raise AssertionError("the Snooze menu kept closing")


def test_agent_works_the_inbox_and_a_conversation(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_desk(agent_names=["Anna Berg", "Bo Ek"])
    anna, bo = desk.agents
    other = create_desk(agent_names=["Cleo Dahl"])
    lamp = create_customer_conversation(
        inbox=desk.inbox, subject="Lamp arrived broken", text="The shade is cracked."
    )
    size = create_customer_conversation(
        inbox=desk.inbox, subject="Wrong size shipped", text="I ordered a medium."
    )
    conversation_assign(conversation=size, assignee=bo, actor=bo)
    refund = create_customer_conversation(
        inbox=desk.inbox, subject="Refund for order 4471", text="Please refund my order."
    )
    conversation_transition(conversation=refund, status=ConversationStatus.PENDING, actor=anna)
    gift = create_customer_conversation(
        inbox=desk.inbox, subject="Gift card code missing", text="No code in the email."
    )
    secret = create_customer_conversation(
        inbox=other.inbox, subject="Other team parcel 4471", text="Only Cleo's team sees this."
    )
    page = new_context().new_page()

    # A wrong password is refused on the page, and nobody is signed in.
    page.goto("/accounts/login/")
    page.fill("input[name=login]", anna.username)
    page.fill("input[name=password]", "not-the-password")
    page.click("form button[type=submit]")
    expect(page.locator(".alert-error")).to_have_text(
        "That username or email and password do not match."
    )
    assert page.url.endswith("/accounts/login/")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/conversations/$"))

    # Open view: the team's new and open conversations, newest first; not the other team's.
    expect(page.locator("#inbox-title")).to_have_text("Open")
    expect(page.locator(ROWS)).to_have_count(3)
    assert _row_numbers(page) == [gift.number, size.number, lamp.number]
    expect(page.locator("#conversation-list")).not_to_contain_text(secret.subject)
    open_count = _view_link(page, "Open").locator(".count")
    expect(open_count).to_have_text("3")

    # By status: the sidebar's Pending view.
    _view_link(page, "Pending").click()
    page.wait_for_url(re.compile(r"status=pending"))
    expect(page.locator("#inbox-title")).to_have_text("Pending")
    expect(page.locator(ROWS)).to_have_count(1)
    assert _row_numbers(page) == [refund.number]

    # By assignee: unassigned among the open ones (Bo has "Wrong size shipped").
    _view_link(page, "Open").click()
    page.wait_for_url(re.compile(r"status=open"))
    page.select_option("#filter-bar select[name=assignee]", "unassigned")
    page.wait_for_url(re.compile(r"assignee=unassigned"))
    expect(page.locator(ROWS)).to_have_count(2)
    assert _row_numbers(page) == [gift.number, lamp.number]

    # Search (every status): the order number finds one conversation, not the other team's.
    page.fill("#global-search", "4471")
    page.press("#global-search", "Enter")
    page.wait_for_url(re.compile(r"q=4471"))
    expect(page.locator(".search-summary")).to_contain_text("Results for “4471”")
    expect(page.locator(ROWS)).to_have_count(1)
    assert _row_numbers(page) == [refund.number]
    expect(page.locator("#conversation-list")).not_to_contain_text(secret.subject)
    # Another team's conversation is not found by its number either.
    assert page.goto(f"/conversations/{secret.number}/").status == 404  # type: ignore[union-attr]

    # j/k move the selection through the list; o opens the selected conversation.
    page.goto("/conversations/")
    expect(page.locator(ROWS)).to_have_count(3)
    page.keyboard.press("j")
    assert _current_row(page) == gift.number
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert _current_row(page) == lamp.number
    page.keyboard.press("j")  # stays on the last row
    assert _current_row(page) == lamp.number
    page.keyboard.press("k")
    assert _current_row(page) == size.number
    page.keyboard.press("j")
    assert _current_row(page) == lamp.number
    # A live refresh (what the socket asks for when a conversation changes) re-renders the
    # list: the new conversation is added on top, and the selection stays on its row.
    parcel = create_customer_conversation(
        inbox=desk.inbox, subject="Parcel stuck in customs", text="Since Monday."
    )
    page.evaluate("document.body.dispatchEvent(new CustomEvent('storedesk:list-changed'))")
    expect(page.locator(ROWS).first).to_have_attribute("data-number", str(parcel.number))
    assert _current_row(page) == lamp.number
    expect(page.locator(f"{ROWS}.is-current .conv-link")).to_be_focused()
    page.keyboard.press("k")
    assert _current_row(page) == size.number
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(re.compile(rf"/conversations/{lamp.number}/"))
    header = page.locator("#conversation-header")
    expect(header.locator(".conv-title")).to_have_text(f"#{lamp.number} Lamp arrived broken")
    expect(header.locator(".badge--status")).to_have_text("New")
    expect(page.locator("#timeline")).to_contain_text("The shade is cracked.")

    # r focuses the reply box; the reply appears and the conversation becomes pending.
    reply_box = page.locator("#reply-form textarea")
    expect(reply_box).not_to_be_focused()
    page.keyboard.press("r")
    expect(reply_box).to_be_focused()
    page.keyboard.type("A new shade is on its way.")
    page.locator("#reply-form button[type=submit]").click()
    outbound = page.locator("#timeline .message--outbound")
    expect(outbound).to_have_count(1)
    expect(outbound).to_contain_text("A new shade is on its way.")
    # The worker sends it through the outbox; the status changes in place, without a reload.
    expect(outbound.locator(".delivery")).to_have_text("Sent", timeout=20_000)
    expect(header.locator(".badge--status")).to_have_text("Pending")
    expect(page.locator("#reply-form textarea")).to_have_value("")
    lamp.refresh_from_db()
    assert lamp.status == ConversationStatus.PENDING
    assert lamp.assignee_id == anna.pk  # replying takes an unassigned conversation
    assert list(lamp.messages.filter(kind=MessageKind.OUTBOUND).values_list("text", flat=True)) \
        == ["A new shade is on its way."]

    # An internal note is shown as a note.
    wait_for_htmx_idle(page)
    page.locator("[data-composer-tab=note]").click()
    page.locator("#note-form textarea").fill("Regular customer, be generous.")
    page.locator("#note-form button[type=submit]").click()
    note = page.locator("#timeline .message--note")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Regular customer, be generous.")
    expect(note.locator(".message-kind")).to_have_text("internal note")
    assert list(lamp.messages.filter(kind=MessageKind.NOTE).values_list("text", flat=True)) \
        == ["Regular customer, be generous."]

    # The header's status control.
    wait_for_htmx_idle(page)
    page.select_option("#prop-status", "open")
    expect(header.locator(".badge--status")).to_have_text("Open")
    wait_for_htmx_idle(page)
    lamp.refresh_from_db()
    assert lamp.status == ConversationStatus.OPEN

    # Snooze for an hour: it leaves the Open view and waits under Snoozed.
    _snooze_for_an_hour(page)
    expect(header.locator(".badge--snoozed")).to_contain_text("Snoozed until")
    lamp.refresh_from_db()
    assert lamp.snoozed_until is not None
    assert timedelta(minutes=55) < lamp.snoozed_until - timezone.now() <= timedelta(hours=1)
    assert lamp.status == ConversationStatus.OPEN
    screenshot(page)

    page.goto("/conversations/?status=open")
    expect(page.locator(ROWS)).to_have_count(3)
    assert _row_numbers(page) == [parcel.number, gift.number, size.number]
    _view_link(page, "Snoozed").click()
    page.wait_for_url(re.compile(r"status=snoozed"))
    expect(page.locator("#inbox-title")).to_have_text("Snoozed")
    expect(page.locator(ROWS)).to_have_count(1)
    assert _row_numbers(page) == [lamp.number]
    assert set(
        Conversation.objects.filter(inbox=desk.inbox).values_list("status", flat=True)
    ) == {ConversationStatus.NEW, ConversationStatus.PENDING, ConversationStatus.OPEN}
