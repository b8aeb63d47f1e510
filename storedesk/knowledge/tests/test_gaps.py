"""The content-gaps page: searches without answers, clusters of similar questions, and
one click from an answered conversation to a draft article."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent, create_team
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import (
    MessageContent,
    conversation_open,
    message_reply,
)
from storedesk.core.tests.shared_data import shared_data_dir
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.knowledge.clustering import Document, cluster, tfidf_vectors
from storedesk.knowledge.enums import TranslationStatus
from storedesk.knowledge.models import Article, ArticleTranslation
from storedesk.knowledge.selectors_gaps import question_clusters, search_gaps
from storedesk.knowledge.services.deflection import deflection_request_sent
from storedesk.knowledge.services.search_log import search_log_record
from storedesk.knowledge.tests.factories import create_article

pytestmark = pytest.mark.django_db


def test_similar_questions_cluster_together_across_languages() -> None:
    texts = [
        ("Where is my parcel? It has not arrived yet", "en"),
        ("My parcel has not arrived, where is it?", "en"),
        ("Can I change my delivery address?", "en"),
        ("Var är mitt paket? Det har inte kommit", "sv"),
        ("Mitt paket har inte kommit än", "sv"),
        ("我的包裹在哪里", "zh-hans"),
        ("包裹还没到,在哪里", "zh-hans"),
    ]

    groups = cluster(tfidf_vectors([Document(text, language) for text, language in texts]))

    assert groups == [[0, 1], [3, 4], [5, 6], [2]]


def test_empty_and_number_only_texts_are_left_out() -> None:
    vectors = tfidf_vectors([Document("", "en"), Document("12345 678", "en"),
                             Document("lamp broken", "en"), Document("lamp broken again", "en")])

    assert cluster(vectors) == [[2, 3]]


def test_paraphrases_of_one_question_mostly_share_a_cluster() -> None:
    """StackFAQ's dev queries are paraphrases labelled with the question they ask: the
    clusters (of two or more) should be mostly one question each."""
    queries = shared_data_dir() / "faq" / "stackfaq_queries_dev.jsonl"
    rows = [json.loads(line) for line in queries.read_text().splitlines()[:300]]
    groups = cluster(tfidf_vectors([Document(r["query"], "en") for r in rows]))
    multi = [g for g in groups if len(g) > 1]
    clustered = sum(len(g) for g in multi)
    majority = sum(Counter(rows[i]["relevant"] for i in g).most_common(1)[0][1] for g in multi)

    assert clustered >= 200
    assert majority / clustered >= 0.85


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Lamp Shop")


def test_search_gaps_list_unanswered_searches_and_those_followed_by_a_request(
    brand: Brand,
) -> None:
    def log(query: str, results: int, session: str = "") -> None:
        search_log_record(brand=brand, query=query, language="en", results_count=results,
                          session_key=session, source="help_centre")

    log("Gift wrapping", 0)
    log("gift   wrapping", 0)
    log("GIFT WRAPPING", 0)
    log("return lamp", 2, session="visit-that-wrote-us")
    log("return lamp", 2, session="visit-that-did-not")
    log("opening hours", 1)
    inbox = create_inbox(brand=brand)
    conversation = conversation_open(inbox=inbox, customer=create_customer(), subject="Return",
                                     content=MessageContent(text="I want to return it."))
    deflection_request_sent(session_key="visit-that-wrote-us", conversation=conversation)
    old = search_log_record(brand=brand, query="gift wrapping", language="en", results_count=0,
                            session_key="", source="help_centre")
    assert old is not None
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=60))
    now = timezone.now()

    gaps = search_gaps(brand=brand, start=now - timedelta(days=30), end=now + timedelta(days=1))

    assert [(g.query, g.searches, g.without_results, g.followed_by_contact) for g in gaps] == [
        ("gift wrapping", 3, 3, 0),
        ("return lamp", 1, 0, 1),
    ]
    assert gaps[0].examples == ["GIFT WRAPPING", "Gift wrapping"]


@pytest.fixture
def team_inbox(brand: Brand) -> Inbox:
    return create_inbox(brand=brand, team=create_team(name="Support"))


@pytest.fixture
def anna(team_inbox: Inbox) -> User:
    agent = create_agent(username="anna", display_name="Anna Berg")
    assert team_inbox.team is not None
    team_inbox.team.members.add(agent)
    return agent


def _ask(inbox: Inbox, subject: str, text: str, *, language: str = "en") -> Conversation:
    return conversation_open(inbox=inbox, customer=create_customer(), subject=subject,
                             content=MessageContent(text=text), language=language)


def test_question_clusters_count_and_show_examples(
    brand: Brand, team_inbox: Inbox, anna: User
) -> None:
    first = _ask(team_inbox, "Parcel not arrived", "Where is my parcel? It has not arrived.")
    second = _ask(team_inbox, "Where is my parcel", "My parcel has not arrived yet.")
    message_reply(conversation=second, author=anna,
                  content=MessageContent(text="It is at your local pickup point."))
    _ask(team_inbox, "Parcel", "The parcel has still not arrived, where is it?")
    _ask(team_inbox, "Invoice copy", "Can you send me a copy of my invoice?")
    _ask(team_inbox, "Invoice", "I need a copy of the invoice for my company.")
    _ask(team_inbox, "Gift card", "Do you sell gift cards?")
    hidden = create_inbox(brand=brand, team=create_team(name="VIP"))
    _ask(hidden, "Parcel missing", "Where is my parcel, it has not arrived")
    now = timezone.now()

    clusters = question_clusters(brand=brand, start=now - timedelta(days=1),
                                 end=now + timedelta(days=1), inbox_ids=[team_inbox.pk])

    assert [c.size for c in clusters] == [3, 2]
    parcels = clusters[0]
    assert parcels.examples[0].number == second.number  # answered ones first
    assert parcels.examples[0].answered is True
    assert {e.number for e in parcels.examples} >= {first.number, second.number}
    assert all("parcel" in (e.subject + e.excerpt).lower() for e in parcels.examples)
    assert {e.subject for e in clusters[1].examples} == {"Invoice copy", "Invoice"}
    everything = question_clusters(brand=brand, start=now - timedelta(days=1),
                                   end=now + timedelta(days=1), inbox_ids=None)
    assert [c.size for c in everything] == [4, 2]


def _agent_client(agent: User) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def test_an_answered_conversation_becomes_a_draft_article(
    brand: Brand, team_inbox: Inbox, anna: User
) -> None:
    conversation = _ask(team_inbox, "Kan jag byta färg på lampan?",
                        "Hej! Kan jag byta färg på lampan jag köpte?", language="sv")
    message_reply(conversation=conversation, author=anna,
                  content=MessageContent(text="Ja, du kan byta inom 30 dagar."))

    response = _agent_client(anna).post(
        reverse("knowledge:gap_draft", kwargs={"number": conversation.number})
    )

    article = Article.objects.get()
    translation = ArticleTranslation.objects.get(article=article)
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:edit", kwargs={"article_id": article.pk})
    assert (translation.language, translation.title) == ("sv", "Kan jag byta färg på lampan?")
    assert translation.body_markdown.startswith("Ja, du kan byta inom 30 dagar.")
    assert translation.status == TranslationStatus.DRAFT
    assert translation.is_public is False
    assert article.created_by == anna


def test_a_conversation_without_an_agent_reply_makes_no_draft(
    team_inbox: Inbox, anna: User
) -> None:
    conversation = _ask(team_inbox, "Question", "Is the lamp dimmable?")

    response = _agent_client(anna).post(
        reverse("knowledge:gap_draft", kwargs={"number": conversation.number}), follow=True
    )

    assert Article.objects.count() == 0
    assert "has no agent reply" in response.content.decode()


def test_another_teams_conversation_is_404_and_makes_nothing(brand: Brand, anna: User) -> None:
    other_inbox = create_inbox(brand=brand, team=create_team(name="VIP"))
    conversation = _ask(other_inbox, "Secret", "A question")

    response = _agent_client(anna).post(
        reverse("knowledge:gap_draft", kwargs={"number": conversation.number})
    )

    assert response.status_code == 404
    assert Article.objects.count() == 0


def test_the_gaps_page_shows_numbers_for_the_chosen_store(
    brand: Brand, team_inbox: Inbox, anna: User
) -> None:
    search_log_record(brand=brand, query="gift wrapping", language="en", results_count=0,
                      session_key="", source="help_centre")
    _ask(team_inbox, "Invoice copy", "Can you send me a copy of my invoice?")
    _ask(team_inbox, "Invoice", "I need a copy of the invoice for my company.")
    create_article(brand=brand, title="Invoices", body="Invoices are in your account.")

    response = _agent_client(anna).get(reverse("knowledge:gaps"), {"brand": brand.pk, "days": 7})

    html = response.content.decode()
    assert response.status_code == 200
    assert "gift wrapping" in html
    assert "Invoice copy" in html
    assert 'data-stat="suggested">0<' in html


def test_another_stores_gaps_are_404_and_its_name_is_not_offered(
    brand: Brand, team_inbox: Inbox, anna: User
) -> None:
    other_store = create_brand(name="Other Store")
    create_inbox(brand=other_store, team=create_team(name="Other team"))
    search_log_record(brand=other_store, query="secret project", language="en",
                      results_count=0, session_key="", source="help_centre")
    client = _agent_client(anna)

    chosen = client.get(reverse("knowledge:gaps"), {"brand": other_store.pk})
    default = client.get(reverse("knowledge:gaps")).content.decode()

    assert chosen.status_code == 404
    assert "secret project" not in chosen.content.decode()
    assert "Other Store" not in default
    assert f'<option value="{brand.pk}" selected>{brand.name}</option>' in default
    assert '<option value="30" selected>' in default  # the period the figures are for


def test_an_agent_serving_no_store_sees_no_stores_questions(brand: Brand) -> None:
    search_log_record(brand=brand, query="gift wrapping", language="en", results_count=0,
                      session_key="", source="help_centre")
    loner = create_agent(username="loner")

    html = _agent_client(loner).get(reverse("knowledge:gaps")).content.decode()

    assert "gift wrapping" not in html
    assert "None of your teams serves a store yet." in html


def test_the_gaps_page_needs_an_agent(brand: Brand) -> None:
    response = Client().get(reverse("knowledge:gaps"))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
