from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Attachment, Conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "subject": "Broken lamp",
    "message": "The shade arrived cracked.",
    "website": "",
}


def _url(brand: Brand) -> str:
    return reverse("portal:brand_contact", kwargs={"brand_slug": brand.slug})


def test_contact_opens_one_conversation_in_the_web_form_inbox(
    brand: Brand, web_form_inbox: Inbox
) -> None:
    create_inbox(brand=brand, channel=Channel.EMAIL)
    upload = SimpleUploadedFile("photo.png", b"png", content_type="image/png")

    response = Client().post(_url(brand), {**FORM, "attachments": [upload]}, follow=True)

    conversation = Conversation.objects.get()
    assert conversation.inbox == web_form_inbox
    assert conversation.channel == Channel.WEB_FORM
    assert conversation.subject == "Broken lamp"
    assert conversation.status == ConversationStatus.NEW
    assert conversation.customer.primary_email == "ada@example.com"
    assert conversation.customer.name == "Ada Lovelace"
    assert conversation.messages.get().text == "The shade arrived cracked."
    assert Attachment.objects.get().filename == "photo.png"
    content = response.content.decode()
    assert f"#{conversation.number}" in content
    assert "/portal/status/" in content
    assert mail.outbox == []


def test_contact_matches_a_known_customer(
    brand: Brand, web_form_inbox: Inbox, customer: Customer
) -> None:
    Client().post(_url(brand), {**FORM, "email": "Kim@Example.com"})

    assert Conversation.objects.get().customer == customer
    assert Customer.objects.count() == 1


def test_contact_without_slug_uses_the_first_brand(web_form_inbox: Inbox) -> None:
    later = create_brand(name="Later shop")
    create_inbox(brand=later, channel=Channel.WEB_FORM)

    Client().post(reverse("portal:contact"), FORM)

    assert Conversation.objects.get().inbox == web_form_inbox


def test_brand_without_web_form_is_404(brand: Brand) -> None:
    create_inbox(brand=brand, channel=Channel.EMAIL)

    assert Client().get(_url(brand)).status_code == 404
    assert Client().get(reverse("portal:brand_contact", args=["nope"])).status_code == 404


def test_contact_page_shows_brand_and_accent(brand: Brand, web_form_inbox: Inbox) -> None:
    content = Client().get(_url(brand)).content.decode()

    assert "Lamp Shop" in content
    assert "--accent: #0f766e" in content
    assert 'name="website"' in content


def test_missing_fields_are_422_with_field_errors(brand: Brand, web_form_inbox: Inbox) -> None:
    response = Client().post(_url(brand), {**FORM, "email": "nope", "subject": ""})

    assert response.status_code == 422
    content = response.content.decode()
    assert "Enter a valid email address." in content
    assert "This field is required." in content
    assert Conversation.objects.count() == 0


def test_honeypot_pretends_success_and_writes_nothing(
    brand: Brand, web_form_inbox: Inbox
) -> None:
    response = Client().post(_url(brand), {**FORM, "website": "http://spam.example"})

    assert response.status_code == 200
    assert "Thanks, we received your request" in response.content.decode()
    assert Conversation.objects.count() == 0
    assert Customer.objects.count() == 0


@override_settings(CONTACT_FORM_RATE_LIMIT=2, CONTACT_FORM_RATE_WINDOW_SECONDS=60)
def test_rate_limit_is_429(brand: Brand, web_form_inbox: Inbox) -> None:
    client = Client()
    for _ in range(2):
        assert client.post(_url(brand), FORM).status_code == 302

    response = client.post(_url(brand), FORM)

    assert response.status_code == 429
    assert "too many requests" in response.content.decode()
    assert Conversation.objects.count() == 2


@pytest.mark.parametrize(
    ("filename", "error"),
    [("huge.pdf", "is larger than"), ("virus.exe", "cannot be attached")],
)
@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_bad_attachment_is_422_and_writes_nothing(
    brand: Brand, web_form_inbox: Inbox, filename: str, error: str
) -> None:
    upload = SimpleUploadedFile(filename, b"x" * (11 if filename == "huge.pdf" else 3))

    response = Client().post(_url(brand), {**FORM, "attachments": [upload]})

    assert response.status_code == 422
    assert error in response.content.decode()
    assert Conversation.objects.count() == 0
    assert Customer.objects.count() == 0
    assert Attachment.objects.count() == 0


def test_contact_needs_csrf(brand: Brand, web_form_inbox: Inbox) -> None:
    response = Client(enforce_csrf_checks=True).post(_url(brand), FORM)

    assert response.status_code == 403
    assert Conversation.objects.count() == 0
