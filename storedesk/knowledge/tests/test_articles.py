from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django.fixtures import Settings

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_agent
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.knowledge.enums import TranslationStatus, Visibility
from storedesk.knowledge.models import Article, ArticleAttachment, ArticleRevision
from storedesk.knowledge.rendering import render_markdown
from storedesk.knowledge.services.articles import (
    article_create,
    article_update,
    translation_publish,
    translation_save,
)
from storedesk.knowledge.services.attachments import attachment_add
from storedesk.knowledge.tests.factories import create_article

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def brand() -> Brand:
    return create_brand(name="Nordic Gear", default_language="en")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[x](<javascript:alert(1)>)",
        "![track](https://evil.example/pixel.png)",
        '<a href="https://x.example" onclick="steal()">x</a>',
        "<iframe src=https://evil.example></iframe>",
        "<style>body{display:none}</style>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '<svg onload="alert(1)"></svg>',
    ],
)
def test_hostile_markdown_is_neutralised(brand: Brand, source: str) -> None:
    article = create_article(brand=brand, title="Hostile", body=f"Intro.\n\n{source}\n")
    elements = _elements(article.translations.get().body_html)
    # A remote image keeps its alt text but loses its address.
    assert {tag for tag, _attrs in elements} <= {"p", "a", "img"}
    for _tag, attrs in elements:
        assert not any(name.startswith("on") for name in attrs)
        assert "src" not in attrs
        href = (attrs.get("href") or "").lower()
        assert not href.startswith(("javascript", "data"))
    assert "Intro." in article.translations.get().body_html


def test_markdown_features_and_local_images_survive() -> None:
    html = render_markdown(
        "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ [home](https://shop.example)"
        "\n\n![diagram](/help/files/3/diagram.png)"
    )
    assert "<table>" in html
    assert "<s>old</s>" in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert '<img src="/help/files/3/diagram.png" alt="diagram">' in html


def test_empty_title_takes_the_first_sentence(brand: Brand) -> None:
    article = article_create(
        brand=brand,
        actor=None,
        language="en",
        title="",
        body_markdown="Yes, you can change the address. Write to us before dispatch.",
    )
    assert article.translations.get().title == "Yes, you can change the address."


@pytest.mark.parametrize(
    ("language", "title", "body"),
    [("xx", "Title", "Body"), ("en", "", ""), ("en", "T", "x" * 100_001)],
)
def test_bad_input_is_rejected_and_writes_nothing(
    brand: Brand, language: str, title: str, body: str
) -> None:
    with pytest.raises(ValidationError):
        article_create(brand=brand, actor=None, language=language, title=title, body_markdown=body)
    assert Article.objects.count() == 0


def test_revisions_record_who_and_when(brand: Brand, agent: User) -> None:
    editor = create_agent(username="bo")
    article = create_article(brand=brand, title="Returns", body="v1", publish=False, actor=agent)
    translation = translation_save(
        article=article, actor=editor, language="en", title="Returns", body_markdown="v2"
    )
    translation_publish(translation=translation, actor=editor)
    revisions = list(ArticleRevision.objects.filter(translation=translation).order_by("id"))
    assert [(r.body_markdown, r.status, r.editor) for r in revisions] == [
        ("v1", TranslationStatus.DRAFT, agent),
        ("v2", TranslationStatus.DRAFT, editor),
        ("v2", TranslationStatus.PUBLISHED, editor),
    ]
    assert all(r.created_at is not None for r in revisions)


def test_slugs_are_unique_per_language_and_kept_on_edit(brand: Brand) -> None:
    first = create_article(brand=brand, title="Returns", body="a")
    second = create_article(brand=brand, title="Returns", body="b")
    chinese = create_article(brand=brand, language="zh-hans", title="退货政策", body="c")
    assert first.translations.get().slug == "returns"
    assert second.translations.get().slug == "returns-2"
    assert chinese.translations.get().slug == "退货政策"
    translation_save(article=first, actor=None, language="en", title="Renamed", body_markdown="a")
    assert first.translations.get().slug == "returns"


def test_related_articles_must_share_the_brand(brand: Brand) -> None:
    article = create_article(brand=brand, title="A", body="a")
    sibling = create_article(brand=brand, title="B", body="b")
    stranger = create_article(brand=create_brand(), title="C", body="c")
    article_update(article=article, actor=None, related=[sibling])
    assert list(article.related.all()) == [sibling]
    with pytest.raises(ValidationError):
        article_update(article=article, actor=None, related=[stranger])


@pytest.mark.parametrize(
    ("name", "content_type", "content"),
    [
        ("virus.exe", "application/x-msdownload", b"MZ"),
        ("fake.png", "image/png", b"<html>not a png</html>"),
        ("page.html", "text/html", b"<script>"),
    ],
)
def test_attachment_rejects_bad_files(
    brand: Brand, name: str, content_type: str, content: bytes
) -> None:
    article = create_article(brand=brand, title="A", body="a")
    with pytest.raises(ValidationError):
        attachment_add(
            article=article, upload=SimpleUploadedFile(name, content, content_type), actor=None
        )
    assert ArticleAttachment.objects.count() == 0


def test_attachment_size_limit(brand: Brand, settings: Settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10
    article = create_article(brand=brand, title="A", body="a")
    with pytest.raises(ValidationError):
        attachment_add(
            article=article, upload=SimpleUploadedFile("a.png", PNG, "image/png"), actor=None
        )


def test_files_of_internal_articles_reach_agents_only(
    brand: Brand, client: Client, agent_client: Client, email_inbox: Inbox
) -> None:
    create_inbox(brand=brand, team=email_inbox.team)  # the agent serves the brand
    public = create_article(brand=brand, title="Public", body="a")
    internal = create_article(
        brand=brand, title="Internal", body="b", visibility=Visibility.INTERNAL
    )
    shown = attachment_add(
        article=public, upload=SimpleUploadedFile("a.png", PNG, "image/png"), actor=None
    )
    hidden = attachment_add(
        article=internal, upload=SimpleUploadedFile("b.png", PNG, "image/png"), actor=None
    )
    assert client.get(shown.url).status_code == 200
    assert client.get(hidden.url).status_code == 404
    assert agent_client.get(hidden.url).status_code == 200
    assert b"".join(client.get(shown.url).streaming_content) == PNG  # type: ignore[attr-defined]
