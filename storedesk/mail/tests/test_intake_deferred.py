"""Acknowledgements recorded due by intake and built when sent; rows a batch inserts at its end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError
from django.test import override_settings
from django.utils import timezone

from storedesk.conversations.enums import EventType, ParticipantRole
from storedesk.conversations.models import Conversation, ConversationEvent, Participant
from storedesk.inboxes.models import Inbox
from storedesk.mail import intake
from storedesk.mail.autoreply_send import auto_reply_send
from storedesk.mail.enums import IntakeSource, OutboundKind, OutboundState, RawEmailState
from storedesk.mail.intake_batch import InboundMail, raw_emails_take_in
from storedesk.mail.models import OutboundEmail, RawEmail, ReplyToken
from storedesk.mail.outbox_send import outbox_send_due
from storedesk.mail.tests.factories import make_raw_email
from storedesk.mail.tests.outbox_smtp import SmtpSink

pytestmark = pytest.mark.django_db




def take_in(*raws: bytes) -> None:
    raw_emails_take_in(
        mails=[
            InboundMail(raw=raw, recipients=["support@shop.example"], envelope_from="x@example.com")
            for raw in raws
        ],
        source=IntakeSource.IMAP,
    )


def test_intake_records_the_acknowledgement_due_and_the_send_builds_it_once(
    email_inbox: Inbox, smtp: SmtpSink
) -> None:
    take_in(make_raw_email(message_id="<order@example.com>"))
    due = OutboundEmail.objects.get(kind=OutboundKind.AUTO_REPLY)
    assert (bytes(due.raw), due.draft["recipient"]) == (b"", "kim@example.com")
    assert not ReplyToken.objects.exists()  # written with the words, at the send

    outbox_send_due(now=timezone.now() + timedelta(minutes=1))

    sent = OutboundEmail.objects.get(pk=due.pk)
    conversation = Conversation.objects.get()
    received = smtp.received[0].parsed()
    assert (sent.state, sent.draft, sent.mail_from) == (
        OutboundState.SENT,
        {},
        "support@shop.example",
    )
    assert smtp.received[0].content == bytes(sent.raw)
    assert received["Message-ID"] == due.header_message_id
    assert received["In-Reply-To"] == "<order@example.com>"
    assert received["Reply-To"] == f"support+{conversation.reply_token.token}@shop.example"
    assert f"[#{conversation.number}]" in received["Subject"]


def test_an_acknowledgement_of_a_deleted_conversation_fails_without_sending(
    email_inbox: Inbox, smtp: SmtpSink
) -> None:
    take_in(make_raw_email())
    Conversation.objects.all().delete()

    report = outbox_send_due(now=timezone.now() + timedelta(minutes=1))

    failed = OutboundEmail.objects.get(kind=OutboundKind.AUTO_REPLY)
    assert (report.failed, failed.state, smtp.received) == ([failed.pk], OutboundState.FAILED, [])


def test_a_batch_writes_events_requesters_and_acknowledgements_of_every_mail(
    email_inbox: Inbox,
) -> None:
    take_in(
        make_raw_email(),
        make_raw_email(from_="Sam <sam@example.net>"),
        make_raw_email(from_="Ada <ada@example.org>"),
    )

    conversations = list(Conversation.objects.order_by("pk"))
    assert len(conversations) == 3
    for conversation in conversations:
        event = ConversationEvent.objects.get(conversation=conversation)
        requester = Participant.objects.get(conversation=conversation)
        assert (event.sequence, event.type) == (1, EventType.CREATED)
        assert (requester.customer_id, requester.role) == (
            conversation.customer_id,
            ParticipantRole.REQUESTER,
        )
        assert OutboundEmail.objects.filter(conversation=conversation).count() == 1


@override_settings(AUTO_REPLY_LIMIT=2)
def test_the_rate_limit_counts_acknowledgements_of_the_same_batch(email_inbox: Inbox) -> None:
    take_in(*(make_raw_email(subject=f"Question {n}") for n in range(4)))

    assert Conversation.objects.count() == 4
    assert OutboundEmail.objects.filter(recipient_key="kim@example.com").count() == 2


def test_a_mail_that_fails_after_opening_leaves_none_of_its_rows(
    email_inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = make_raw_email(from_="Sam <sam@example.net>", subject="fails")
    def acknowledging_failing_for_sam(*, raw_email: RawEmail, **kwargs: Any) -> object:
        if bytes(raw_email.raw) == failing:
            raise DatabaseError("disk full")  # after the conversation was opened
        return auto_reply_send(raw_email=raw_email, **kwargs)

    monkeypatch.setattr(intake, "auto_reply_send", acknowledging_failing_for_sam)

    take_in(make_raw_email(), failing, make_raw_email(from_="Ada <ada@example.org>"))

    states = sorted(RawEmail.objects.values_list("state", flat=True))
    assert states == [RawEmailState.PROCESSED, RawEmailState.PROCESSED, RawEmailState.RECEIVED]
    assert Conversation.objects.count() == 2
    assert ConversationEvent.objects.count() == 2
    assert Participant.objects.count() == 2
    assert OutboundEmail.objects.count() == 2
