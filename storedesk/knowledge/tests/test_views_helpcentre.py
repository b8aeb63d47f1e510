from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article
from storedesk.knowledge.services.articles import article_update
from storedesk.knowledge.services.usefulness import article_vote_record
from storedesk.knowledge.tests.factories import add_translation, create_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Nordic Gear", default_language="en")


def _url(brand: Brand, language: str, article: Article) -> str:
    translation = article.translations.get(language=language)
    return f"/help/{brand.slug}/{language}/articles/{article.pk}-{translation.slug}/"


def test_home_lists_the_most_useful_public_articles_first(client: Client, brand: Brand) -> None:
    plain = create_article(brand=brand, title="Opening hours", body="We are open daily.")
    loved = create_article(brand=brand, title="Size guide", body="Find your size.")
    create_article(
        brand=brand, title="Secret phone script", body="x", visibility=Visibility.INTERNAL
    )
    create_article(brand=brand, title="Unpublished idea", body="x", publish=False)
    article_vote_record(article=loved, helpful=True)
    response = client.get(f"/help/{brand.slug}/en/")
    assert response.status_code == 200
    listed = [int(n) for n in re.findall(r'data-article="(\d+)"', response.content.decode())]
    assert listed == [loved.pk, plain.pk]
    assert b"Secret phone script" not in response.content
    assert b"Unpublished idea" not in response.content


def test_home_falls_back_to_the_default_language(client: Client, brand: Brand) -> None:
    both = create_article(brand=brand, title="Returns", body="Return within 30 days.")
    add_translation(both, language="sv", title="Returer", body="Returnera inom 30 dagar.")
    create_article(brand=brand, title="Only English", body="Nothing in Swedish yet.")
    page = client.get(f"/help/{brand.slug}/sv/").content.decode()
    assert "Returer" in page
    assert "Only English" in page
    assert ">Returns<" not in page


def test_home_query_count_does_not_grow_with_articles(
    client: Client, brand: Brand, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(12):
        article = create_article(brand=brand, title=f"Question {n}", body="Answer.")
        add_translation(article, language="sv", title=f"Fråga {n}", body="Svar.")
    with django_assert_max_num_queries(8):
        assert client.get(f"/help/{brand.slug}/sv/").status_code == 200


def test_article_page_counts_views_and_offers_a_human(client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="Delivery", body="We ship **fast**.")
    response = client.get(_url(brand, "en", article))
    assert response.status_code == 200
    assert b"<strong>fast</strong>" in response.content
    assert b"Was this helpful?" in response.content
    assert b'data-contact="form"' in response.content
    article.refresh_from_db()
    assert article.view_count == 1


def test_article_in_a_missing_language_shows_the_default_one(client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="Delivery", body="We ship fast.")
    slug = article.translations.get().slug
    response = client.get(f"/help/{brand.slug}/ru/articles/{article.pk}-{slug}/")
    assert response.status_code == 200
    assert b'class="p-alert kb-fallback"' in response.content
    assert b'lang="en"' in response.content


def test_wrong_slug_redirects_to_the_canonical_url(client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="Delivery", body="We ship fast.")
    response = client.get(f"/help/{brand.slug}/en/articles/{article.pk}-old-name/")
    assert response.status_code == 301
    assert response["Location"] == _url(brand, "en", article)


@pytest.mark.parametrize("case", ["internal", "draft", "other_brand", "became_internal"])
def test_customers_never_reach_hidden_articles(client: Client, brand: Brand, case: str) -> None:
    owner = create_brand(name="Other") if case == "other_brand" else brand
    article = create_article(
        brand=owner,
        title="Hidden",
        body="Agents only.",
        visibility=Visibility.INTERNAL if case == "internal" else Visibility.PUBLIC,
        publish=case != "draft",
    )
    if case == "became_internal":
        article_update(article=article, actor=None, visibility=Visibility.INTERNAL)
    slug = article.translations.get().slug
    assert client.get(f"/help/{brand.slug}/en/articles/{article.pk}-{slug}/").status_code == 404
    assert client.post(f"/help/{brand.slug}/en/articles/{article.pk}/vote/").status_code == 404
    assert b"Hidden" not in client.get(f"/help/{brand.slug}/en/search/?q=hidden").content
    assert b"Hidden" not in client.get(f"/help/{brand.slug}/en/").content
    assert f"/{article.pk}-".encode() not in client.get(f"/help/{brand.slug}/sitemap.xml").content
    article.refresh_from_db()
    assert article.view_count == 0
    assert article.helpful_count == 0


def test_vote_counts_once_per_visitor(client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="Delivery", body="We ship fast.")
    url = f"/help/{brand.slug}/en/articles/{article.pk}/vote/"
    assert client.post(url, {"helpful": "yes"}).status_code == 200
    response = client.post(url, {"helpful": "no"})
    assert b"Thanks for your feedback" in response.content
    article.refresh_from_db()
    assert (article.helpful_count, article.unhelpful_count) == (1, 0)
    assert article.usefulness_ref > 0


def test_search_page_and_as_you_type_partial(client: Client, brand: Brand) -> None:
    create_article(brand=brand, title="Delivery times", body="Parcels arrive in three days.")
    page = client.get(f"/help/{brand.slug}/en/search/", {"q": "delivery"})
    assert page.status_code == 200
    assert b"<mark>Delivery</mark>" in page.content or b"Delivery times" in page.content
    partial = client.get(f"/help/{brand.slug}/en/search/", {"q": "parc"}, HTTP_HX_REQUEST="true")
    assert b"Delivery times" in partial.content
    assert b"<html" not in partial.content
    assert b"<mark>Parcels</mark>" in partial.content


def test_sitemap_lists_public_published_translations(client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="Returns", body="Return within 30 days.")
    add_translation(article, language="sv", title="Returer", body="Returnera inom 30 dagar.")
    add_translation(article, language="ru", title="Возврат", body="Черновик.", publish=False)
    response = client.get(f"/help/{brand.slug}/sitemap.xml")
    assert response["Content-Type"] == "application/xml"
    locs = re.findall(r"<loc>([^<]+)</loc>", response.content.decode())
    assert locs == [
        f"http://testserver{_url(brand, 'en', article)}",
        f"http://testserver{_url(brand, 'sv', article)}",
    ]


def test_unknown_brand_or_language_is_404(client: Client, brand: Brand) -> None:
    assert client.get("/help/no-such-shop/en/").status_code == 404
    assert client.get(f"/help/{brand.slug}/xx/").status_code == 404
    assert client.get(f"/help/{brand.slug}/").status_code == 302
