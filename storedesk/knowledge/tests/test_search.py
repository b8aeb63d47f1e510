"""The shared search tests: the same expectations on SQLite (FTS5) and PostgreSQL.

Run on each database by choosing it with DATABASE_URL; nothing here is backend-specific.
"""

from __future__ import annotations

import pytest

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.knowledge.enums import Audience, Visibility
from storedesk.knowledge.models import Article
from storedesk.knowledge.search import search_articles
from storedesk.knowledge.services.articles import translation_save, translation_unpublish
from storedesk.knowledge.services.usefulness import article_vote_record
from storedesk.knowledge.tests.factories import add_translation, create_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Nordic Gear", default_language="en")


@pytest.fixture
def library(brand: Brand) -> dict[str, Article]:
    """A small multilingual knowledge base; every test searches among all of it."""
    returns = create_article(
        brand=brand,
        title="Returning an order",
        body="You can return any order within 30 days. Print the label and drop the parcel off.",
    )
    add_translation(
        returns,
        language="sv",
        title="Returnera en beställning",
        body="Du kan returnera din beställning inom 30 dagar. Skriv ut etiketten, lämna paketet.",
    )
    delivery = create_article(
        brand=brand,
        title="Delivery times",
        body="Parcels are delivered within three working days. Express delivery takes one day.",
    )
    add_translation(
        delivery,
        language="ru",
        title="Сроки доставки",
        body="Мы доставляем заказы за три рабочих дня. Экспресс-доставка занимает один день.",
    )
    add_translation(
        delivery,
        language="zh-hans",
        title="配送时间",
        body="我们会在三个工作日内配送您的订单。加急配送只需一天。",
    )
    refund = create_article(
        brand=brand,
        language="zh-hans",
        title="如何申请退款",
        body="您可以在三十天内申请退货和退款，退款会退回原支付方式。",
    )
    warranty = create_article(
        brand=brand,
        title="Warranty claims",
        body="Our warranty covers manufacturing faults for two years from purchase.",
    )
    klarna = create_article(
        brand=brand,
        title="Paying with a Klarna invoice",
        body="Choose Klarna at checkout and pay the invoice within 14 days.",
    )
    internal = create_article(
        brand=brand,
        title="Phone team: warranty exceptions",
        body="Internal note: approve warranty claims for damaged zippers without photos.",
        visibility=Visibility.INTERNAL,
    )
    draft = create_article(
        brand=brand,
        title="Warranty for gift cards",
        body="Unfinished: gift card warranty rules.",
        publish=False,
    )
    return {
        "returns": returns,
        "delivery": delivery,
        "refund": refund,
        "warranty": warranty,
        "klarna": klarna,
        "internal": internal,
        "draft": draft,
    }


def _top(brand: Brand, query: str, **options: object) -> tuple[int, str]:
    hits = search_articles(brand, query, **options)  # type: ignore[arg-type]
    assert hits, f"nothing found for {query!r}"
    return hits[0].article_id, hits[0].language


@pytest.mark.parametrize(
    ("query", "key", "language"),
    [
        ("returns", "returns", "en"),  # English stem: returns -> return
        ("printing labels", "returns", "en"),
        ("beställningar", "returns", "sv"),  # Swedish plural -> beställning
        ("returnerade", "returns", "sv"),
        ("заказов", "delivery", "ru"),  # Russian genitive plural -> заказ
        ("доставку", "delivery", "ru"),  # Russian accusative -> доставк
        ("配送", "delivery", "zh-hans"),
        ("怎么退款", "refund", "zh-hans"),  # jieba: 怎么 / 退款
        ("退货", "refund", "zh-hans"),
    ],
)
def test_inflections_and_chinese(
    brand: Brand, library: dict[str, Article], query: str, key: str, language: str
) -> None:
    assert _top(brand, query) == (library[key].pk, language)


@pytest.mark.parametrize(
    ("query", "key"),
    [("delivry", "delivery"), ("waranty claim", "warranty"), ("klarnna", "klarna")],
)
def test_typos_find_the_article(
    brand: Brand, library: dict[str, Article], query: str, key: str
) -> None:
    hits = search_articles(brand, query)
    assert hits[0].article_id == library[key].pk
    assert hits[0].corrected is True


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("deliv", "delivery"),
        ("how to ret", "returns"),
        ("bestäl", "returns"),
        ("достав", "delivery"),
    ],
)
def test_prefix_matches_the_word_being_typed(
    brand: Brand, library: dict[str, Article], query: str, key: str
) -> None:
    assert _top(brand, query, prefix=True)[0] == library[key].pk
    assert all(h.article_id != library[key].pk for h in search_articles(brand, "zzqx"))


def test_query_language_decides_the_translation(brand: Brand, library: dict[str, Article]) -> None:
    english = search_articles(brand, "return my order within 30 days")[0]
    swedish = search_articles(brand, "returnera min beställning inom 30 dagar")[0]
    assert (english.article_id, english.language) == (library["returns"].pk, "en")
    assert (swedish.article_id, swedish.language) == (library["returns"].pk, "sv")
    assert swedish.language_match is True
    assert [h.article_id for h in search_articles(brand, "returnera")].count(
        library["returns"].pk
    ) == 1


def test_a_hint_decides_only_unclear_queries(brand: Brand, library: dict[str, Article]) -> None:
    # One word is too little to tell Swedish from English; the page's language decides.
    assert search_articles(brand, "retur", language_hint="sv")[0].language == "sv"
    assert search_articles(brand, "retur", language_hint="en")[0].language == "en"
    # A clear sentence keeps its own language whatever the hint.
    hit = search_articles(brand, "return my order within 30 days", language_hint="sv")[0]
    assert hit.language == "en"


def test_answers_in_other_languages_are_still_found(
    brand: Brand, library: dict[str, Article]
) -> None:
    # Swedish question, the only answer is written in English.
    hit = search_articles(brand, "hur betalar jag med klarna faktura")[0]
    assert (hit.article_id, hit.language, hit.language_match) == (library["klarna"].pk, "en", False)
    # A Chinese word inside an English sentence finds the article written only in Chinese.
    assert _top(brand, "what about 退款 please")[0] == library["refund"].pk


def test_customers_never_get_internal_articles_or_drafts(
    brand: Brand, library: dict[str, Article]
) -> None:
    public = {h.article_id for h in search_articles(brand, "warranty claims")}
    internal = {
        h.article_id for h in search_articles(brand, "warranty claims", audience=Audience.INTERNAL)
    }
    assert public == {library["warranty"].pk}
    assert internal == {library["warranty"].pk, library["internal"].pk}
    for query in ("zippers", "phone team", "gift cards"):
        assert search_articles(brand, query) == []
    assert search_articles(brand, "gift cards", audience=Audience.INTERNAL) == []


def test_other_brands_articles_are_not_found(brand: Brand, library: dict[str, Article]) -> None:
    other = create_brand(name="Other shop")
    create_article(brand=other, title="Warranty elsewhere", body="Another store's warranty.")
    assert {h.article_id for h in search_articles(other, "warranty")} != {library["warranty"].pk}
    assert {h.article_id for h in search_articles(brand, "elsewhere")} == set()


def test_usefulness_breaks_ties(brand: Brand) -> None:
    first = create_article(brand=brand, title="Gift wrapping", body="We wrap gifts for free.")
    second = create_article(brand=brand, title="Gift wrapping", body="We wrap gifts for free.")
    assert [h.article_id for h in search_articles(brand, "gift wrapping")] == [first.pk, second.pk]
    for _ in range(3):
        article_vote_record(article=second, helpful=True)
    hits = search_articles(brand, "gift wrapping")
    assert [h.article_id for h in hits] == [second.pk, first.pk]
    assert hits[0].usefulness > hits[1].usefulness == 0.0


def test_index_follows_edits_and_unpublishing(brand: Brand, library: dict[str, Article]) -> None:
    warranty = library["warranty"]
    translation = warranty.translations.get(language="en")
    translation_save(
        article=warranty,
        actor=None,
        language="en",
        title="Guarantee claims",
        body_markdown="Our guarantee covers faults for two years.",
    )
    assert search_articles(brand, "manufacturing") == []
    assert _top(brand, "guarantee")[0] == warranty.pk
    translation.refresh_from_db()
    translation_unpublish(translation=translation, actor=None)
    assert search_articles(brand, "guarantee") == []


def test_snippets_are_escaped_and_highlighted(brand: Brand) -> None:
    create_article(
        brand=brand,
        title="Coupons",
        body="Type <script>alert(1)</script> nothing; enter the coupon code at checkout & save.",
    )
    hit = search_articles(brand, "coupon codes")[0]
    assert "<script>" not in hit.snippet
    assert "<mark>coupon</mark> <mark>code</mark>" in hit.snippet
    assert "&amp; save" in hit.snippet
    assert hit.url.endswith(f"/articles/{hit.article_id}-coupons/")


def test_empty_and_symbol_queries_find_nothing(brand: Brand, library: dict[str, Article]) -> None:
    for query in ("", "   ", "*", '"', "AND OR NOT", "(", "'"):
        assert isinstance(search_articles(brand, query), list)
    assert search_articles(brand, '" OR 1=1 --') == []


def test_words_inside_web_addresses_are_found(brand: Brand) -> None:
    # Both backends split text the same way (analysis.words): PostgreSQL's own parser keeps
    # "docs.google.com" and "mail.google.com" whole, so "google" or "mail" missed them.
    sheets = create_article(brand=brand, title="Sharing a sheet",
                            body="Open docs.google.com/spreadsheets and press Share.")
    webmail = create_article(brand=brand, title="Receipts",
                             body="Your receipts are in your inbox at mail.google.com too.")
    assert _top(brand, "google spreadsheets")[0] == sheets.pk
    assert _top(brand, "google mail")[0] == webmail.pk
    assert _top(brand, "shar", prefix=True)[0] == sheets.pk  # a word being typed
