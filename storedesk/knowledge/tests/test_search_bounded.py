"""Bounded scoring (search/bounded.py) and the cheaper hit building, on both databases.

The row budget is lowered to a few rows so a small knowledge base takes the bounded path
that a large one takes with the shipped budget.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.knowledge.models import Article, ArticleTranslation
from storedesk.knowledge.search import search_articles
from storedesk.knowledge.search.backends import backend
from storedesk.knowledge.search.bounded import Plan, plan
from storedesk.knowledge.search.query import ParsedQuery
from storedesk.knowledge.tests.factories import create_article


def _never(_groups: Sequence[int]) -> int:
    raise AssertionError("not asked when every row is scored")


def test_every_row_is_scored_while_few_match() -> None:
    assert plan(
        [3, 4], budget=10, documents=1000, enough=5, anywhere=lambda: 99, together=_never
    ) == Plan(rare=(0, 1), common=(), exact=True)
    # A brand with no more translations than the budget is always scored in full.
    assert plan(
        [8, 9], budget=10, documents=10, enough=5, anywhere=lambda: 99, together=_never
    ).exact
    # Overlapping words: the rows matching any of them are what counts.
    assert plan(
        [8, 9], budget=10, documents=1000, enough=5, anywhere=lambda: 9, together=_never
    ).exact


def test_rare_words_keep_their_rows_and_common_ones_must_occur_together() -> None:
    asked: list[tuple[int, ...]] = []

    def together(groups: Sequence[int]) -> int:
        asked.append(tuple(groups))
        return 1 if len(groups) > 2 else 7

    chosen = plan(
        [900, 2, 40, 600, 700],
        budget=100,
        documents=10_000,
        enough=5,
        anywhere=lambda: 101,
        together=together,
    )
    # Rarest first while their rows fit in half the budget; the most common word is
    # dropped from the combination until enough rows hold all of the rest.
    assert chosen == Plan(rare=(1, 2), common=(3, 4), exact=False)
    assert asked == [(3, 4, 0), (3, 4)]


def test_a_one_letter_word_being_typed_is_matched_as_a_word() -> None:
    typed = ParsedQuery(words=["where", "can", "i"], languages=["en"], prefix=True)
    assert typed.prefix_word is None
    assert typed.complete_words == ["where", "can", "i"]
    assert ParsedQuery(words=["where", "ca"], languages=["en"], prefix=True).prefix_word == "ca"


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Nordic Bounded", default_language="en")


@pytest.fixture
def crowded(brand: Brand) -> dict[str, Article]:
    """Eight articles about orders and delivery, one naming a product."""
    found = {
        f"plain{i}": create_article(
            brand=brand,
            title=f"Order delivery note {i}",
            body="Your order ships from our warehouse; delivery takes a few days.",
        )
        for i in range(6)
    }
    found["product"] = create_article(
        brand=brand,
        title="Zeppelin lamp order",
        body="The Zeppelin lamp ships separately from the rest of your order.",
    )
    found["together"] = create_article(
        brand=brand,
        title="Order delivery time",
        body="How long an order takes: delivery time is two days, order tracking included.",
    )
    return found


@pytest.mark.django_db
def test_bounded_scoring_keeps_the_rare_word_and_the_full_matches(
    brand: Brand, crowded: dict[str, Article], monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = {
        query: [h.article_id for h in search_articles(brand, query)]
        for query in ("zeppelin order delivery", "order delivery time")
    }
    monkeypatch.setattr(backend(), "SCORED_ROWS", 4)
    bounded = search_articles(brand, "zeppelin order delivery")
    assert bounded[0].article_id == crowded["product"].pk == exact["zeppelin order delivery"][0]
    assert search_articles(brand, "order delivery time")[0].article_id == crowded["together"].pk
    assert exact["order delivery time"][0] == crowded["together"].pk


@pytest.mark.django_db
def test_hit_urls_are_the_articles_own(brand: Brand) -> None:
    create_article(
        brand=brand, language="zh-hans", title="如何申请退款", body="退款会退回原支付方式。"
    )
    create_article(brand=brand, title="Refunds & returns (EU)", body="A refund takes five days.")
    hits = search_articles(brand, "退款") + search_articles(brand, "refund")
    assert len(hits) == 2
    for hit in hits:
        translation = ArticleTranslation.objects.get(pk=hit.translation_id)
        assert hit.url == translation.get_absolute_url()
