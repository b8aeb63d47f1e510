"""Suggestions while a customer types, what was done with them, and the deflection rate."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.models import Conversation
from storedesk.conversations.tests.factories import create_conversation
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.knowledge.deflection_enums import DeflectionEventKind
from storedesk.knowledge.enums import Visibility
from storedesk.knowledge.models import Article, DeflectionEvent, DeflectionSession, SearchLog
from storedesk.knowledge.selectors_deflection import deflection_stats
from storedesk.knowledge.services.deflection import (
    article_suggestions_show,
    deflection_event_record,
    deflection_request_sent,
)
from storedesk.knowledge.tests.factories import add_translation, create_article

if TYPE_CHECKING:  # a name only django-stubs defines
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

pytestmark = pytest.mark.django_db

KEY = "visit-0001-abcdef"


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Lamp Shop")


@pytest.fixture
def returns(brand: Brand) -> Article:
    article = create_article(
        brand=brand, title="How to return a lamp",
        body="Pack the lamp in its box and send it back within 30 days for a refund.",
    )
    add_translation(
        article, language="sv", title="Så returnerar du en lampa",
        body="Packa lampan i kartongen och skicka tillbaka den inom 30 dagar.",
    )
    return article


@pytest.fixture
def internal(brand: Brand) -> Article:
    return create_article(
        brand=brand, title="Return lamp refunds: staff override codes",
        body="Internal: return lamp refunds above 500 need code 4711.",
        visibility=Visibility.INTERNAL,
    )


@pytest.fixture
def draft(brand: Brand) -> Article:
    return create_article(
        brand=brand, title="Return lamp policy (draft)", body="Return lamp draft text.",
        publish=False,
    )


def _suggest(brand: Brand, **params: str) -> Response:
    return Client().get(reverse("knowledge_help:suggest", kwargs={"brand_slug": brand.slug}),
                        params)


def test_internal_and_draft_articles_never_reach_customers(
    brand: Brand, returns: Article, internal: Article, draft: Article
) -> None:
    shown = article_suggestions_show(
        brand=brand, query="return lamp refund", language="en", session_key=KEY
    )
    as_json = _suggest(brand, q="return lamp refund", lang="en", format="json").json()
    as_html = _suggest(brand, q="return lamp refund", lang="en").content.decode()

    assert [s.article_id for s in shown] == [returns.pk]
    assert [s["article"] for s in as_json["suggestions"]] == [returns.pk]
    assert "How to return a lamp" in as_html
    assert "staff override" not in as_html
    assert "4711" not in as_html
    assert "draft" not in as_html
    assert set(DeflectionEvent.objects.values_list("article_id", flat=True)) == {returns.pk}


def test_another_brands_articles_are_not_suggested(brand: Brand, returns: Article) -> None:
    other = create_brand(name="Other shop")

    response = _suggest(other, q="return lamp", format="json")

    assert response.json()["suggestions"] == []


@pytest.mark.parametrize(
    ("lang", "query", "title"),
    [
        ("en", "return lamp", "How to return a lamp"),
        ("sv", "returnera lampa", "Så returnerar du en lampa"),
    ],
)
def test_suggestions_come_in_the_customers_language(
    brand: Brand, returns: Article, lang: str, query: str, title: str
) -> None:
    data = _suggest(brand, q=query, lang=lang, format="json").json()

    assert [(s["title"], s["language"]) for s in data["suggestions"]] == [(title, lang)]
    url = returns.translations.get(language=lang).get_absolute_url()
    assert url.startswith(f"/help/{brand.slug}/{lang}/articles/{returns.pk}-")
    assert data["suggestions"][0]["url"] == f"{django_settings.BASE_URL}{url}"
    assert data["contact"]["label"] == "Talk to a person"


def test_a_short_query_suggests_and_logs_nothing(brand: Brand, returns: Article) -> None:
    assert _suggest(brand, q="re", s=KEY, format="json").json()["suggestions"] == []
    assert SearchLog.objects.count() == 0
    assert DeflectionSession.objects.count() == 0


def test_the_suggestion_endpoint_is_rate_limited_per_ip(
    brand: Brand, returns: Article, settings: Settings
) -> None:
    settings.KB_SUGGEST_RATE_LIMIT = 2
    client = Client()
    url = reverse("knowledge_help:suggest", kwargs={"brand_slug": brand.slug})

    typed = ["return", "return lamp", "return lamp box"]
    statuses = [client.get(url, {"q": q, "s": KEY}).status_code for q in typed]
    other_ip = client.get(url, {"q": "return lamp"}, REMOTE_ADDR="10.0.0.9").status_code

    assert statuses == [200, 200, 429]
    assert other_ip == 200
    # The refused request was not searched, so not logged either.
    assert SearchLog.objects.get(session_key=KEY).query == "return lamp"


@pytest.mark.parametrize(
    "query",
    [
        "<script>alert(1)</script> return lamp",
        "' OR 1=1; DROP TABLE knowledge_article; --",
        "return lamp " * 500,
        '"return lamp',
        "NEAR(return lamp) AND lamp* OR ^x",
        "***",
        "%_%",
        "ретурн лампы",
        "退货 灯",
        "\u202eplma nruter",
    ],
)
def test_hostile_queries_get_an_answer_and_inject_nothing(
    brand: Brand, returns: Article, internal: Article, query: str
) -> None:
    html = _suggest(brand, q=query, s=KEY)
    data = _suggest(brand, q=query, s=KEY, format="json")

    assert html.status_code == 200
    assert data.status_code == 200
    assert "<script>" not in html.content.decode()
    assert internal.pk not in [s["article"] for s in data.json()["suggestions"]]
    assert all(len(entry.query) <= 200 for entry in SearchLog.objects.all())


@pytest.mark.parametrize(
    "params",
    [
        {"s": "bad key!"}, {"s": "short"}, {"lang": "xx"}, {"source": "mars"}, {"format": "xml"},
        {"q": "return\x00lamp"},
    ],
)
def test_bad_parameters_get_a_clear_error_and_write_nothing(
    brand: Brand, returns: Article, params: dict[str, str]
) -> None:
    response = _suggest(brand, **{"q": "return lamp", **params})

    assert response.status_code == 400
    assert "error" in response.json()
    assert SearchLog.objects.count() == 0
    assert DeflectionSession.objects.count() == 0


def test_the_python_api_cleans_what_the_form_would_refuse(brand: Brand, returns: Article) -> None:
    """The chat widget calls the service directly, without the form's checks."""
    shown = article_suggestions_show(
        brand=brand, query="return\x00lamp\x07 " + "x" * 500, language="xx", session_key="bad key"
    )

    assert [s.article_id for s in shown] == [returns.pk]
    entry = SearchLog.objects.get()
    assert entry.query == "return lamp " + "x" * 188
    assert entry.session_key == ""
    assert DeflectionSession.objects.count() == 0


def test_an_unknown_brand_is_404(returns: Article) -> None:
    assert Client().get("/help/no-such-shop/suggest/", {"q": "return"}).status_code == 404


def _event(brand: Brand, payload: dict[str, object], *, as_json: bool = False) -> int:
    url = reverse("knowledge_help:suggest_event", kwargs={"brand_slug": brand.slug})
    if as_json:
        return Client().post(url, json.dumps(payload), content_type="application/json").status_code
    return Client().post(url, payload).status_code


def test_opened_and_answered_are_recorded_once_for_shown_articles(
    brand: Brand, returns: Article, internal: Article
) -> None:
    _suggest(brand, q="return lamp", s=KEY)

    statuses = [
        _event(brand, {"s": KEY, "article": returns.pk, "kind": "opened"}),
        _event(brand, {"s": KEY, "article": returns.pk, "kind": "answered"}, as_json=True),
        _event(brand, {"s": KEY, "article": returns.pk, "kind": "answered"}),
        _event(brand, {"s": KEY, "article": internal.pk, "kind": "opened"}),
        _event(brand, {"s": "another-visit-key", "article": returns.pk, "kind": "opened"}),
        _event(brand, {"s": KEY, "article": returns.pk, "kind": "shown"}),
    ]

    assert statuses == [204, 204, 204, 404, 404, 400]
    session = DeflectionSession.objects.get()
    assert session.opened_at is not None
    assert session.answered_at is not None
    kinds = sorted(session.events.values_list("kind", flat=True))
    assert kinds == ["answered", "opened", "shown"]
    returns.refresh_from_db()
    assert returns.resolved_count == 1  # answered twice, counted once
    assert SearchLog.objects.get().clicked_article == returns


def test_a_request_sent_from_the_contact_form_is_recorded(brand: Brand, returns: Article) -> None:
    create_inbox(brand=brand, name="Contact", channel=Channel.WEB_FORM)
    _suggest(brand, q="return lamp", s=KEY)
    _event(brand, {"s": KEY, "article": returns.pk, "kind": "opened"})

    response = Client().post(
        reverse("portal:brand_contact", kwargs={"brand_slug": brand.slug}),
        {"name": "Ada", "email": "ada@example.com", "subject": "Return lamp",
         "message": "Still want to return it.", "website": "", "kb_session": KEY},
    )

    assert response.status_code == 302
    session = DeflectionSession.objects.get()
    assert session.conversation == Conversation.objects.get()
    assert session.request_sent_at is not None


def test_the_contact_form_carries_the_suggestion_box(brand: Brand) -> None:
    create_inbox(brand=brand, name="Contact", channel=Channel.WEB_FORM)

    page = Client().get(reverse("portal:brand_contact", kwargs={"brand_slug": brand.slug}))

    html = page.content.decode()
    assert 'data-kb-suggest-box' in html
    assert f'data-kb-suggest-url="/help/{brand.slug}/suggest/"' in html
    assert 'data-kb-inputs="#id_subject,#id_message"' in html


def test_a_request_with_a_bad_or_foreign_key_records_nothing(brand: Brand) -> None:
    conversation = create_conversation(inbox=create_inbox(brand=brand))
    other = create_conversation(inbox=create_inbox(brand=create_brand()))

    assert deflection_request_sent(session_key="<bad>", conversation=conversation) is False
    assert deflection_request_sent(session_key=KEY, conversation=conversation) is True
    assert deflection_request_sent(session_key=KEY, conversation=other) is False
    assert DeflectionSession.objects.get().conversation == conversation


def test_typing_one_search_logs_one_row(brand: Brand, returns: Article) -> None:
    for typed in ["ret", "retu", "return", "return la", "return lamp"]:
        _suggest(brand, q=typed, s=KEY)
    _suggest(brand, q="opening hours", s=KEY)
    _suggest(brand, q="return lamp", s="another-visit-key")

    rows = list(
        SearchLog.objects.order_by("id").values_list("session_key", "query", "results_count")
    )
    assert rows == [
        (KEY, "return lamp", 1),
        (KEY, "opening hours", 0),
        ("another-visit-key", "return lamp", 1),
    ]


def _visit(brand: Brand, key: str, *, opened: bool = False, answered: bool = False,
           request: bool = False) -> None:
    """One customer visit through the real services."""
    article = Article.objects.filter(brand=brand).first()
    assert article is not None
    article_suggestions_show(brand=brand, query="return lamp", language="en", session_key=key)
    if opened:
        deflection_event_record(brand=brand, session_key=key, article_id=article.pk,
                                kind=DeflectionEventKind.OPENED)
    if answered:
        deflection_event_record(brand=brand, session_key=key, article_id=article.pk,
                                kind=DeflectionEventKind.ANSWERED)
    if request:
        conversation = create_conversation(inbox=create_inbox(brand=brand))
        deflection_request_sent(session_key=key, conversation=conversation)


def test_deflection_rate_for_a_period(brand: Brand, returns: Article) -> None:
    _visit(brand, "visit-a-answered", opened=True, answered=True)
    _visit(brand, "visit-b-opened-sent", opened=True, request=True)
    _visit(brand, "visit-c-opened-only", opened=True)
    _visit(brand, "visit-d-shown-sent", request=True)
    _visit(brand, "visit-e-shown-only")
    _visit(brand, "visit-f-last-month", opened=True)
    DeflectionSession.objects.filter(key="visit-f-last-month").update(
        created_at=timezone.now() - timedelta(days=40)
    )
    other = create_brand()
    create_article(brand=other, title="Return lamp", body="Return lamp text.")
    _visit(other, "visit-g-other-brand", opened=True)
    deflection_request_sent(
        session_key="visit-h-no-suggestions",
        conversation=create_conversation(inbox=create_inbox(brand=brand)),
    )
    now = timezone.now()

    stats = deflection_stats(brand=brand, start=now - timedelta(days=30), end=now)

    assert (stats.suggested, stats.opened, stats.answered) == (5, 3, 1)
    assert (stats.requests_after_open, stats.requests_without_open) == (1, 1)
    assert stats.deflected == 2
    assert stats.rate == pytest.approx(2 / 3)
    everywhere = deflection_stats(brand=None, start=now - timedelta(days=30), end=now)
    assert (everywhere.suggested, everywhere.opened, everywhere.deflected) == (6, 4, 3)
    nothing = deflection_stats(
        brand=brand, start=now - timedelta(days=90), end=now - timedelta(days=60)
    )
    assert (nothing.suggested, nothing.rate) == (0, None)
