"""The customer portal through the real server and browser: sign-in by emailed link, the
request list and timeline, replying, signed status links, the contact form and access."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from django.urls import reverse
from helpers import (
    captured_mail,
    create_customer_conversation,
    create_desk,
    create_web_form_inbox,
    sign_in_customer,
)
from playwright.sync_api import BrowserContext, expect

from storedesk.conversations.enums import ConversationStatus, MessageKind
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, message_reply, note_add
from storedesk.conversations.status_links import status_token_make
from storedesk.customers.models import MagicLink

REPLY = "A new shade is on its way, tracking 88412."
NOTE = "Internal: regular customer, be generous."
LINK = re.compile(r"https?://\S+/portal/signin/[^/\s]+/\S*")


def test_customer_signs_in_by_mail_reads_and_replies(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_desk(agent_names=["Anna Berg"])
    (anna,) = desk.agents
    conversation = create_customer_conversation(
        inbox=desk.inbox, subject="Lamp arrived broken", text="The shade is cracked."
    )
    message_reply(conversation=conversation, author=anna, content=MessageContent(text=REPLY))
    note_add(conversation=conversation, author=anna, content=MessageContent(text=NOTE))
    someone_else = create_customer_conversation(
        inbox=desk.inbox, subject="Someone else's parcel", text="Not Kim's business."
    )
    email = conversation.customer.primary_email
    page = new_context().new_page()

    # Request a link; it arrives by mail.
    page.goto("/portal/signin/")
    page.fill("input[name=email]", email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text(f"we sent you a link to {email}")
    mail = captured_mail(to=email, body_matching=LINK)
    found = LINK.search(mail.body)
    assert found, mail.body
    link = urlsplit(found.group(0))
    assert MagicLink.objects.filter(customer=conversation.customer, used_at__isnull=True).count() \
        == 1

    # Opening the link only asks; pressing the button signs in and uses the link up.
    page.goto(f"{link.path}?{link.query}" if link.query else link.path)
    expect(page.locator("h1")).to_have_text("Continue to your requests")
    assert MagicLink.objects.get(customer=conversation.customer).used_at is None
    page.locator("main form").get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/requests/")
    assert MagicLink.objects.get(customer=conversation.customer).used_at is not None

    # The list: their one request, pending in agents' terms, "awaiting your reply" in theirs.
    items = page.locator(".p-list__item")
    expect(items).to_have_count(1)
    expect(items.locator(".p-list__subject")).to_have_text("Lamp arrived broken")
    expect(items.locator(".p-badge")).to_have_text("Awaiting your reply")
    expect(page.locator("main")).not_to_contain_text("Someone else's parcel")

    # The request: the agent's reply, never the internal note.
    items.click()
    page.wait_for_url(f"**/portal/requests/{conversation.number}/")
    timeline = page.locator(".p-timeline")
    expect(timeline.locator(".p-message")).to_have_count(2)
    expect(timeline.locator(".p-message--agent")).to_contain_text(REPLY)
    expect(page.locator("body")).not_to_contain_text(NOTE)
    assert NOTE not in page.content()

    # Replying: it appears, and the conversation gets the message and reopens.
    page.fill("textarea[name=message]", "Thanks! Does it fit the old base?")
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url(re.compile(rf"/portal/requests/{conversation.number}/#message-\d+$"))
    expect(page.locator(".p-flash")).to_have_text("Thanks, your reply was sent.")
    expect(timeline.locator(".p-message")).to_have_count(3)
    expect(timeline.locator(".p-message--customer").last).to_contain_text(
        "Thanks! Does it fit the old base?"
    )
    expect(page.locator(".p-pagehead .p-badge")).to_have_text("Open")
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    last = conversation.messages.order_by("sequence").last()
    assert last is not None
    assert (last.kind, last.text, last.author_customer_id) == (
        MessageKind.INBOUND, "Thanks! Does it fit the old base?", conversation.customer_id
    )
    screenshot(page)

    # Another customer's number, typed into the URL: not found, and nothing of theirs shown.
    response = page.goto(f"/portal/requests/{someone_else.number}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).to_contain_text(re.compile("not found", re.IGNORECASE))
    expect(page.locator("body")).not_to_contain_text("Not Kim's business.")


def test_status_link_works_signed_out(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_desk(agent_names=["Anna Berg"])
    (anna,) = desk.agents
    conversation = create_customer_conversation(
        inbox=desk.inbox, subject="Where is my order?", text="Ordered ten days ago."
    )
    message_reply(conversation=conversation, author=anna, content=MessageContent(text=REPLY))
    note_add(conversation=conversation, author=anna, content=MessageContent(text=NOTE))
    page = new_context().new_page()

    page.goto(reverse("portal:status", kwargs={"token": status_token_make(conversation)}))
    expect(page.locator("h1")).to_have_text("Where is my order?")
    expect(page.locator(".p-pagehead")).to_contain_text(f"Request #{conversation.number}")
    expect(page.locator(".p-pagehead .p-badge")).to_have_text("Awaiting your reply")
    expect(page.locator(".p-timeline")).to_contain_text("Ordered ten days ago.")
    expect(page.locator(".p-timeline")).to_contain_text(REPLY)
    expect(page.locator("body")).not_to_contain_text(NOTE)
    expect(page.get_by_role("link", name="Sign in to reply")).to_be_visible()
    screenshot(page)

    # A tampered token is refused.
    response = page.goto(reverse("portal:status", kwargs={"token": "x" + status_token_make(
        conversation)}))
    assert response is not None
    assert response.status == 404


def test_contact_form_creates_a_request_and_ignores_the_honeypot(
    new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path]
) -> None:
    desk = create_desk(agent_names=["Anna Berg"])
    web_form = create_web_form_inbox(inbox=desk.inbox)
    contact_path = reverse("portal:brand_contact", kwargs={"brand_slug": web_form.brand.slug})
    page = new_context().new_page()

    page.goto(contact_path)
    expect(page.locator("h1")).to_have_text(f"Contact {web_form.brand.name}")
    page.fill("input[name=name]", "Sam Reed")
    page.fill("input[name=email]", "sam.reed@example.com")
    page.fill("input[name=subject]", "Chair leg wobbles")
    page.fill("textarea[name=message]", "One leg of my new chair wobbles.")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/portal/contact/thanks/*/")
    expect(page.locator("h1")).to_have_text("Thanks, we received your request")
    created = Conversation.objects.get(subject="Chair leg wobbles")
    expect(page.locator(".p-lead")).to_have_text(f"Your request number is #{created.number}.")
    assert created.inbox_id == web_form.pk
    assert created.status == ConversationStatus.NEW
    assert created.customer.primary_email == "sam.reed@example.com"
    assert created.customer.name == "Sam Reed"
    assert list(created.messages.values_list("kind", "text")) == [
        (MessageKind.INBOUND, "One leg of my new chair wobbles.")
    ]
    screenshot(page)
    # Its status link, shown on the page, opens the request.
    page.locator(".p-copy a").click()
    expect(page.locator("h1")).to_have_text("Chair leg wobbles")

    # A bot fills the hidden field: it is thanked, and nothing is written.
    bot = new_context().new_page()
    bot.goto(contact_path)
    honeypot = bot.locator("input[name=website]")
    # Off-screen for people (and hidden from screen readers), still there for bots.
    box = honeypot.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 0
    expect(bot.locator(".p-hp")).to_have_attribute("aria-hidden", "true")
    bot.fill("input[name=name]", "Spam Bot")
    bot.fill("input[name=email]", "bot@spam.example")
    bot.fill("input[name=subject]", "Cheap watches")
    bot.fill("textarea[name=message]", "Buy now.")
    honeypot.fill("http://spam.example")
    bot.get_by_role("button", name="Send request").click()
    expect(bot.locator("h1")).to_have_text("Thanks, we received your request")
    expect(bot.locator(".p-lead")).to_have_text("We'll answer by email.")
    assert not Conversation.objects.filter(subject="Cheap watches").exists()
    assert not Conversation.objects.filter(customer__identities__value="bot@spam.example").exists()


def test_signed_in_customer_cannot_open_another_customers_request(
    new_context: Callable[..., BrowserContext],
) -> None:
    desk = create_desk(agent_names=["Anna Berg"])
    mine = create_customer_conversation(inbox=desk.inbox, subject="Mine", text="My parcel.")
    theirs = create_customer_conversation(
        inbox=desk.inbox, subject="Private matter", text="Secret address 12."
    )
    page = new_context().new_page()
    sign_in_customer(page, mine.customer)

    response = page.goto(f"/portal/requests/{theirs.number}/")
    assert response is not None
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("Private matter")
    expect(page.locator("body")).not_to_contain_text("Secret address 12.")
    # Their own still opens.
    response = page.goto(f"/portal/requests/{mine.number}/")
    assert response is not None
    assert response.status == 200
