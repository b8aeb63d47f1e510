"""Per-store permissions: an agent edits, and reads the internal articles of, only the
stores whose inboxes their teams serve; administrators every store. Another store's
article is 404, as another team's conversation is."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import create_admin, create_agent, create_team
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.knowledge.enums import TranslationStatus, Visibility
from storedesk.knowledge.models import Article, ArticleRevision, ArticleTranslation
from storedesk.knowledge.services.attachments import attachment_add
from storedesk.knowledge.tests.factories import create_article

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # the signature is what is checked


@pytest.fixture
def lamps() -> Brand:
    return create_brand(name="Lamp Shop", default_language="en")


@pytest.fixture
def boots() -> Brand:
    return create_brand(name="Boot Shop", default_language="en")


@pytest.fixture
def anna(lamps: Brand, boots: Brand) -> User:
    """Serves Lamp Shop's inbox through her team; Boot Shop's inbox is another team's."""
    agent = create_agent(username="anna")
    create_inbox(brand=lamps, team=create_team(name="Lamps", members=[agent]))
    create_inbox(brand=boots, team=create_team(name="Boots"))
    return agent


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def boots_internal(boots: Brand) -> Article:
    return create_article(brand=boots, title="Boot phone script", body="Ask for the boot size.",
                          visibility=Visibility.INTERNAL)


@pytest.fixture
def boots_public(boots: Brand) -> Article:
    return create_article(brand=boots, title="Boot care", body="Wax the boots each month.")


@pytest.fixture
def lamps_internal(lamps: Brand) -> Article:
    return create_article(brand=lamps, title="Lamp phone script", body="Ask for the lamp model.",
                          visibility=Visibility.INTERNAL)


def test_the_list_shows_only_the_stores_the_agent_serves(
    anna: User, lamps: Brand, boots: Brand, lamps_internal: Article, boots_public: Article
) -> None:
    response = _client(anna).get(reverse("knowledge:list"))
    foreign = _client(anna).get(reverse("knowledge:list"), {"brand": str(boots.pk), "q": "boot"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Lamp phone script" in html
    assert "Boot care" not in html
    assert f'value="{lamps.pk}"' in html
    assert f'value="{boots.pk}"' not in html
    # Another store's id in the URL picks nothing: no search, only the agent's own articles.
    assert "Boot care" not in foreign.content.decode()
    assert "Lamp phone script" in foreign.content.decode()


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/knowledge/{id}/", {}),
        ("get", "/knowledge/{id}/en/", {}),
        ("post", "/knowledge/{id}/en/", {"title": "Hacked", "body_markdown": "x", "slug": ""}),
        ("post", "/knowledge/{id}/sv/", {"title": "Ny", "body_markdown": "x", "slug": ""}),
        ("post", "/knowledge/{id}/en/status/", {"action": "unpublish"}),
        ("post", "/knowledge/{id}/settings/", {"visibility": "public", "tags": "x"}),
    ],
    ids=["open_case", "edit_page_case", "save_case", "new_translation_case", "status_case",
         "settings_case"],
)
def test_another_stores_article_is_404_and_unchanged(
    anna: User, boots_internal: Article, method: str, path: str, data: dict[str, str]
) -> None:
    url = path.format(id=boots_internal.pk)

    response = getattr(_client(anna), method)(url, data)

    assert response.status_code == 404
    boots_internal.refresh_from_db()
    translation = ArticleTranslation.objects.get(article=boots_internal)
    assert boots_internal.visibility == Visibility.INTERNAL
    assert boots_internal.tags == []
    assert (translation.title, translation.status) == ("Boot phone script",
                                                      TranslationStatus.PUBLISHED)
    assert ArticleRevision.objects.filter(translation__article=boots_internal).count() == 2


def test_uploading_to_another_stores_article_is_404(anna: User, boots_public: Article) -> None:
    upload = SimpleUploadedFile("a.png", PNG, content_type="image/png")

    response = _client(anna).post(f"/knowledge/{boots_public.pk}/files/",
                                  {"file": upload, "language": "en"})

    assert response.status_code == 404
    assert boots_public.attachments.count() == 0


def test_the_agent_edits_articles_of_a_store_they_serve(
    anna: User, lamps_internal: Article
) -> None:
    response = _client(anna).post(
        f"/knowledge/{lamps_internal.pk}/en/",
        {"title": "Lamp phone script v2", "body_markdown": "Ask for the model.", "slug": ""},
    )

    assert response.status_code == 302
    assert ArticleTranslation.objects.get(article=lamps_internal).title == "Lamp phone script v2"


def test_a_new_article_only_for_a_store_the_agent_serves(
    anna: User, lamps: Brand, boots: Brand
) -> None:
    fields = {"language": "en", "visibility": "public", "title": "Sizes", "body_markdown": "S-XL"}
    client = _client(anna)

    forbidden = client.post(reverse("knowledge:new"), {**fields, "brand": str(boots.pk)})
    assert forbidden.status_code == 422
    assert Article.objects.count() == 0
    form_page = client.get(reverse("knowledge:new")).content.decode()
    assert "Lamp Shop" in form_page
    assert "Boot Shop" not in form_page

    allowed = client.post(reverse("knowledge:new"), {**fields, "brand": str(lamps.pk)})
    assert allowed.status_code == 302
    assert Article.objects.get().brand == lamps


def test_an_administrator_edits_every_store(
    anna: User, boots: Brand, boots_internal: Article
) -> None:
    admin = _client(create_admin())

    page = admin.get(f"/knowledge/{boots_internal.pk}/en/")
    saved = admin.post(
        f"/knowledge/{boots_internal.pk}/en/",
        {"title": "Boot phone script v2", "body_markdown": "Ask.", "slug": ""},
    )

    assert page.status_code == 200
    assert saved.status_code == 302
    assert ArticleTranslation.objects.get(article=boots_internal).title == "Boot phone script v2"
    assert "Boot phone script" in admin.get(reverse("knowledge:list")).content.decode()


def test_an_agent_without_a_team_edits_nothing(lamps_internal: Article) -> None:
    loner = _client(create_agent(username="loner"))

    assert loner.get(f"/knowledge/{lamps_internal.pk}/en/").status_code == 404
    assert "Lamp phone script" not in loner.get(reverse("knowledge:list")).content.decode()


def test_the_quick_panel_shows_internal_articles_only_of_served_stores(
    anna: User, lamps: Brand, boots: Brand, lamps_internal: Article, boots_internal: Article,
    boots_public: Article,
) -> None:
    client = _client(anna)

    own = client.get(reverse("knowledge:quick"), {"q": "phone script", "brand": str(lamps.pk)})
    other = client.get(reverse("knowledge:quick"), {"q": "boot", "brand": str(boots.pk)})
    other_today = client.get(reverse("knowledge:quick"), {"brand": str(boots.pk)})

    assert "Lamp phone script" in own.content.decode()
    assert "Boot care" in other.content.decode()  # public: any customer can read it
    assert "Boot phone script" not in other.content.decode()
    assert "Boot care" in other_today.content.decode()
    assert "Boot phone script" not in other_today.content.decode()


def test_files_of_another_stores_internal_article_are_404(
    anna: User, lamps_internal: Article, boots_internal: Article
) -> None:
    own = attachment_add(article=lamps_internal, actor=None,
                         upload=SimpleUploadedFile("a.png", PNG, "image/png"))
    foreign = attachment_add(article=boots_internal, actor=None,
                             upload=SimpleUploadedFile("b.png", PNG, "image/png"))

    assert _client(anna).get(own.url).status_code == 200
    assert _client(anna).get(foreign.url).status_code == 404
    assert _client(create_admin()).get(foreign.url).status_code == 200
