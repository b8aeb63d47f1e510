from __future__ import annotations

import pytest

from storedesk.brands.tests.factories import create_brand
from storedesk.demo.knowledge import KETTLE, NORDLYS, knowledge_load
from storedesk.knowledge.models import Article, ArticleTranslation
from storedesk.knowledge.search import search_articles

pytestmark = pytest.mark.django_db


def test_demo_articles_load_once_and_are_searchable() -> None:
    brands = {"nordlys": create_brand(name="Nordlys"), "kettle": create_brand(name="Kettle")}
    assert knowledge_load(brands, author=None) == len(NORDLYS) + len(KETTLE)
    assert knowledge_load(brands, author=None) == 0
    assert Article.objects.count() == len(NORDLYS) + len(KETTLE)
    nordlys = brands["nordlys"]
    assert set(
        ArticleTranslation.objects.filter(brand=nordlys, is_public=True)
        .values_list("language", flat=True)
        .distinct()
    ) == {"en", "sv", "ru", "zh-hans"}
    assert search_articles(nordlys, "hur returnerar jag en vara")[0].language == "sv"
    assert search_articles(nordlys, "如何退货")[0].language == "zh-hans"
    assert search_articles(nordlys, "goodwill") == []
    assert search_articles(nordlys, "goodwill", audience="internal")[0].title.startswith(
        "Phone team"
    )
