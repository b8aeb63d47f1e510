"""The admins' email screens: IMAP accounts (with a real connection test) and auto-reply texts."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from storedesk.accounts.decorators import admin_required
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.mail.autoreply import SUPPORTED_LANGUAGES, auto_reply_builtin_text
from storedesk.mail.autoreply_preview import auto_reply_preview
from storedesk.mail.forms import AutoReplyTemplateForm, ImapAccountForm, placeholder_names
from storedesk.mail.imap import imap_connection_test
from storedesk.mail.models import ImapAccount
from storedesk.mail.services import imap_account_save
from storedesk.routing.models import AutoReplyTemplate
from storedesk.routing.services import auto_reply_template_reset, auto_reply_template_save

IMAP = {"admin_section": "imap"}
TEMPLATES = {"admin_section": "templates"}


@admin_required
def imap_list(request: HttpRequest) -> HttpResponse:
    accounts = ImapAccount.objects.select_related("inbox__brand")
    return render(request, "mail/admin/imap_list.html", {"accounts": accounts, **IMAP})


@admin_required
@require_http_methods(["GET", "POST"])
def imap_new(request: HttpRequest) -> HttpResponse:
    return _imap_form(request, account=None)


@admin_required
@require_http_methods(["GET", "POST"])
def imap_edit(request: HttpRequest, account_id: int) -> HttpResponse:
    return _imap_form(request, account=get_object_or_404(ImapAccount, pk=account_id))


def _imap_form(request: HttpRequest, *, account: ImapAccount | None) -> HttpResponse:
    initial = _imap_initial(account) if account else {}
    has_password = bool(account and account.password)
    form = ImapAccountForm(request.POST or None, initial=initial, has_password=has_password)
    context = {"form": form, "account": account, **IMAP}
    if request.method != "POST":
        return render(request, "mail/admin/imap_form.html", context)
    if not form.is_valid():
        return render(request, "mail/admin/imap_form.html", context, status=422)
    saved = imap_account_save(account=account, **form.cleaned_data)
    messages.success(request, _("IMAP account saved. Test the connection to check it."))
    return redirect("mail:admin_imap_edit", saved.pk)


def _imap_initial(account: ImapAccount) -> dict[str, object]:
    return {
        "inbox": account.inbox_id,
        "host": account.host,
        "port": account.port,
        "security": account.security,
        "username": account.username,
        "folders": "\n".join(account.folders),
        "is_active": account.is_active,
    }


@admin_required
@require_POST
def imap_test(request: HttpRequest, account_id: int) -> HttpResponse:
    """Connect, log in and open every folder now; show the first problem in plain words."""
    account = get_object_or_404(ImapAccount, pk=account_id)
    error = imap_connection_test(account)
    context = {"account": account, "error": error}
    return render(request, "mail/admin/_imap_test_result.html", context)


@admin_required
def template_list(request: HttpRequest) -> HttpResponse:
    inboxes = Inbox.objects.filter(channel__in=[Channel.EMAIL, Channel.WEB_FORM]).select_related(
        "brand"
    )
    own = set(AutoReplyTemplate.objects.values_list("inbox_id", "language"))
    rows = [
        (inbox, [(lang, (inbox.pk, lang) in own) for lang in SUPPORTED_LANGUAGES])
        for inbox in inboxes
    ]
    return render(request, "mail/admin/template_list.html", {"rows": rows, **TEMPLATES})


@admin_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, inbox_id: int, language: str) -> HttpResponse:
    """Save, preview (with a sample conversation, nothing saved) or reset to the built-in."""
    inbox = get_object_or_404(Inbox.objects.select_related("brand"), pk=inbox_id)
    if language not in SUPPORTED_LANGUAGES:
        raise Http404
    if request.method == "POST" and "reset" in request.POST:
        auto_reply_template_reset(inbox=inbox, language=language)
        messages.success(request, _("Back to the built-in text."))
        return redirect("mail:admin_template_edit", inbox.pk, language)
    own = AutoReplyTemplate.objects.filter(inbox=inbox, language=language).first()
    form = AutoReplyTemplateForm(
        request.POST or None, initial=_template_initial(inbox, language, own)
    )
    if request.method == "POST" and form.is_valid() and "preview" not in request.POST:
        auto_reply_template_save(inbox=inbox, language=language, **form.cleaned_data)
        messages.success(request, _("Auto-reply text saved."))
        return redirect("mail:admin_template_edit", inbox.pk, language)
    preview = None
    if request.method != "POST" or form.is_valid():
        text = form.cleaned_data if form.is_bound else {}
        preview = auto_reply_preview(inbox=inbox, language=language, **text)
    context = {
        "inbox": inbox,
        "language": language,
        "language_name": dict(settings.LANGUAGES).get(language, language),
        "form": form,
        "own": own,
        "preview": preview,
        "placeholders": placeholder_names(),
        **TEMPLATES,
    }
    return render(
        request, "mail/admin/template_form.html", context, status=422 if form.errors else 200
    )


def _template_initial(inbox: Inbox, language: str, own: AutoReplyTemplate | None) -> dict[str, str]:
    """The inbox's own text, or the built-in one with its placeholders to start from."""
    if own is not None:
        return {"subject": own.subject, "body": own.body}
    subject, body = auto_reply_builtin_text(language)
    return {"subject": subject, "body": body}
