"""Threading: a reply lands in its conversation by Message-ID, reply token or [#number]."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storedesk.accounts.models import User
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation, Participant
from storedesk.conversations.services.changes import conversation_transition
from storedesk.conversations.services.merge import conversation_merge
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import IntakeSource
from storedesk.mail.intake import raw_email_process
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.mime import parse_email
from storedesk.mail.models import RawEmail
from storedesk.mail.tests.factories import create_outbound_email, create_reply_token, make_raw_email
from storedesk.mail.threads import thread_find

pytestmark = pytest.mark.django_db


def deliver(raw: bytes, *recipients: str) -> RawEmail:
    raw_email = raw_email_receive(
        raw=raw, source=IntakeSource.SMTP, recipients=list(recipients or ["support@shop.example"])
    )
    raw_email_process(raw_email=raw_email)
    return raw_email


@pytest.fixture
def conversation(email_inbox: Inbox) -> Conversation:
    return create_conversation(inbox=email_inbox, customer=create_customer(email="kim@example.com"))


def test_in_reply_to_our_message_id_threads(conversation: Conversation) -> None:
    outbound = create_outbound_email(conversation=conversation)

    deliver(make_raw_email(subject="Re: something else", in_reply_to=outbound.header_message_id))

    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2


def test_our_message_id_anywhere_in_references_threads(conversation: Conversation) -> None:
    outbound = create_outbound_email(conversation=conversation)

    deliver(
        make_raw_email(
            references=["<root@example.com>", outbound.header_message_id, "<x@example.com>"],
            in_reply_to="<x@example.com>",
        )
    )

    assert Conversation.objects.count() == 1


def test_reference_to_an_earlier_inbound_mail_threads(email_inbox: Inbox) -> None:
    deliver(make_raw_email(message_id="<first@example.com>", subject="Question"))
    first = Conversation.objects.get()

    # The customer writes again, replying to their own first mail (no answer from us yet).
    deliver(make_raw_email(subject="Re: Question", in_reply_to="<first@example.com>"))

    assert Conversation.objects.get() == first
    assert first.messages.count() == 2


def test_reply_token_in_plus_address_threads(conversation: Conversation) -> None:
    create_reply_token(conversation=conversation, token="T4Q9X")

    deliver(
        make_raw_email(to=["support+t4q9x@shop.example"], subject="Different subject"),
        "support+t4q9x@shop.example",
    )

    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2


def test_subject_number_from_the_requester_threads(conversation: Conversation) -> None:
    deliver(make_raw_email(subject=f"Re: [#{conversation.number}] Where is my order?"))

    assert Conversation.objects.count() == 1
    assert conversation.messages.count() == 2


def test_subject_number_from_a_cc_participant_threads(conversation: Conversation) -> None:
    Participant.objects.create(
        conversation=conversation, customer=create_customer(email="boss@example.org"), role="cc"
    )

    deliver(make_raw_email(from_="boss@example.org", subject=f"[#{conversation.number}] +1"))

    assert Conversation.objects.count() == 1


def test_subject_number_from_a_stranger_opens_a_new_conversation(
    conversation: Conversation,
) -> None:
    deliver(make_raw_email(from_="stranger@example.net", subject=f"[#{conversation.number}] hi"))

    assert Conversation.objects.count() == 2
    assert conversation.messages.count() == 1


def test_unrelated_mail_opens_a_new_conversation(conversation: Conversation) -> None:
    deliver(make_raw_email(subject="A new question"))

    assert Conversation.objects.count() == 2


def test_merged_conversation_resolves_to_its_target(
    email_inbox: Inbox, conversation: Conversation, agent: User
) -> None:
    target = create_conversation(inbox=email_inbox, customer=conversation.customer)
    outbound = create_outbound_email(conversation=conversation)
    conversation_merge(source=conversation, target=target, actor=agent)
    parsed = parse_email(make_raw_email(in_reply_to=outbound.header_message_id))

    found = thread_find(parsed=parsed, inbox=email_inbox, customer=conversation.customer)

    assert found == target


def test_conversations_of_another_brand_are_not_found(conversation: Conversation) -> None:
    other_inbox = create_inbox(brand=create_brand(), address="help@other.example")
    outbound = create_outbound_email(conversation=conversation)
    create_reply_token(conversation=conversation, token="ZZ111")
    parsed = parse_email(
        make_raw_email(
            to=["help+ZZ111@other.example"],
            subject=f"[#{conversation.number}]",
            in_reply_to=outbound.header_message_id,
        )
    )

    assert thread_find(parsed=parsed, inbox=other_inbox, customer=conversation.customer) is None


def test_reply_to_a_closed_conversation_starts_a_new_one(
    conversation: Conversation, agent: User
) -> None:
    outbound = create_outbound_email(conversation=conversation)
    conversation_transition(
        conversation=conversation, status=ConversationStatus.CLOSED, actor=agent
    )

    deliver(make_raw_email(in_reply_to=outbound.header_message_id))

    assert Conversation.objects.count() == 2


def test_reply_copied_to_a_second_inbox_gives_that_inbox_its_own_conversation(
    email_inbox: Inbox, conversation: Conversation
) -> None:
    sales = create_inbox(brand=email_inbox.brand, name="Sales", address="sales@shop.example")
    outbound = create_outbound_email(conversation=conversation)

    deliver(
        make_raw_email(
            to=["support@shop.example"],
            cc=["sales@shop.example"],
            in_reply_to=outbound.header_message_id,
        ),
        "support@shop.example",
        "sales@shop.example",
    )

    assert conversation.messages.count() == 2
    assert Conversation.objects.filter(inbox=sales).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_lookups_by_message_id_read_no_conversations_by_brand(conversation: Conversation) -> None:
    """Without statistics (a busy table before autovacuum's analyze), PostgreSQL drove a join
    filtered by brand from the brand's conversations: every reply read all of them."""
    for _ in range(20):
        create_outbound_email(conversation=create_conversation(inbox=conversation.inbox))
    outbound = create_outbound_email(conversation=conversation)
    parsed = parse_email(make_raw_email(in_reply_to=outbound.header_message_id))
    stranger = create_customer()

    with CaptureQueriesContext(connection) as queries:
        found = thread_find(parsed=parsed, inbox=conversation.inbox, customer=stranger)

    assert found == conversation
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            assert query["sql"].startswith("SELECT")  # thread_find only reads
            cursor.execute(f"EXPLAIN {query['sql']}")  # the SQL as sent, literals inlined
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "(brand_id =" not in plan, (query["sql"], plan)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_lookups_of_earlier_mails_read_no_deliveries_by_inbox(email_inbox: Inbox) -> None:
    """The inbox is compared in Python, as the brand is above: with it in the query, a
    planner without statistics may start from the inbox's deliveries, every reply reading
    all the mail the inbox ever had (as a join of an earlier version did)."""
    for n in range(20):
        deliver(make_raw_email(message_id=f"<other{n}@example.com>"))
    deliver(make_raw_email(message_id="<first@example.com>", subject="Question"))
    parsed = parse_email(make_raw_email(in_reply_to="<first@example.com>"))
    customer = Customer.objects.get(identities__value="kim@example.com")

    with CaptureQueriesContext(connection) as queries:
        found = thread_find(parsed=parsed, inbox=email_inbox, customer=customer)

    assert found == Conversation.objects.get(subject="Question")
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute(f"EXPLAIN {query['sql']}")  # the SQL as sent, literals inlined
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "(inbox_id =" not in plan, (query["sql"], plan)
