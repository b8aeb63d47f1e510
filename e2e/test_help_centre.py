"""The help centre and the article editor in a real browser: reading, voting with htmx,
the language fallback, and an agent's live Markdown preview."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers import create_desk, create_web_form_inbox, sign_in
from playwright.sync_api import Page, expect

from storedesk.knowledge.models import Article
from storedesk.knowledge.services.articles import category_save
from storedesk.knowledge.tests.factories import add_translation, create_article


def test_a_customer_reads_votes_and_finds_a_human(
    page: Page, live_url: str, screenshot: Callable[..., Path]
) -> None:
    brand = create_web_form_inbox(inbox=create_desk(agent_names=["Ida Ek"]).inbox).brand
    category = category_save(
        brand=brand, slug="delivery", names={"en": "Delivery", "sv": "Leverans"}
    )
    article = create_article(
        brand=brand,
        title="When does my parcel arrive?",
        body="Arrives in **2-4 working days**.\n\n| Country | Days |\n|---|---|\n| SE | 2-4 |",
        category=category,
    )
    add_translation(
        article, language="sv", title="När kommer mitt paket?", body="Inom **2–4 arbetsdagar**."
    )
    page.goto(f"/help/{brand.slug}/sv/")
    page.get_by_role("link", name="När kommer mitt paket?").click()
    expect(page.locator("h1")).to_have_text("När kommer mitt paket?")
    page.locator(".kb-vote button[value=yes]").click()
    expect(page.locator("#kb-vote [data-voted]")).to_be_visible()
    expect(page.locator("#kb-vote form")).to_have_count(0)
    expect(page.locator("[data-contact=form]")).to_be_visible()
    screenshot(page, "sv")
    article.refresh_from_db()
    assert (article.view_count, article.helpful_count) == (1, 1)

    page.goto(f"/help/{brand.slug}/ru/articles/{article.pk}-x/")
    expect(page.locator(".kb-fallback")).to_be_visible()
    expect(page.locator("h1")).to_have_text("When does my parcel arrive?")
    expect(page.locator(".kb-body table")).to_be_visible()
    screenshot(page, "ru")


def test_an_agent_writes_with_a_live_preview_and_publishes(
    page: Page, live_url: str, screenshot: Callable[..., Path]
) -> None:
    desk = create_desk(agent_names=["Nils Berg"])
    brand = desk.inbox.brand
    sign_in(page, desk.agents[0].username)
    page.goto("/knowledge/new/")
    page.select_option("#id_brand", str(brand.pk))
    page.fill("#id_title", "Gift cards")
    page.fill("#id_body_markdown", "Gift cards are valid for **two years**. <script>x</script>")
    expect(page.locator("#kb-preview strong")).to_have_text("two years")
    expect(page.locator("#kb-preview")).to_contain_text("<script>x</script>")
    page.locator("main form.card button[type=submit]").click()
    page.locator("button[name=action][value=publish]").click()
    expect(page.locator("[data-status=published]")).to_be_visible()
    screenshot(page)
    article = Article.objects.get(brand=brand)
    page.goto(article.translations.get().get_absolute_url())
    expect(page.locator(".kb-body strong")).to_have_text("two years")
