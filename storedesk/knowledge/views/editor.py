"""The agent editor: list, create, edit translations with a live preview, publish."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.models import User
from storedesk.knowledge.access import (
    access_article_for_agent,
    brand_ids_for_agent,
    brands_for_agent,
)
from storedesk.knowledge.enums import Audience
from storedesk.knowledge.forms import (
    ArticleCreateForm,
    ArticleSettingsForm,
    AttachmentForm,
    TranslationForm,
)
from storedesk.knowledge.models import Article
from storedesk.knowledge.rendering import render_markdown
from storedesk.knowledge.search import search_articles
from storedesk.knowledge.selectors import articles_for_editor, editor_translation
from storedesk.knowledge.selectors_agent import article_conversation_count
from storedesk.knowledge.services.articles import (
    article_create,
    article_update,
    translation_publish,
    translation_save,
    translation_unpublish,
)
from storedesk.knowledge.services.attachments import attachment_add

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
EDITOR_PAGE_SIZE = 50


def _agent(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_GET
@agent_required
def article_list(request: HttpRequest) -> HttpResponse:
    # Only the stores the agent serves: their lists and searches include internal articles.
    brands = brands_for_agent(_agent(request))
    brand = next((b for b in brands if str(b.pk) == request.GET.get("brand")), None)
    query = request.GET.get("q", "")[:200]
    hits = []
    if brand is not None and query.strip():
        hits = search_articles(brand, query, audience=Audience.INTERNAL, limit=20)
    brand_ids = [brand.pk] if brand else [b.pk for b in brands]
    articles = articles_for_editor(brand_ids)[:EDITOR_PAGE_SIZE]
    context = {"brands": brands, "brand": brand, "query": query, "hits": hits, "articles": articles}
    return render(request, "knowledge/editor/list.html", context)


@require_http_methods(["GET", "POST"])
@agent_required
def article_new(request: HttpRequest) -> HttpResponse:
    form = ArticleCreateForm(request.POST or None, brand_ids=brand_ids_for_agent(_agent(request)))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            article = article_create(
                brand=data["brand"],
                actor=_agent(request),
                language=data["language"],
                title=data["title"],
                body_markdown=data["body_markdown"],
                visibility=data["visibility"],
                slug=data["slug"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("knowledge:edit", article_id=article.pk, language=data["language"])
    status = 422 if request.method == "POST" else 200
    return render(request, "knowledge/editor/new.html", {"form": form}, status=status)


def _edit_context(article: Article, language: str, form: TranslationForm) -> dict[str, object]:
    translation = editor_translation(article, language)
    return {
        "article": article,
        "language": language,
        "translation": translation,
        "translations": list(article.translations.all()),
        "languages": settings.LANGUAGES,
        "form": form,
        "settings_form": ArticleSettingsForm(
            article=article,
            initial={
                "visibility": article.visibility,
                "category": article.category_id,
                "tags": ", ".join(article.tags),
                "related": list(article.related.values_list("pk", flat=True)),
            },
        ),
        "attachment_form": AttachmentForm(),
        "used_in": article_conversation_count(article_id=article.pk),
        "revisions": translation.revisions.select_related("editor")[:20] if translation else [],
    }


@require_GET
@agent_required
def article_open(request: HttpRequest, article_id: int) -> HttpResponse:
    article = access_article_for_agent(agent=_agent(request), article_id=article_id)
    first = article.translations.order_by("created_at", "id").first()
    language = first.language if first else article.brand.default_language
    return redirect("knowledge:edit", article_id=article.pk, language=language)


@require_http_methods(["GET", "POST"])
@agent_required
def article_edit(request: HttpRequest, article_id: int, language: str) -> HttpResponse:
    article = access_article_for_agent(agent=_agent(request), article_id=article_id)
    if language not in LANGUAGE_CODES:
        raise Http404
    translation = editor_translation(article, language)
    initial = (
        {"title": translation.title, "body_markdown": translation.body_markdown}
        if translation
        else {}
    )
    form = TranslationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            translation_save(
                article=article, actor=_agent(request), language=language, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("knowledge:edit", article_id=article.pk, language=language)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "knowledge/editor/edit.html", _edit_context(article, language, form), status=status
    )


@require_POST
@agent_required
def translation_status(request: HttpRequest, article_id: int, language: str) -> HttpResponse:
    article = access_article_for_agent(agent=_agent(request), article_id=article_id)
    translation = editor_translation(article, language)
    if translation is None:
        raise Http404
    if request.POST.get("action") == "publish":
        translation_publish(translation=translation, actor=_agent(request))
        messages.success(request, _("Published."))
    else:
        translation_unpublish(translation=translation, actor=_agent(request))
        messages.success(request, _("Moved back to draft."))
    return redirect("knowledge:edit", article_id=article.pk, language=language)


@require_POST
@agent_required
def article_settings(request: HttpRequest, article_id: int) -> HttpResponse:
    article = access_article_for_agent(agent=_agent(request), article_id=article_id)
    form = ArticleSettingsForm(request.POST, article=article)
    language = request.POST.get("language", article.brand.default_language)
    if form.is_valid():
        data = form.cleaned_data
        article_update(
            article=article,
            actor=_agent(request),
            visibility=data["visibility"],
            category=data["category"],
            clear_category=data["category"] is None,
            tags=form.tag_list(),
            related=list(data["related"]),
        )
        messages.success(request, _("Settings saved."))
    else:
        messages.error(request, _("The settings could not be saved."))
    return redirect(
        "knowledge:edit",
        article_id=article.pk,
        language=language if language in LANGUAGE_CODES else "en",
    )


@require_POST
@agent_required
def attachment_upload(request: HttpRequest, article_id: int) -> HttpResponse:
    article = access_article_for_agent(agent=_agent(request), article_id=article_id)
    form = AttachmentForm(request.POST, request.FILES)
    language = request.POST.get("language", "en")
    try:
        if not form.is_valid():
            raise ValidationError(_("Choose a file."))
        attachment_add(article=article, upload=form.cleaned_data["file"], actor=_agent(request))
        messages.success(request, _("File added."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(
        "knowledge:edit",
        article_id=article.pk,
        language=language if language in LANGUAGE_CODES else "en",
    )


@require_POST
@agent_required
def preview(request: HttpRequest) -> HttpResponse:
    html = render_markdown(request.POST.get("body_markdown", "")[:200_000])
    return render(request, "knowledge/editor/partials/_preview.html", {"html": html})
