from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from storedesk.accounts.models import User
from storedesk.conversations.enums import ConversationStatus, MessageKind
from storedesk.conversations.models import Attachment, Conversation, Message
from storedesk.conversations.services.messages import MessageContent, message_reply, note_add
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.models import Customer
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox
from storedesk.portal.tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _detail(number: int) -> str:
    return reverse("portal:request_detail", kwargs={"number": number})


def _reply(number: int) -> str:
    return reverse("portal:request_reply", kwargs={"number": number})


def test_signed_out_visitors_are_sent_to_sign_in(web_form_inbox: Inbox, customer: Customer) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)

    response = Client().get(_detail(conversation.number))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:signin") + "?next=")


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (ConversationStatus.NEW, "Open"),
        (ConversationStatus.ON_HOLD, "Open"),
        (ConversationStatus.PENDING, "Awaiting your reply"),
        (ConversationStatus.SOLVED, "Solved"),
    ],
)
def test_list_shows_customer_friendly_status(
    web_form_inbox: Inbox, customer: Customer, customer_client: Client, status: str, label: str
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer, subject="Lamp")
    Conversation.objects.filter(pk=conversation.pk).update(status=status)

    content = customer_client.get(reverse("portal:requests")).content.decode()

    assert f">{label}</span>" in content


def test_list_holds_only_the_customers_own_requests(
    web_form_inbox: Inbox, customer: Customer, customer_client: Client
) -> None:
    create_conversation(inbox=web_form_inbox, customer=customer, subject="Mine")
    create_conversation(inbox=web_form_inbox, subject="Someone else's")

    content = customer_client.get(reverse("portal:requests")).content.decode()

    assert "Mine" in content
    assert "Someone else" not in content


def test_detail_shows_replies_but_not_notes(
    web_form_inbox: Inbox, customer: Customer, agent: User, customer_client: Client
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer, text="Broken lamp")
    message_reply(conversation=conversation, author=agent, content=MessageContent(text="Sorry!"))
    note_add(conversation=conversation, author=agent, content=MessageContent(text="SECRET note"))

    response = customer_client.get(_detail(conversation.number))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Broken lamp" in content
    assert "Sorry!" in content
    assert "SECRET" not in content


def test_message_text_is_escaped(
    web_form_inbox: Inbox, customer: Customer, customer_client: Client
) -> None:
    conversation = create_conversation(
        inbox=web_form_inbox, customer=customer, text="<script>alert(1)</script>"
    )

    content = customer_client.get(_detail(conversation.number)).content.decode()

    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)" in content


def test_another_customers_request_is_404(
    web_form_inbox: Inbox, customer_client: Client
) -> None:
    theirs = create_conversation(inbox=web_form_inbox)

    assert customer_client.get(_detail(theirs.number)).status_code == 404
    response = customer_client.post(_reply(theirs.number), {"message": "Let me in"})

    assert response.status_code == 404
    assert theirs.messages.count() == 1


def test_reply_with_attachment_reopens_and_is_shown(
    web_form_inbox: Inbox, customer: Customer, agent: User, customer_client: Client
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    message_reply(conversation=conversation, author=agent, content=MessageContent(text="Photo?"))
    upload = SimpleUploadedFile("lamp.jpg", b"jpeg bytes", content_type="image/jpeg")

    response = customer_client.post(
        _reply(conversation.number), {"message": "Here it is", "attachments": [upload]}
    )

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.OPEN
    message = conversation.messages.get(text="Here it is")
    assert message.kind == MessageKind.INBOUND
    assert message.author_customer == customer
    attachment = Attachment.objects.get(message=message)
    assert attachment.filename == "lamp.jpg"
    page = customer_client.get(_detail(conversation.number)).content.decode()
    assert reverse("portal:attachment", kwargs={"attachment_id": attachment.pk}) in page

    download = customer_client.get(
        reverse("portal:attachment", kwargs={"attachment_id": attachment.pk})
    )

    assert download.status_code == 200
    assert download.getvalue() == b"jpeg bytes"
    assert "attachment" in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("filename", "error"),
    [("big.pdf", "is larger than"), ("setup.exe", "cannot be attached")],
)
@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_bad_attachment_is_422_and_writes_nothing(
    web_form_inbox: Inbox, customer: Customer, customer_client: Client, filename: str, error: str
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    content = b"x" * (11 if filename == "big.pdf" else 5)
    upload = SimpleUploadedFile(filename, content)

    response = customer_client.post(
        _reply(conversation.number), {"message": "With a file", "attachments": [upload]}
    )

    assert response.status_code == 422
    assert error in response.content.decode()
    assert conversation.messages.count() == 1
    assert Attachment.objects.count() == 0


def test_closed_request_takes_no_reply(
    web_form_inbox: Inbox, customer: Customer, customer_client: Client
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    Conversation.objects.filter(pk=conversation.pk).update(status=ConversationStatus.CLOSED)

    response = customer_client.post(_reply(conversation.number), {"message": "Hello?"})

    assert response.status_code == 422
    assert conversation.messages.count() == 1


def test_another_customers_attachment_is_404(
    web_form_inbox: Inbox, customer_client: Client
) -> None:
    other = create_customer()
    theirs = create_conversation(inbox=web_form_inbox, customer=other)
    message = Message.objects.get(conversation=theirs)
    attachment = Attachment.objects.create(
        conversation=theirs, message=message, file="attachments/x.txt", filename="x.txt",
        content_type="text/plain", size=1,
    )

    response = customer_client.get(
        reverse("portal:attachment", kwargs={"attachment_id": attachment.pk})
    )

    assert response.status_code == 404


def test_note_attachment_is_404_for_the_customer(
    web_form_inbox: Inbox, customer: Customer, agent: User, customer_client: Client
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    upload = SimpleUploadedFile("internal.txt", b"secret")
    note = note_add(
        conversation=conversation, author=agent, content=MessageContent(text="n", files=[upload])
    )
    attachment = Attachment.objects.get(message=note)

    response = customer_client.get(
        reverse("portal:attachment", kwargs={"attachment_id": attachment.pk})
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("choice", "stored"), [("always", True), ("never", False), ("default", None)]
)
def test_per_request_notification_choice_is_saved(
    web_form_inbox: Inbox, customer: Customer, customer_client: Client, choice: str,
    stored: bool | None,
) -> None:
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    Conversation.objects.filter(pk=conversation.pk).update(notify_customer=not stored)

    response = customer_client.post(
        reverse("portal:request_notifications", kwargs={"number": conversation.number}),
        {"notify": choice},
    )

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.notify_customer is stored


def test_another_customers_notification_choice_is_404(
    web_form_inbox: Inbox, customer_client: Client
) -> None:
    theirs = create_conversation(inbox=web_form_inbox)

    response = customer_client.post(
        reverse("portal:request_notifications", kwargs={"number": theirs.number}),
        {"notify": "never"},
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.notify_customer is None


def test_default_notification_preference_is_saved(
    customer: Customer, customer_client: Client
) -> None:
    customer_client.post(reverse("portal:settings"), {"notify_on_update": "on"})
    customer.refresh_from_db()
    assert customer.notify_on_update is True

    response = customer_client.post(reverse("portal:settings"), {})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.notify_on_update is False


def test_participant_sees_a_request_they_were_copied_on(
    web_form_inbox: Inbox, customer: Customer
) -> None:
    cc = create_customer(email="cc@example.com")
    conversation = create_conversation(inbox=web_form_inbox, customer=customer)
    conversation.participants.create(customer=cc, role="cc")

    response = client_for(cc).get(_detail(conversation.number))

    assert response.status_code == 200
