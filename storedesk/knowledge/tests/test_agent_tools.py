"""The workspace's knowledge panel and putting an article into a reply."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, conversation_open
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, ArticleTranslation, ArticleUse
from storedesk.knowledge.selectors_agent import article_conversation_count, quick_search_for_agent
from storedesk.knowledge.tests.factories import add_translation, create_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Lamp Shop", default_language="en")


@pytest.fixture
def inbox(brand: Brand) -> Inbox:
    return create_inbox(brand=brand, team=create_team(name="Phone"))


@pytest.fixture
def anna(inbox: Inbox) -> User:
    agent = create_agent(username="anna", display_name="Anna Berg")
    assert inbox.team is not None
    inbox.team.members.add(agent)
    return agent


@pytest.fixture
def client(anna: User) -> Client:
    client = Client()
    client.force_login(anna)
    return client


@pytest.fixture
def returns(brand: Brand) -> Article:
    article = create_article(brand=brand, title="How to return a lamp",
                             body="Pack the lamp and send it back within 30 days.")
    add_translation(article, language="sv", title="Så returnerar du en lampa",
                    body="Packa lampan och skicka tillbaka den inom 30 dagar.")
    return article


@pytest.fixture
def phone_script(brand: Brand) -> Article:
    return create_article(brand=brand, title="Phone script: lamp returns",
                          body="Ask for the order number first, then the lamp model.",
                          visibility=Visibility.INTERNAL)


def _conversation(inbox: Inbox, language: str = "") -> Conversation:
    return conversation_open(inbox=inbox, customer=create_customer(), subject="Return",
                             content=MessageContent(text="How do I return my lamp?"),
                             language=language)


def _midnight() -> datetime:
    return timezone.localtime(timezone.now(), ZoneInfo("UTC")).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def test_the_panel_finds_internal_and_public_articles_and_marks_todays_changes(
    brand: Brand, returns: Article, phone_script: Article
) -> None:
    ArticleTranslation.objects.filter(article=returns).update(
        updated_at=timezone.now() - timedelta(days=3)
    )

    hits = quick_search_for_agent(brand=brand, query="lamp return", language="en",
                                  today_start=_midnight())
    today = quick_search_for_agent(brand=brand, query="", language="en", today_start=_midnight())

    by_article = {h.article_id: h for h in hits}
    assert set(by_article) == {returns.pk, phone_script.pk}
    script_hit = by_article[phone_script.pk]
    assert script_hit.is_internal
    assert script_hit.changed_today
    assert not by_article[phone_script.pk].is_insertable
    assert not by_article[returns.pk].changed_today
    assert [h.article_id for h in today] == [phone_script.pk]


def test_the_panel_view_offers_insert_buttons_only_for_public_articles(
    client: Client, inbox: Inbox, returns: Article, phone_script: Article
) -> None:
    conversation = _conversation(inbox, language="en")

    response = client.get(reverse("knowledge:quick"),
                          {"q": "lamp", "conversation": str(conversation.number)})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Phone script: lamp returns" in html
    assert "How to return a lamp" in html
    assert html.count('data-kb-insert="link"') == 1
    assert "Internal" in html
    assert "Changed today" in html


def test_inserting_a_link_uses_the_customers_language_and_counts_the_conversation(
    client: Client, inbox: Inbox, returns: Article
) -> None:
    swedish = _conversation(inbox, language="sv")
    russian = _conversation(inbox, language="ru")
    url = reverse("knowledge:article_insert", kwargs={"article_id": returns.pk})

    link = client.post(url, {"conversation": swedish.number, "mode": "link"}).json()
    again = client.post(url, {"conversation": swedish.number, "mode": "text"}).json()
    fallback = client.post(url, {"conversation": russian.number, "mode": "text"}).json()

    sv = returns.translations.get(language="sv")
    assert link == {"text": f"{sv.title}\n{settings.BASE_URL}{sv.get_absolute_url()}",
                    "language": "sv", "used_in": 1}
    assert again["text"] == f"{sv.title}\n\n{sv.plain_text}"
    assert sv.plain_text == "Packa lampan och skicka tillbaka den inom 30 dagar."
    assert again["used_in"] == 1
    assert fallback["language"] == "en"
    assert fallback["text"].startswith("How to return a lamp\n\n")
    assert fallback["used_in"] == 2
    assert article_conversation_count(article_id=returns.pk) == 2
    assert ArticleUse.objects.get(conversation=swedish).mode == "link"


@pytest.mark.parametrize("which", ["internal", "draft", "other_brand"])
def test_articles_that_must_not_reach_customers_cannot_be_inserted(
    client: Client, inbox: Inbox, phone_script: Article, which: str
) -> None:
    article = {
        "internal": lambda: phone_script,
        "draft": lambda: create_article(brand=inbox.brand, title="Draft", body="Not yet.",
                                        publish=False),
        "other_brand": lambda: create_article(brand=create_brand(), title="Other", body="Text."),
    }[which]()
    conversation = _conversation(inbox)

    response = client.post(reverse("knowledge:article_insert", kwargs={"article_id": article.pk}),
                           {"conversation": conversation.number, "mode": "text"})

    assert response.status_code == 404
    assert ArticleUse.objects.count() == 0


def test_inserting_into_someone_elses_conversation_is_404(
    client: Client, brand: Brand, returns: Article
) -> None:
    hidden = _conversation(create_inbox(brand=brand, team=create_team(name="VIP")))

    response = client.post(reverse("knowledge:article_insert", kwargs={"article_id": returns.pk}),
                           {"conversation": hidden.number, "mode": "link"})

    assert response.status_code == 404
    assert ArticleUse.objects.count() == 0


def test_a_bad_insert_request_is_400(client: Client, returns: Article) -> None:
    response = client.post(reverse("knowledge:article_insert", kwargs={"article_id": returns.pk}),
                           {"conversation": "x", "mode": "poem"})

    assert response.status_code == 400
    assert set(response.json()["error"]) == {"conversation", "mode"}


def test_the_panel_is_on_workspace_pages(client: Client) -> None:
    html = client.get(reverse("conversations:inbox")).content.decode()

    assert 'id="kb-quick"' in html
    assert reverse("knowledge:quick") in html
