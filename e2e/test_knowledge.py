"""The knowledge base where customers and agents meet it, through the real server and
browser: suggestions as a customer types on the contact form and in the help centre (in
English and Swedish), and an agent putting an article into a reply from the composer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import create_customer_conversation, create_desk, create_web_form_inbox, sign_in
from playwright.sync_api import BrowserContext, Page, expect

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.messages import MessageContent, message_reply
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, ArticleUse, DeflectionSession
from storedesk.knowledge.tests.factories import add_translation, create_article

TITLES = {"en": "How do I return a lamp?", "sv": "Hur returnerar jag en lampa?"}
TYPED = {"en": "return the lamp", "sv": "returnera lampan"}
INTERNAL_TITLE = "Phone script: lamp returns"


@dataclass(frozen=True)
class Shop:
    brand: Brand
    article: Article
    agent: User
    conversation: Conversation  # a Swedish customer's question


@pytest.fixture(scope="module")
def shop(live_url: str) -> Shop:
    desk = create_desk(agent_names=["Klara Holm"])
    brand = create_web_form_inbox(inbox=desk.inbox).brand
    article = create_article(
        brand=brand, title=TITLES["en"],
        body="Pack the lamp in its box and send it back within 30 days. We refund you in 5 days.",
    )
    add_translation(
        article, language="sv", title=TITLES["sv"],
        body="Packa lampan i kartongen och skicka tillbaka den inom 30 dagar.",
    )
    create_article(brand=brand, title=INTERNAL_TITLE, visibility=Visibility.INTERNAL,
                   body="Internal: lamp returns above 500 need manager code 4711.")
    conversation = create_customer_conversation(
        inbox=desk.inbox, subject="Retur", text="Hur returnerar jag lampan jag köpte?"
    )
    Conversation.objects.filter(pk=conversation.pk).update(language="sv")
    conversation.refresh_from_db()
    return Shop(brand=brand, article=article, agent=desk.agents[0], conversation=conversation)


def _guest(new_context: Callable[..., BrowserContext], live_url: str, language: str) -> Page:
    context = new_context()
    context.add_cookies([{"name": "django_language", "value": language, "url": live_url}])
    return context.new_page()


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_contact_form_suggests_articles_as_the_customer_types(
    language: str, shop: Shop, new_context: Callable[..., BrowserContext], live_url: str,
    screenshot: Callable[..., Path],
) -> None:
    page = _guest(new_context, live_url, language)
    page.goto(f"/portal/{shop.brand.slug}/contact/")
    page.fill("#id_name", "Ada Lovelace")
    page.fill("#id_email", f"ada-{language}@example.com")
    page.locator("#id_subject").press_sequentially(TYPED[language], delay=40)

    suggestion = page.locator(".kb-suggest__item")
    expect(suggestion).to_have_count(1)
    expect(suggestion.locator(".kb-suggest__title")).to_have_text(TITLES[language])
    expect(page.locator(".kb-suggest")).not_to_contain_text(INTERNAL_TITLE)
    expect(page.locator(".kb-suggest__snippet mark").first).to_be_visible()

    suggestion.locator("summary").click()
    page.locator("[data-kb-answered]").click()
    expect(page.locator("[data-kb-thanks]")).to_be_visible()
    screenshot(page, language)
    key = page.locator("input[name=kb_session]").input_value()
    session = DeflectionSession.objects.get(key=key)
    assert session.opened_at is not None
    assert session.answered_at is not None
    assert session.request_sent_at is None

    # Still one click to a human: the request goes through, and is counted against the visit.
    page.fill("#id_message", "I would still like to talk to someone.")
    page.locator("form.p-form button[type=submit]").click()
    page.wait_for_url("**/contact/thanks/**")
    sent = DeflectionSession.objects.get(key=key)
    assert sent.request_sent_at is not None
    assert sent.conversation is not None


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_help_centre_suggests_articles_as_the_customer_types(
    language: str, shop: Shop, new_context: Callable[..., BrowserContext], live_url: str,
    screenshot: Callable[..., Path],
) -> None:
    page = _guest(new_context, live_url, language)
    page.goto(f"/help/{shop.brand.slug}/{language}/")
    page.locator("#kb-q").press_sequentially(TYPED[language][:-2], delay=40)

    results = page.locator("#kb-suggestions li")
    # The server's first search loads the language-detection model (seconds, once).
    expect(results).to_have_count(1, timeout=20_000)
    expect(results.locator("a")).to_have_text(TITLES[language])
    expect(page.locator("#kb-suggestions")).not_to_contain_text(INTERNAL_TITLE)
    screenshot(page, language)
    results.locator("a").click()
    expect(page.locator("h1")).to_have_text(TITLES[language])


def test_an_agent_inserts_an_article_into_a_reply_in_the_customers_language(
    shop: Shop, new_context: Callable[..., BrowserContext], live_url: str,
    screenshot: Callable[..., Path],
) -> None:
    page = new_context().new_page()
    sign_in(page, shop.agent.username)
    page.goto(f"/conversations/{shop.conversation.number}/")

    page.locator("#reply-form [data-kb-quick-open]").click()
    panel = page.locator("#kb-quick")
    expect(panel).to_be_visible()
    page.locator("#kb-quick-q").press_sequentially("lamp", delay=40)
    hits = panel.locator(".kb-quick__hit")
    expect(hits).to_have_count(2)
    internal = hits.filter(has_text=INTERNAL_TITLE)
    expect(internal.locator(".badge--internal")).to_be_visible()
    expect(internal.locator("[data-kb-insert]")).to_have_count(0)
    screenshot(page, "panel")

    public = hits.filter(has_text=TITLES["sv"])
    public.locator("[data-kb-insert=link]").click()
    expect(panel).to_be_hidden()
    swedish = shop.article.translations.get(language="sv")
    # The server's BASE_URL is its own address.
    link = f"{live_url}{swedish.get_absolute_url()}"
    expect(page.locator("#reply-form textarea")).to_have_value(f"{TITLES['sv']}\n{link}")
    screenshot(page, "composer")
    assert ArticleUse.objects.get(article=shop.article).conversation_id == shop.conversation.pk

    page.locator("#reply-form button[type=submit]").click()
    expect(page.locator("#timeline")).to_contain_text(link)
    reply = shop.conversation.messages.filter(kind=MessageKind.OUTBOUND).get()
    assert link in reply.text


def test_the_content_gaps_page_turns_an_answered_question_into_a_draft(
    shop: Shop, new_context: Callable[..., BrowserContext], screenshot: Callable[..., Path],
) -> None:
    desk_inbox = shop.conversation.inbox
    for subject, text in [
        ("Invoice copy", "Can you send me a copy of my invoice?"),
        ("Invoice needed", "I need a copy of the invoice for my company."),
    ]:
        create_customer_conversation(inbox=desk_inbox, subject=subject, text=text)
    asked = create_customer_conversation(
        inbox=desk_inbox, subject="Copy of invoice", text="Please send a copy of the invoice."
    )
    message_reply(conversation=asked, author=shop.agent,
                  content=MessageContent(text="You find every invoice under My orders."))
    page = new_context().new_page()
    sign_in(page, shop.agent.username)

    page.goto(f"/knowledge/gaps/?brand={shop.brand.pk}")
    cluster = page.locator(".kb-cluster").filter(has_text="Invoice")
    expect(cluster.locator(".badge")).to_have_text("3")
    screenshot(page, "en")
    cluster.get_by_role("button", name="Make a draft article").click()

    page.wait_for_url("**/knowledge/**/")
    draft = Article.objects.filter(brand=shop.brand).order_by("-pk").first()
    assert draft is not None
    translation = draft.translations.get()
    assert translation.title == "Copy of invoice"
    assert translation.body_markdown.startswith("You find every invoice under My orders.")
    assert not translation.is_public
