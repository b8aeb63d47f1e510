"""The widget's HTTP API: sessions, sends, history, origins, limits, offline messages."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from storedesk.accounts.models import Team, User
from storedesk.chat.models import Chat, ChatWidget, OfflineMessage, VisitorSession
from storedesk.chat.tests.factories import SHOP_ORIGIN, create_online_agent
from storedesk.conversations.models import Conversation, Message
from storedesk.customers.enums import IdentityKind
from storedesk.customers.models import CustomerIdentity
from storedesk.inboxes.models import Inbox

pytestmark = pytest.mark.django_db


class Widget:
    """A browser on the shop's page, talking to the API like widget.js does."""

    def __init__(self, widget: ChatWidget, origin: str = SHOP_ORIGIN) -> None:
        self.widget, self.client, self.origin, self.token = widget, Client(), origin, ""

    def url(self, name: str) -> str:
        return f"/chat/api/{self.widget.key}/{name}"

    def headers(self) -> dict[str, str]:
        return {"Origin": self.origin, "X-Chat-Token": self.token}

    def post(self, name: str, data: dict[str, Any]) -> Any:
        return self.client.post(
            self.url(name),
            json.dumps(data),
            content_type="application/json",
            headers=self.headers(),
        )

    def get(self, name: str, **params: Any) -> Any:
        return self.client.get(self.url(name), params, headers=self.headers())

    def open(self, **data: Any) -> dict[str, Any]:
        response = self.post("session", data)
        assert response.status_code == 200, response.content
        self.token = response.json()["token"]
        return dict(response.json())


@pytest.fixture
def agent(team: Team) -> User:
    return create_online_agent(team, username="anna")


@pytest.fixture
def browser(widget: ChatWidget) -> Widget:
    browser = Widget(widget)
    browser.open(page={"url": "https://shop.example/shoes", "title": "Shoes"}, language="sv")
    return browser


def test_config_says_whether_anyone_is_online(widget: ChatWidget, team: Team) -> None:
    browser = Widget(widget)
    assert browser.get("config").json()["online"] is False
    create_online_agent(team)
    response = browser.get("config")
    assert response.json()["online"] is True
    assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN


def test_a_foreign_origin_is_refused_everywhere(widget: ChatWidget, agent: User) -> None:
    browser = Widget(widget, origin="https://evil.example")
    for response in (
        browser.get("config"),
        browser.post("session", {}),
        browser.client.options(browser.url("chat"), headers={"Origin": "https://evil.example"}),
    ):
        assert response.status_code == 403
        assert "Access-Control-Allow-Origin" not in response
    assert not VisitorSession.objects.exists()


def test_preflight_from_an_allowed_origin(widget: ChatWidget) -> None:
    response = Widget(widget).client.options(
        f"/chat/api/{widget.key}/messages", headers={"Origin": SHOP_ORIGIN}
    )
    assert response.status_code == 204
    assert "X-Chat-Token" in response["Access-Control-Allow-Headers"]


def test_session_survives_a_reload_and_records_pages(browser: Widget) -> None:
    again = browser.open(page={"url": "https://shop.example/cart", "title": "Cart"})
    assert again["token"] == browser.token
    session = VisitorSession.objects.get()
    assert session.current_url == "https://shop.example/cart"
    assert [page["title"] for page in session.pages] == ["Shoes", "Cart"]
    assert session.language == "sv"


def test_a_forged_token_gets_a_new_session(browser: Widget) -> None:
    browser.token = browser.token[:-2] + "xx"
    browser.open()
    assert VisitorSession.objects.count() == 2


def test_chat_start_send_and_history(browser: Widget, agent: User) -> None:
    response = browser.post("chat", {"text": "Hello", "client_id": "c1", "name": "Kim"})
    assert response.status_code == 200
    chat_state = response.json()["chat"]
    assert (chat_state["state"], chat_state["agent"]["name"]) == ("assigned", agent.name)

    sent = browser.post("messages", {"text": "Are you there?", "client_id": "c2"}).json()
    history = browser.get("messages", after=0).json()["entries"]
    assert [e["text"] for e in history] == ["Hello", "Are you there?"]
    assert history[-1]["sequence"] == sent["sequence"]
    assert browser.get("messages", after=sent["sequence"]).json()["entries"] == []
    chat = Chat.objects.get()
    assert str(chat.conversation.customer) == "Kim"
    assert chat.conversation.channel == "chat"
    assert CustomerIdentity.objects.filter(
        kind=IdentityKind.VISITOR, customer=chat.conversation.customer
    ).exists()


def test_retried_http_send_stores_one_message(browser: Widget, agent: User) -> None:
    browser.post("chat", {"text": "Hello", "client_id": "c1"})
    first = browser.post("messages", {"text": "Twice?", "client_id": "same"}).json()
    second = browser.post("messages", {"text": "Twice?", "client_id": "same"}).json()
    assert (first["created"], second["created"]) == (True, False)
    assert first["sequence"] == second["sequence"]
    assert Message.objects.filter(text="Twice?").count() == 1


def test_hostile_html_stays_text(browser: Widget, agent: User) -> None:
    hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    browser.post("chat", {"text": hostile, "client_id": "c1"})
    entry = browser.get("messages", after=0).json()["entries"][0]
    assert entry["text"] == hostile
    message = Message.objects.get()
    assert "<script>" not in message.html
    assert "<img" not in message.html
    assert "&lt;script&gt;" in message.html


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"text": "x" * 2001, "client_id": "c2"}, "too_long"),
        ({"text": "   ", "client_id": "c2"}, "empty"),
        ({"text": "ok", "client_id": ""}, "invalid"),
        ({"text": "ok", "client_id": "no spaces allowed"}, "invalid"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(
    browser: Widget, agent: User, data: dict[str, str], code: str
) -> None:
    browser.post("chat", {"text": "Hello", "client_id": "c1"})
    response = browser.post("messages", data)
    assert (response.status_code, response.json()["error"]) == (400, code)
    assert Message.objects.count() == 1


def test_file_upload_within_and_beyond_the_limit(browser: Widget, agent: User) -> None:
    browser.post("chat", {"text": "Hello", "client_id": "c1"})
    ChatWidget.objects.update(max_file_bytes=10)
    url, headers = browser.url("messages"), browser.headers()
    small = SimpleUploadedFile("a.txt", b"tiny", content_type="text/plain")
    ok = browser.client.post(url, {"client_id": "f1", "text": "", "file": small}, headers=headers)
    big = SimpleUploadedFile("b.txt", b"x" * 11, content_type="text/plain")
    refused = browser.client.post(
        url, {"client_id": "f2", "text": "", "file": big}, headers=headers
    )
    assert ok.status_code == 200
    assert (refused.status_code, refused.json()["error"]) == (400, "file_too_large")
    entries = browser.get("messages", after=0).json()["entries"]
    assert [[a["name"] for a in e["attachments"]] for e in entries] == [[], ["a.txt"]]
    attachment_id = entries[1]["attachments"][0]["id"]
    download = browser.client.get(browser.url(f"files/{attachment_id}"), headers=headers)
    assert b"".join(download.streaming_content) == b"tiny"  # type: ignore[attr-defined]

    stranger = Widget(browser.widget)
    stranger.open()
    assert (
        stranger.client.get(
            stranger.url(f"files/{attachment_id}"), headers=stranger.headers()
        ).status_code
        == 404
    )


def test_another_visitor_reads_nothing_of_the_chat(browser: Widget, agent: User) -> None:
    browser.post("chat", {"text": "My address is secret", "client_id": "c1"})
    stranger = Widget(browser.widget)
    stranger.open()
    response = stranger.get("messages", after=0)
    assert (response.status_code, response.json()["error"]) == (404, "no_chat")
    assert stranger.post("messages", {"text": "hi", "client_id": "x"}).status_code == 404


def test_without_a_token_the_api_asks_for_a_session(widget: ChatWidget, agent: User) -> None:
    response = Widget(widget).post("chat", {"text": "Hello", "client_id": "c1"})
    assert response.status_code == 401
    assert not Chat.objects.exists()


def test_rate_limit_per_session(browser: Widget, agent: User, settings: Settings) -> None:
    settings.CHAT_RATE_LIMIT_SESSION_PER_MINUTE = 3
    statuses = [
        browser.post(
            "chat" if n == 0 else "messages", {"text": f"m{n}", "client_id": f"c{n}"}
        ).status_code
        for n in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]
    assert Message.objects.count() == 3


def _signature(widget: ChatWidget, customer_id: str, email: str) -> str:
    message = f"{customer_id}:{email}".encode()
    return hmac.new(widget.identity_secret.encode(), message, hashlib.sha256).hexdigest()


def test_identified_visitor_is_linked_to_the_customer(widget: ChatWidget, agent: User) -> None:
    browser = Widget(widget)
    claim = {
        "customer_id": "42",
        "email": "kim@example.com",
        "hmac": _signature(widget, "42", "kim@example.com"),
    }
    browser.open(identity=claim)
    browser.post("chat", {"text": "Hi", "client_id": "c1"})
    customer = Chat.objects.get().conversation.customer
    assert customer.primary_email == "kim@example.com"


def test_forged_identity_is_refused(widget: ChatWidget) -> None:
    browser = Widget(widget)
    claim = {
        "customer_id": "42",
        "email": "boss@example.com",
        "hmac": _signature(widget, "42", "kim@example.com"),
    }
    response = browser.post("session", {"identity": claim})
    assert (response.status_code, response.json()["error"]) == (403, "forbidden")
    assert not VisitorSession.objects.exists()
    assert not CustomerIdentity.objects.filter(value="boss@example.com").exists()


def test_offline_message_becomes_an_email_conversation(browser: Widget, email_inbox: Inbox) -> None:
    assert browser.post("chat", {"text": "Anyone?", "client_id": "c1"}).json()["error"] == "offline"
    data = {"name": "Kim", "email": "kim@example.com", "text": "Call me back", "client_id": "o1"}

    assert browser.post("offline", data).json() == {"ok": True}
    assert browser.post("offline", data).json() == {"ok": True}  # a retry

    conversation = Conversation.objects.get()
    assert (conversation.inbox, conversation.channel) == (email_inbox, "email")
    assert conversation.customer.primary_email == "kim@example.com"
    message = conversation.messages.get()
    assert message.text == "Call me back"
    assert message.channel_metadata["source"] == "chat_widget"
    assert message.channel_metadata["page"] == "https://shop.example/shoes"
    assert OfflineMessage.objects.count() == 1
    assert not Chat.objects.exists()


def test_offline_message_needs_a_valid_email(browser: Widget) -> None:
    data = {
        "name": "Kim",
        "email": "kim@example.com\nBcc: x@evil.example",
        "text": "Hi",
        "client_id": "o1",
    }
    response = browser.post("offline", data)
    assert (response.status_code, response.json()["error"]) == (400, "invalid")
    assert not Conversation.objects.exists()


def test_visitor_ends_the_chat(browser: Widget, agent: User) -> None:
    browser.post("chat", {"text": "Hello", "client_id": "c1"})
    assert browser.post("end", {}).json()["chat"]["state"] == "ended"
    assert Chat.objects.get().conversation.status == "solved"
    response = browser.post("messages", {"text": "one more", "client_id": "c9"})
    assert (response.status_code, response.json()["error"]) == (404, "no_chat")


def test_widget_script_is_served_and_small(client: Client) -> None:
    response = client.get("/chat/widget.js")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("text/javascript")
    assert len(gzip.compress(body, compresslevel=9)) < 30 * 1024
    # No third-party requests: the script talks only to the origin it was loaded from.
    for marker in (b"https://", b"http://", b"//cdn", b"googleapis"):
        assert marker not in body


def test_a_page_of_the_desk_itself_is_always_allowed(widget: ChatWidget) -> None:
    # The demo shop is served by the desk, whatever host name the browser used for it.
    response = Widget(widget, origin="http://testserver").get("config")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "http://testserver"
