"""Acknowledgements of new conversations (loop-safe), and bounces in the agents' timeline."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.enums import ConversationStatus, DeliveryStatus, EventType
from storedesk.conversations.models import Conversation, ConversationEvent, Message
from storedesk.conversations.services.delivery import message_bounce_record
from storedesk.conversations.services.messages import MessageContent, message_reply
from storedesk.conversations.status_links import status_token_read
from storedesk.conversations.tests.factories import create_conversation
from storedesk.core.tests.shared_data import shared_data_dir, shared_data_files
from storedesk.customers.services import customer_set_blocked
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.autoreply_send import auto_reply_build, auto_reply_send
from storedesk.mail.enums import IntakeSource, OutboundKind, RawEmailKind, RawEmailState
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import OutboundEmail, ReplyToken
from storedesk.mail.tests.factories import (
    create_outbound_email,
    make_dsn,
    make_raw_email,
    receive_and_process,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONDAY_1500 = datetime(2026, 3, 16, 15, tzinfo=STOCKHOLM)
_STATUS_LINK = re.compile(r"https?://\S+/portal/status/([^/\s]+)/")

pytestmark = pytest.mark.django_db


# A real envelope sender: mail from the null sender (MAIL FROM:<>) is never answered.
KIM = "kim@example.com"


def acknowledgements() -> list[OutboundEmail]:
    return list(OutboundEmail.objects.filter(kind=OutboundKind.AUTO_REPLY).order_by("pk"))


def parsed_mail(outbound: OutboundEmail) -> EmailMessage:
    return message_from_bytes(bytes(auto_reply_build(outbound).raw), policy=policy.default)


def text_of(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return cast(str, body.get_content()).replace("\r\n", "\n")


# --- a new email conversation ------------------------------------------------------------------


def test_new_email_conversation_gets_one_threaded_acknowledgement(email_inbox: Inbox) -> None:
    create_customer(email="kim@example.com", name="Kim Lee", language="sv")

    receive_and_process(make_raw_email(message_id="<first@example.com>"), envelope_from=KIM)

    conversation = Conversation.objects.get()
    (outbound,) = acknowledgements()
    assert outbound.conversation == conversation
    assert outbound.recipients == ["kim@example.com"]
    assert outbound.recipient_key == "kim@example.com"
    mail = parsed_mail(outbound)
    token = ReplyToken.objects.get(conversation=conversation).token
    assert mail["To"] == "kim@example.com"
    assert mail["From"] == f"{conversation.brand.name} <support@shop.example>"
    assert mail["Reply-To"] == f"support+{token}@shop.example"
    assert mail["In-Reply-To"] == "<first@example.com>"
    assert mail["References"] == "<first@example.com>"
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["X-Auto-Response-Suppress"] == "All"
    assert mail["Subject"].startswith(f"[#{conversation.number}] Vi har tagit emot ditt ärende")
    text = text_of(mail)
    assert f"registrerats med nummer {conversation.number}" in text
    assert re.search(r"Vi svarar senast \w+dag \d\d:\d\d\.", text)
    link = _STATUS_LINK.search(text)
    assert link is not None
    assert status_token_read(link.group(1)) == (conversation.number, conversation.customer_id)


def test_promised_time_follows_the_controlled_clock(email_inbox: Inbox) -> None:
    customer = create_customer(email="kim@example.com", language="en")
    conversation = create_conversation(inbox=email_inbox, customer=customer)

    # No schedule: 24/7, and without a target the default 24 hours.
    outbound = auto_reply_send(conversation=conversation, now=MONDAY_1500)

    assert outbound is not None
    assert "We will answer by Tuesday 15:00." in text_of(parsed_mail(outbound))


def test_a_reply_to_an_existing_conversation_gets_none(email_inbox: Inbox) -> None:
    receive_and_process(make_raw_email(message_id="<first@example.com>"), envelope_from=KIM)
    (first,) = acknowledgements()

    receive_and_process(
        make_raw_email(
            subject="Re: Where is my order?",
            in_reply_to=first.header_message_id,
            references=[first.header_message_id],
        ),
        envelope_from=KIM,
    )

    assert Conversation.objects.count() == 1
    assert Conversation.objects.get().messages.count() == 2
    assert acknowledgements() == [first]


def test_at_most_one_acknowledgement_per_conversation(email_inbox: Inbox) -> None:
    conversation = create_conversation(inbox=email_inbox)

    first = auto_reply_send(conversation=conversation)
    second = auto_reply_send(conversation=conversation)

    assert first is not None
    assert second is None
    assert acknowledgements() == [first]


def test_the_intakes_verdict_on_the_mail_decides_automatic(email_inbox: Inbox) -> None:
    """Intake passes the kind it has just classified; an automatic one is never answered."""
    raw = make_raw_email(message_id="<verdict@example.com>")
    raw_email = raw_email_receive(
        raw=raw, source=IntakeSource.SMTP, recipients=["support@shop.example"],
        envelope_from="kim@example.com",
    )
    conversation = create_conversation(inbox=email_inbox)

    skipped = auto_reply_send(
        conversation=conversation, raw_email=raw_email, kind=RawEmailKind.AUTO_REPLY
    )
    sent = auto_reply_send(
        conversation=conversation, raw_email=raw_email, kind=RawEmailKind.PERSONAL
    )

    assert skipped is None
    assert sent is not None
    assert acknowledgements() == [sent]


# --- never to machines -------------------------------------------------------------------------


@pytest.mark.parametrize("path", shared_data_files("emails/autoreply"))
def test_real_auto_replies_get_none(email_inbox: Inbox, path: Path) -> None:
    raw_email = receive_and_process(path.read_bytes(), envelope_from="sender@example.org")

    assert raw_email.kind == RawEmailKind.AUTO_REPLY
    # Kept as a conversation (it may say "call me on ..."), but never answered.
    assert Conversation.objects.count() == 1
    assert OutboundEmail.objects.count() == 0


def test_the_corpus_is_there() -> None:
    assert len(list((shared_data_dir() / "emails" / "autoreply").glob("*.eml"))) == 6


@pytest.mark.parametrize(
    ("raw", "envelope_from"),
    [
        pytest.param(make_raw_email(), "<>", id="null-envelope-sender"),
        pytest.param(make_raw_email(), "", id="smtp-without-envelope-sender"),
        pytest.param(make_raw_email(from_="noreply@example.com"), "x@example.com", id="noreply"),
        pytest.param(
            make_raw_email(from_="no-reply+7@example.com"), "x@example.com", id="no-reply"
        ),
        pytest.param(make_raw_email(from_="DoNotReply@example.com"), "x@example.com", id="dnr"),
        pytest.param(make_raw_email(from_="bounces-42@example.com"), "x@example.com", id="bounces"),
        pytest.param(
            make_raw_email(from_="mailer-daemon@example.com", subject="Hello"),
            "x@example.com",
            id="mailer-daemon",
        ),
        pytest.param(make_raw_email(from_="postmaster@example.com"), "x@example.com", id="pm"),
    ],
)
def test_machine_senders_get_none(email_inbox: Inbox, raw: bytes, envelope_from: str) -> None:
    receive_and_process(raw, envelope_from=envelope_from)

    assert Conversation.objects.count() == 1
    assert OutboundEmail.objects.count() == 0


def test_our_own_address_gets_none(email_inbox: Inbox) -> None:
    create_inbox(brand=email_inbox.brand, address="sales@shop.example")

    receive_and_process(make_raw_email(from_="Sales <sales@shop.example>"), envelope_from=KIM)

    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        pytest.param("support@shop.example", "our_address", id="inbox-address"),
        pytest.param("Support+TOKEN@Shop.Example", "our_address", id="plus-address"),
        pytest.param("desk@shop.example", "our_address", id="brand-sender"),
        pytest.param("no_reply@example.com", "machine_sender", id="no_reply"),
        pytest.param("nobody", "no_address", id="no-address"),
    ],
)
def test_skipped_recipients_are_logged(
    email_inbox: Inbox, address: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    conversation = create_conversation(inbox=email_inbox)

    with caplog.at_level(logging.INFO, logger="storedesk.mail.autoreply_send"):
        outbound = auto_reply_send(conversation=conversation, recipient=address)

    assert outbound is None
    assert OutboundEmail.objects.count() == 0
    (record,) = [r for r in caplog.records if r.getMessage() == "mail.autoreply.skipped"]
    assert record.__dict__["reason"] == reason


def test_a_blocked_customer_gets_none(email_inbox: Inbox) -> None:
    customer = create_customer(email="kim@example.com")
    customer_set_blocked(customer=customer, is_blocked=True)

    receive_and_process(make_raw_email(), envelope_from=KIM)

    assert Conversation.objects.get().status == ConversationStatus.SPAM
    assert OutboundEmail.objects.count() == 0


# --- the loop with an auto-responder that answers everything -----------------------------------


def responder_answer(acknowledgement: OutboundEmail, n: int) -> bytes:
    """What a robot that answers everything sends back: no thread headers, no [#number]."""
    ack = parsed_mail(acknowledgement)
    subject = re.sub(r"\[#\d+\]\s*", "", ack["Subject"])
    quoted = "\n".join(f"> {line}" for line in text_of(ack).splitlines())
    return make_raw_email(
        from_="Robot <robot@example.net>",
        subject=f"Re: {subject} ({n})",
        body=f"Thank you for your message.\n\n{quoted}",
    )


def test_a_loop_with_an_auto_responder_stops_at_the_limit(email_inbox: Inbox) -> None:
    receive_and_process(make_raw_email(from_="robot@example.net"), envelope_from="r@example.net")
    answered = acknowledgements()[-1]

    for n in range(15):
        receive_and_process(responder_answer(answered, n), envelope_from="robot@example.net")
        answered = acknowledgements()[-1]

    assert Conversation.objects.count() == 16
    assert len(acknowledgements()) == 10
    assert {a.recipient_key for a in acknowledgements()} == {"robot@example.net"}

    later = timezone.now() + timedelta(hours=3, minutes=1)
    conversation = Conversation.objects.order_by("-pk").first()
    assert conversation is not None
    assert auto_reply_send(conversation=conversation, recipient="robot@example.net") is None
    assert (
        auto_reply_send(conversation=conversation, recipient="robot@example.net", now=later)
        is not None
    )
    assert len(acknowledgements()) == 11


@override_settings(AUTO_REPLY_LIMIT=2, AUTO_REPLY_WINDOW_SECONDS=60)
def test_the_limit_and_window_are_read_at_call_time(email_inbox: Inbox) -> None:
    customer = create_customer(email="kim@example.com")
    conversations = [create_conversation(inbox=email_inbox, customer=customer) for _ in range(4)]
    now = timezone.now()

    sent = [auto_reply_send(conversation=c, now=now) is not None for c in conversations[:3]]
    after_window = auto_reply_send(conversation=conversations[3], now=now + timedelta(seconds=61))

    assert sent == [True, True, False]
    assert after_window is not None


# --- the contact form --------------------------------------------------------------------------


def test_contact_form_acknowledges_with_a_copy(db: None) -> None:
    brand = create_brand_with_web_form()
    form = {
        "name": "Ada Lovelace",
        "email": "Ada@Example.com",
        "subject": "Broken lamp",
        "message": "The shade arrived cracked.\nPlease send a new one.",
        "website": "",
    }

    Client().post(reverse("portal:brand_contact", kwargs={"brand_slug": brand.slug}), form)

    conversation = Conversation.objects.get()
    (outbound,) = acknowledgements()
    assert outbound.conversation == conversation
    assert outbound.recipients == ["ada@example.com"]
    mail = parsed_mail(outbound)
    assert mail["From"] == brand.from_email
    assert mail["Reply-To"] is None
    assert mail["In-Reply-To"] is None
    assert mail["Subject"] == f"[#{conversation.number}] We have received your request: Broken lamp"
    text = text_of(mail)
    assert "This is what you sent us:" in text
    assert "> The shade arrived cracked.\n> Please send a new one." in text
    assert f"number {conversation.number}" in text
    assert "/portal/status/" in text


def create_brand_with_web_form() -> Brand:
    brand = create_brand(name="Lamp Shop")
    create_inbox(brand=brand, name="Contact form", channel=Channel.WEB_FORM)
    return brand


# --- bounces -----------------------------------------------------------------------------------


def test_a_bounced_reply_shows_in_the_timeline(email_inbox: Inbox, agent: User) -> None:
    conversation = create_conversation(inbox=email_inbox)
    reply = message_reply(conversation=conversation, author=agent, content=MessageContent("Hi"))
    create_outbound_email(
        conversation=conversation, message=reply, header_message_id="<reply-9@storedesk.invalid>"
    )

    raw_email = receive_and_process(
        make_dsn(original_message_id="<reply-9@storedesk.invalid>"), envelope_from="<>"
    )

    assert (raw_email.state, raw_email.kind) == (RawEmailState.IGNORED, RawEmailKind.BOUNCE)
    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.BOUNCED
    event = ConversationEvent.objects.get(type=EventType.MESSAGE_BOUNCED)
    assert event.conversation == conversation
    assert event.actor is None
    assert event.data == {
        "recipient": "kim@example.com",
        "status": "5.1.1",
        "diagnostic": "550 5.1.1 user unknown",
        "is_permanent": True,
        "message_sequence": reply.sequence,
        "reason": "550 5.1.1 user unknown",
    }
    html = render_to_string("conversations/partials/_event.html", {"event": event})
    assert "Delivery to kim@example.com failed: 550 5.1.1 user unknown" in html
    assert f'href="#entry-{reply.sequence}"' in html
    with translation.override("sv"):
        swedish = render_to_string("conversations/partials/_event.html", {"event": event})
    assert "Leveransen till kim@example.com misslyckades: 550 5.1.1 user unknown" in swedish


def test_the_same_bounce_twice_records_one_event(email_inbox: Inbox, agent: User) -> None:
    conversation = create_conversation(inbox=email_inbox)
    reply = message_reply(conversation=conversation, author=agent, content=MessageContent("Hi"))
    details = {"recipient": "kim@example.com", "status": "5.1.1", "diagnostic": "user unknown"}

    first = message_bounce_record(message=reply, details=details)
    second = message_bounce_record(message=reply, details=details)

    assert (first, second) == (True, False)
    event = ConversationEvent.objects.get(type=EventType.MESSAGE_BOUNCED)
    assert event.data["reason"] == "5.1.1 user unknown"
    assert Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.BOUNCED
