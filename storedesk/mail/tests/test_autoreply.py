from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from storedesk.conversations.models import Conversation
from storedesk.conversations.status_links import status_url
from storedesk.conversations.tests.factories import create_conversation
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.autoreply import auto_reply_compose, placeholders_fill
from storedesk.routing.models import AutoReplyTemplate

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Monday; the answer is due on Tuesday 10:00 Stockholm time.
NOW = datetime(2026, 3, 16, 15, tzinfo=STOCKHOLM)
TUESDAY_1000 = datetime(2026, 3, 17, 10, tzinfo=STOCKHOLM)

pytestmark = pytest.mark.django_db


def conversation_in(
    language: str = "", *, channel: str = Channel.EMAIL, text: str = ""
) -> Conversation:
    return create_conversation(
        inbox=create_inbox(channel=channel),
        customer=create_customer(language=language, name="Kim Lee"),
        subject="Where is my lamp?",
        text=text or "I ordered a lamp last week and it has not arrived.",
    )


@pytest.mark.parametrize(
    ("language", "weekday", "phrase"),
    [
        pytest.param("en", "Tuesday 10:00", "We will answer by", id="en"),
        pytest.param("sv", "tisdag 10:00", "Vi svarar senast", id="sv"),
        pytest.param("ru", "вторник 10:00", "Мы ответим не позднее", id="ru"),
        pytest.param("zh-hans", "星期二 10:00", "我们将在", id="zh-hans"),
    ],
)
def test_compose_in_customer_language(language: str, weekday: str, phrase: str) -> None:
    conversation = conversation_in(language)

    reply = auto_reply_compose(conversation=conversation, expected_at=TUESDAY_1000, now=NOW)

    url = status_url(conversation)
    assert reply.language == language
    assert reply.subject.startswith(f"[#{conversation.number}] ")
    assert "Where is my lamp?" in reply.subject
    assert str(conversation.number) in reply.text
    assert url in reply.text
    assert weekday in reply.text
    assert phrase in reply.text
    assert f'<a href="{url}">' in reply.html
    assert weekday in reply.html
    assert "{{" not in reply.text
    assert "{%" not in reply.text


def test_expected_time_is_shown_in_the_brands_time_zone() -> None:
    conversation = conversation_in("en")
    expected_utc = TUESDAY_1000.astimezone(ZoneInfo("UTC"))  # 09:00 UTC

    reply = auto_reply_compose(conversation=conversation, expected_at=expected_utc, now=NOW)

    assert "Tuesday 10:00" in reply.text


@pytest.mark.parametrize(
    ("language", "date_text"),
    [
        pytest.param("en", "Thursday, March 26, 2026 10:00", id="en"),
        pytest.param("sv", "torsdag 26 mars 2026 10:00", id="sv"),
        pytest.param("ru", "четверг, 26 марта 2026\u202fг. 10:00", id="ru"),
        pytest.param("zh-hans", "2026年3月26日星期四 10:00", id="zh-hans"),
    ],
)
def test_date_is_spelled_out_beyond_six_days(language: str, date_text: str) -> None:
    conversation = conversation_in(language)

    reply = auto_reply_compose(
        conversation=conversation, expected_at=TUESDAY_1000 + timedelta(days=9), now=NOW
    )

    assert date_text in reply.text


def language_of(conversation: Conversation) -> str:
    return auto_reply_compose(conversation=conversation, expected_at=TUESDAY_1000, now=NOW).language


def test_language_falls_back_to_conversation_then_brand() -> None:
    conversation = conversation_in("")
    conversation.language = "sv-SE"
    assert language_of(conversation) == "sv"

    conversation.language = ""
    conversation.brand.default_language = "ru"
    assert language_of(conversation) == "ru"

    conversation.brand.default_language = "de"
    assert language_of(conversation) == "en"


def test_contact_form_customer_gets_a_copy_of_what_they_sent() -> None:
    text = "Hello,\nmy order <b>#77</b> & the {{ settings.SECRET_KEY }} lamp."
    conversation = conversation_in("en", channel=Channel.WEB_FORM, text=text)

    reply = auto_reply_compose(conversation=conversation, expected_at=TUESDAY_1000, now=NOW)

    assert "This is what you sent us:" in reply.text
    assert "> Hello,\n> my order <b>#77</b> & the {{ settings.SECRET_KEY }} lamp." in reply.text
    assert "&lt;b&gt;#77&lt;/b&gt; &amp; the" in reply.html
    assert "<b>" not in reply.html


def test_email_customer_gets_no_copy() -> None:
    reply = auto_reply_compose(
        conversation=conversation_in("en"), expected_at=TUESDAY_1000, now=NOW
    )

    assert "This is what you sent us" not in reply.text
    assert "I ordered a lamp" not in reply.text


def test_inbox_override_template_is_used() -> None:
    conversation = conversation_in("sv")
    AutoReplyTemplate.objects.create(
        inbox=conversation.inbox,
        language="sv",
        subject="Tack! Ärende {{number}}",
        body="Hej {{ customer_name }}!\nSvar senast {{ expected }}.\nStatus: {{ status_url }}",
    )
    AutoReplyTemplate.objects.create(
        inbox=conversation.inbox, language="en", subject="English", body="English body"
    )

    reply = auto_reply_compose(conversation=conversation, expected_at=TUESDAY_1000, now=NOW)

    number = conversation.number
    assert reply.subject == f"[#{number}] Tack! Ärende {number}"
    assert reply.text == (
        f"Hej Kim Lee!\nSvar senast tisdag 10:00.\nStatus: {status_url(conversation)}\n"
    )


def test_override_for_contact_form_still_carries_the_copy() -> None:
    conversation = conversation_in("ru", channel=Channel.WEB_FORM, text="Где мой заказ?")
    AutoReplyTemplate.objects.create(
        inbox=conversation.inbox, language="ru", subject="[#{{ number }}] Спасибо", body="Спасибо!"
    )

    reply = auto_reply_compose(conversation=conversation, expected_at=TUESDAY_1000, now=NOW)

    assert reply.subject == f"[#{conversation.number}] Спасибо"
    assert reply.text == "Спасибо!\n\nВот что вы нам отправили:\n\n> Где мой заказ?\n"


def test_hostile_override_is_rendered_literally() -> None:
    conversation = conversation_in("en")
    body = (
        "{% load static %}{{ settings.SECRET_KEY }} {{ number|upper }} {{ status_url.__class__ }}"
        " {% debug %} <script>alert(1)</script> {{ number }}"
    )
    AutoReplyTemplate.objects.create(
        inbox=conversation.inbox,
        language="en",
        subject="{{ settings.SECRET_KEY }}\r\nBcc: x@y",
        body=body,
    )

    reply = auto_reply_compose(conversation=conversation, expected_at=TUESDAY_1000, now=NOW)

    number = conversation.number
    assert reply.text == (
        "{% load static %}{{ settings.SECRET_KEY }} {{ number|upper }} {{ status_url.__class__ }}"
        f" {{% debug %}} <script>alert(1)</script> {number}\n"
    )
    assert reply.subject == f"[#{number}] {{{{ settings.SECRET_KEY }}}} Bcc: x@y"
    assert settings.SECRET_KEY not in reply.text + reply.subject + reply.html
    assert "<script>" not in reply.html
    assert "&lt;script&gt;" in reply.html


def test_placeholder_values_are_not_expanded_twice() -> None:
    filled = placeholders_fill(
        "{{ customer_name }} / {{ number }}", {"customer_name": "{{ number }}", "number": "7"}
    )

    assert filled == "{{ number }} / 7"
