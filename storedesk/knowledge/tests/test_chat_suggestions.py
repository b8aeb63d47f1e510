"""The chat widget's article suggestions (deflection through the widget's API): what the
visitor is shown, what they open, and whether they started a chat anyway."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from storedesk.accounts.tests.factories import create_team
from storedesk.brands.tests.factories import create_brand
from storedesk.chat.models import Chat, ChatWidget
from storedesk.chat.tests.factories import SHOP_ORIGIN, create_online_agent, create_widget
from storedesk.knowledge.deflection_enums import DeflectionEventKind, SuggestionSource
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, DeflectionEvent, DeflectionSession, SearchLog
from storedesk.knowledge.tests.factories import create_article

pytestmark = pytest.mark.django_db

KEY = "chat-visit-0001"


class Shop:
    """A browser on the shop's page, calling the widget's API as widget.js does."""

    def __init__(self, widget: ChatWidget, origin: str = SHOP_ORIGIN) -> None:
        self.widget, self.origin, self.client, self.token = widget, origin, Client(), ""

    def _url(self, name: str) -> str:
        return f"/chat/api/{self.widget.key}/{name}"

    def _headers(self) -> dict[str, str]:
        return {"Origin": self.origin, "X-Chat-Token": self.token}

    def get(self, name: str, **params: str) -> Any:
        return self.client.get(self._url(name), params, headers=self._headers())

    def post(self, name: str, data: dict[str, Any]) -> Any:
        return self.client.post(self._url(name), json.dumps(data),
                                content_type="application/json", headers=self._headers())


@pytest.fixture
def widget() -> ChatWidget:
    return create_widget(team=create_team(name="Chat"))


@pytest.fixture
def lamp_articles(widget: ChatWidget) -> list[Article]:
    """Four public answers about lamps, an internal one and a draft."""
    brand = widget.inbox.brand
    public = [
        create_article(brand=brand, title=f"Lamp question {n}", body=f"The lamp answer {n}.")
        for n in range(4)
    ]
    create_article(brand=brand, title="Lamp staff codes", body="Internal lamp codes.",
                   visibility=Visibility.INTERNAL)
    create_article(brand=brand, title="Lamp draft", body="Lamp text.", publish=False)
    create_article(brand=create_brand(), title="Other shop's lamp", body="Lamp.")
    return public


def test_the_widget_gets_three_public_articles_of_its_brand(
    widget: ChatWidget, lamp_articles: list[Article]
) -> None:
    response = Shop(widget).get("suggest", q="lamp", lang="en", s=KEY)

    data = response.json()
    public_ids = {a.pk for a in lamp_articles}
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert len(data["suggestions"]) == 3
    assert {s["article"] for s in data["suggestions"]} <= public_ids
    assert all(s["title"].startswith("Lamp question") for s in data["suggestions"])
    assert all(s["url"].startswith("http") for s in data["suggestions"])
    session = DeflectionSession.objects.get(key=KEY)
    assert (session.brand, session.source) == (widget.inbox.brand, SuggestionSource.CHAT)
    assert session.suggested_at is not None
    assert DeflectionEvent.objects.filter(session=session, kind="shown").count() == 3
    log = SearchLog.objects.get()
    assert (log.query, log.source, log.results_count) == ("lamp", SuggestionSource.CHAT, 3)


def test_another_sites_page_gets_nothing_and_records_nothing(
    widget: ChatWidget, lamp_articles: list[Article]
) -> None:
    response = Shop(widget, origin="https://evil.example").get("suggest", q="lamp", s=KEY)

    assert response.status_code == 403
    assert DeflectionSession.objects.count() == 0
    assert SearchLog.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "status"),
    [({"q": "la", "s": KEY}, 200), ({"q": "lamp", "s": "bad key!"}, 400)],
    ids=["short_query_case", "bad_key_case"],
)
def test_short_queries_and_bad_keys_record_nothing(
    widget: ChatWidget, lamp_articles: list[Article], params: dict[str, str], status: int
) -> None:
    response = Shop(widget).get("suggest", **params)

    assert response.status_code == status
    assert DeflectionSession.objects.count() == 0
    if status == 200:
        assert response.json() == {"suggestions": []}


def test_opening_a_shown_article_counts_and_an_unshown_one_does_not(
    widget: ChatWidget, lamp_articles: list[Article]
) -> None:
    shop = Shop(widget)
    shown = shop.get("suggest", q="lamp question", s=KEY).json()["suggestions"]
    shown_ids = {s["article"] for s in shown}
    not_shown = next(a.pk for a in lamp_articles if a.pk not in shown_ids)

    opened = shop.post("suggest/event", {"s": KEY, "article": shown[0]["article"],
                                         "kind": "opened"})
    refused = shop.post("suggest/event", {"s": KEY, "article": not_shown, "kind": "opened"})

    assert (opened.status_code, refused.status_code) == (204, 404)
    assert opened["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    session = DeflectionSession.objects.get(key=KEY)
    assert session.opened_at is not None
    assert list(
        DeflectionEvent.objects.filter(kind=DeflectionEventKind.OPENED).values_list(
            "article_id", flat=True)
    ) == [shown[0]["article"]]


def test_a_chat_started_after_suggestions_is_recorded_on_the_visit(
    widget: ChatWidget, lamp_articles: list[Article]
) -> None:
    assert widget.inbox.team is not None
    create_online_agent(widget.inbox.team, username="anna")
    shop = Shop(widget)
    shop.token = shop.post("session", {"language": "en"}).json()["token"]
    shop.get("suggest", q="lamp", s=KEY)

    response = shop.post("chat", {"text": "My lamp flickers", "client_id": "c" * 24,
                                  "kb_session": KEY})

    assert response.status_code == 200
    chat = Chat.objects.get()
    session = DeflectionSession.objects.get(key=KEY)
    assert session.request_sent_at is not None
    assert session.conversation == chat.conversation
