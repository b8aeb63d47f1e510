from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.knowledge.enums import TranslationStatus, Visibility
from storedesk.knowledge.models import Article, ArticleAttachment, ArticleTranslation
from storedesk.knowledge.search import search_articles
from storedesk.knowledge.tests.factories import create_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def brand(email_inbox: Inbox) -> Brand:
    """A store the `agent` serves: the `agent`'s team also answers its chat."""
    brand = create_brand(name="Nordic Gear", default_language="en")
    create_inbox(brand=brand, team=email_inbox.team, channel=Channel.CHAT)
    return brand


def test_editor_needs_a_signed_in_agent(client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="A", body="a")
    for url in ("/knowledge/", "/knowledge/new/", f"/knowledge/{article.pk}/en/"):
        assert client.get(url).status_code == 302
    assert client.post("/knowledge/new/", {"title": "x"}).status_code == 302
    assert Article.objects.count() == 1


def test_create_edit_and_publish_through_the_editor(
    agent_client: Client, agent: User, brand: Brand
) -> None:
    response = agent_client.post(
        "/knowledge/new/",
        {
            "brand": brand.pk,
            "language": "sv",
            "visibility": Visibility.PUBLIC,
            "title": "Byta storlek",
            "body_markdown": "Du kan **byta** storlek gratis.",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/knowledge/{article.pk}/sv/"
    translation = ArticleTranslation.objects.get()
    assert (translation.status, translation.updated_by) == (TranslationStatus.DRAFT, agent)
    assert search_articles(brand, "storlek") == []
    page = agent_client.get(f"/knowledge/{article.pk}/sv/")
    assert page.status_code == 200
    assert b"Byta storlek" in page.content
    agent_client.post(f"/knowledge/{article.pk}/sv/status/", {"action": "publish"})
    assert [h.article_id for h in search_articles(brand, "storlek")] == [article.pk]
    agent_client.post(
        f"/knowledge/{article.pk}/en/",
        {"title": "Changing size", "body_markdown": "Swap sizes for free.", "slug": ""},
    )
    assert article.translations.get(language="en").status == TranslationStatus.DRAFT


def test_invalid_create_answers_422_and_writes_nothing(agent_client: Client, brand: Brand) -> None:
    response = agent_client.post(
        "/knowledge/new/", {"brand": brand.pk, "language": "en", "visibility": "public"}
    )
    assert response.status_code == 422
    assert Article.objects.count() == 0


def test_preview_renders_sanitised_markdown(agent_client: Client) -> None:
    response = agent_client.post(
        "/knowledge/preview/", {"body_markdown": "**bold** <script>x</script>"}
    )
    assert b"<strong>bold</strong>" in response.content
    assert b"<script>" not in response.content


def test_settings_make_an_article_internal(agent_client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="Phone script", body="Say hello.")
    agent_client.post(
        f"/knowledge/{article.pk}/settings/",
        {"visibility": Visibility.INTERNAL, "tags": "phone, Script", "language": "en"},
    )
    article.refresh_from_db()
    assert (article.visibility, article.tags) == (Visibility.INTERNAL, ["phone", "script"])
    assert search_articles(brand, "phone script") == []
    assert [h.article_id for h in search_articles(brand, "phone script", audience="internal")] == [
        article.pk
    ]


def test_upload_rejects_a_disguised_file(agent_client: Client, brand: Brand) -> None:
    article = create_article(brand=brand, title="A", body="a")
    upload = SimpleUploadedFile("x.png", b"MZ not an image", content_type="image/png")
    response = agent_client.post(
        f"/knowledge/{article.pk}/files/", {"file": upload, "language": "en"}
    )
    assert response.status_code == 302
    assert ArticleAttachment.objects.count() == 0
