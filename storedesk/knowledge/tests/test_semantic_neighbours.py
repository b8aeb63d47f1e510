"""Semantic nearest neighbours added to the text candidates (search/neighbours.py), with the
real packaged model: what they find, and what customers must never get through them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace

import pytest

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.knowledge.enums import Audience, Visibility
from storedesk.knowledge.models import Article
from storedesk.knowledge.search import neighbours, search_articles, semantic
from storedesk.knowledge.search.ranking import DEFAULT_WEIGHTS
from storedesk.knowledge.services.articles import article_update, translation_unpublish
from storedesk.knowledge.tests.factories import create_article

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not semantic.available(), reason="the semantic extra is not installed"),
]

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
# Shares "parcel" with the tracking article only; the refund articles share no word with it.
QUERY = "when do I get reimbursed for the parcel"
WITH_NEIGHBOURS = replace(DEFAULT_WEIGHTS, title_weight=1.0)
WITHOUT_NEIGHBOURS = replace(WITH_NEIGHBOURS, semantic_neighbours=0)
REFUND_BODY = "Money is returned to your card within five days."


@pytest.fixture(autouse=True)
def _no_matrix_of_another_test() -> Iterator[None]:
    # SQLite reuses the primary keys of rolled-back rows: a brand id may come back.
    neighbours.clear()
    yield
    neighbours.clear()


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Nordic Gear", default_language="en")


def _articles(brand: Brand, capture: CaptureOnCommit) -> dict[str, Article]:
    """Embedded on commit, as the task does after each save."""
    with capture(execute=True):
        return {
            "tracking": create_article(
                brand=brand,
                title="Tracking a parcel",
                body="Follow your parcel with the tracking link in the shipping email.",
            ),
            "refund": create_article(brand=brand, title="Refunds", body=REFUND_BODY),
            "internal": create_article(
                brand=brand,
                title="Refunds: the phone team's checklist",
                body=REFUND_BODY + " Confirm the card number by phone.",
                visibility=Visibility.INTERNAL,
            ),
            "draft": create_article(
                brand=brand, title="Refunds (new)", body=REFUND_BODY, publish=False
            ),
        }


def _found(brand: Brand, audience: str = Audience.PUBLIC) -> list[int]:
    hits = search_articles(brand, QUERY, audience=audience, weights=WITH_NEIGHBOURS)
    return [hit.article_id for hit in hits]


def test_an_answer_sharing_no_word_with_the_question_is_found_by_meaning(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    articles = _articles(brand, django_capture_on_commit_callbacks)
    text_only = search_articles(brand, QUERY, weights=WITHOUT_NEIGHBOURS)
    assert [hit.article_id for hit in text_only] == [articles["tracking"].pk]

    found = _found(brand)

    assert set(found) == {articles["refund"].pk, articles["tracking"].pk}


def test_customers_never_get_internal_articles_or_drafts_through_neighbours(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    articles = _articles(brand, django_capture_on_commit_callbacks)

    public = set(_found(brand))
    agents = set(_found(brand, Audience.INTERNAL))

    assert public == {articles["refund"].pk, articles["tracking"].pk}
    assert agents == {articles["refund"].pk, articles["tracking"].pk, articles["internal"].pk}


def test_an_article_hidden_after_the_matrix_was_read_is_not_shown(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    articles = _articles(brand, django_capture_on_commit_callbacks)
    assert articles["refund"].pk in _found(brand)  # the brand's matrix is now in memory
    translation = articles["refund"].translations.get()

    translation_unpublish(translation=translation, actor=None)
    assert _found(brand) == [articles["tracking"].pk]

    article_update(article=articles["tracking"], actor=None, visibility=Visibility.INTERNAL)
    assert _found(brand) == []


def test_a_new_article_is_a_neighbour_once_it_is_embedded(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        tracking = create_article(
            brand=brand, title="Tracking a parcel", body="Follow your parcel with the link."
        )
    assert _found(brand) == [tracking.pk]  # the matrix is read

    with django_capture_on_commit_callbacks(execute=True):
        refund = create_article(brand=brand, title="Refunds", body=REFUND_BODY)

    assert set(_found(brand)) == {refund.pk, tracking.pk}


def test_a_question_sharing_no_word_with_any_article_finds_nothing(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    _articles(brand, django_capture_on_commit_callbacks)
    assert search_articles(brand, "qwzx vbnm", weights=WITH_NEIGHBOURS) == []


def test_a_brand_past_the_vector_cap_keeps_to_text_candidates(
    brand: Brand,
    django_capture_on_commit_callbacks: CaptureOnCommit,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    articles = _articles(brand, django_capture_on_commit_callbacks)
    monkeypatch.setattr(neighbours, "MAX_VECTORS", 3)  # the brand has 4 embedded

    assert _found(brand) == [articles["tracking"].pk]


def test_the_matrices_of_a_process_hold_at_most_the_cap(
    django_capture_on_commit_callbacks: CaptureOnCommit, monkeypatch: pytest.MonkeyPatch
) -> None:
    brands = [create_brand(name=f"Shop {n}", default_language="en") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        for shop in brands:
            create_article(brand=shop, title="Refunds", body=REFUND_BODY)
            create_article(brand=shop, title="Tracking a parcel", body="Follow your parcel.")
    monkeypatch.setattr(neighbours, "MAX_VECTORS", 5)

    for shop in brands:
        assert len(_found(shop)) == 2

    assert list(neighbours._matrices) == [brands[1].pk, brands[2].pk]
