"""The public help centre: per brand and language, readable without signing in."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation as i18n
from django.views.decorators.http import require_GET, require_POST

from storedesk.accounts.models import User
from storedesk.brands.models import Brand
from storedesk.knowledge.access import (
    access_article_for_public,
    access_attachment,
    access_brand_for_public,
    access_category_for_public,
)
from storedesk.knowledge.deflection_enums import SuggestionSource
from storedesk.knowledge.enums import Audience
from storedesk.knowledge.search import search_articles
from storedesk.knowledge.selectors import (
    brand_languages,
    categories_for_help,
    category_articles,
    contact_options,
    help_home,
    pick_translation,
    public_related,
    sitemap_translations,
)
from storedesk.knowledge.services.search_log import search_log_record
from storedesk.knowledge.services.usefulness import article_view_record, article_vote_record

VOTED_SESSION_KEY = "knowledge_voted"
MAX_QUERY_CHARS = 200


def _page(request: HttpRequest, brand_slug: str, language: str) -> tuple[Brand, dict[str, object]]:
    brand = access_brand_for_public(brand_slug=brand_slug, language=language)
    # The help centre speaks the language in its URL, whatever the browser asked for.
    i18n.activate(language)
    context: dict[str, object] = {
        "brand": brand,
        "language": language,
        "languages": brand_languages(brand),
    }
    return brand, context


@require_GET
def root(request: HttpRequest, brand_slug: str) -> HttpResponse:
    brand = access_brand_for_public(brand_slug=brand_slug)
    return redirect("knowledge_help:home", brand_slug=brand.slug, language=brand.default_language)


@require_GET
def home(request: HttpRequest, brand_slug: str, language: str) -> HttpResponse:
    brand, context = _page(request, brand_slug, language)
    context["popular"] = help_home(brand, language=language)
    context["categories"] = categories_for_help(brand)
    return render(request, "knowledge/help/home.html", context)


@require_GET
def category(
    request: HttpRequest, brand_slug: str, language: str, category_slug: str
) -> HttpResponse:
    brand, context = _page(request, brand_slug, language)
    found = access_category_for_public(brand=brand, slug=category_slug)
    context.update(category=found, entries=category_articles(found, language=language))
    return render(request, "knowledge/help/category.html", context)


@require_GET
def article(
    request: HttpRequest, brand_slug: str, language: str, article_id: int, slug: str
) -> HttpResponse:
    brand, context = _page(request, brand_slug, language)
    found, translations = access_article_for_public(brand=brand, article_id=article_id)
    shown = (
        pick_translation(translations, language=language, default_language=brand.default_language)
        or translations[0]
    )
    if shown.language == language and shown.slug != slug:
        return redirect(shown.get_absolute_url(), permanent=True)
    article_view_record(article=found)
    context.update(
        article=found,
        translation=shown,
        translations=translations,
        related=public_related(found, language=language),
        contact=contact_options(brand),
        voted=found.pk in request.session.get(VOTED_SESSION_KEY, []),
    )
    return render(request, "knowledge/help/article.html", context)


@require_POST
def vote(request: HttpRequest, brand_slug: str, language: str, article_id: int) -> HttpResponse:
    """One vote per visitor session; a repeat only shows the thanks again."""
    brand, context = _page(request, brand_slug, language)
    found, _translations = access_article_for_public(brand=brand, article_id=article_id)
    voted: list[int] = request.session.get(VOTED_SESSION_KEY, [])
    if found.pk not in voted:
        article_vote_record(article=found, helpful=request.POST.get("helpful") == "yes")
        request.session[VOTED_SESSION_KEY] = [*voted, found.pk][-200:]
    context.update(article=found, voted=True)
    return render(request, "knowledge/help/partials/_vote.html", context)


@require_GET
def search(request: HttpRequest, brand_slug: str, language: str) -> HttpResponse:
    """The results page, or (htmx, as you type) just the results with prefix matching."""
    brand, context = _page(request, brand_slug, language)
    query = request.GET.get("q", "")[:MAX_QUERY_CHARS]
    as_you_type = bool(request.headers.get("HX-Request"))
    hits = search_articles(
        brand, query, language_hint=language, audience=Audience.PUBLIC, prefix=as_you_type
    )
    search_log_record(
        brand=brand,
        query=query,
        language=language,
        results_count=len(hits),
        session_key=request.GET.get("s") or request.session.session_key or "",
        source=SuggestionSource.HELP_CENTRE,
    )
    context.update(query=query, hits=hits)
    if as_you_type:
        return render(request, "knowledge/help/partials/_results.html", context)
    return render(request, "knowledge/help/search.html", context)


@require_GET
def sitemap(request: HttpRequest, brand_slug: str) -> HttpResponse:
    brand = access_brand_for_public(brand_slug=brand_slug)
    context = {
        "translations": sitemap_translations(brand),
        "base": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "knowledge/help/sitemap.xml", context, content_type="application/xml")


@require_GET
def attachment_file(request: HttpRequest, attachment_id: int, name: str) -> FileResponse:
    user = request.user if isinstance(request.user, User) else None
    attachment = access_attachment(attachment_id=attachment_id, user=user)
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not attachment.is_image,
        filename=attachment.name,
    )
