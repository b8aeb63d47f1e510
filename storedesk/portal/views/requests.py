"""A signed-in customer's requests: list, timeline, reply, files and mail preferences."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from storedesk.conversations.access import (
    access_attachment_for_customer,
    access_conversation_for_customer,
)
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation
from storedesk.conversations.selectors import timeline_for_customer
from storedesk.conversations.services.changes import conversation_notification_override_set
from storedesk.conversations.services.messages import MessageContent, message_receive
from storedesk.conversations.status_links import status_token_make
from storedesk.customers.models import Customer
from storedesk.customers.services import customer_set_notification_preference
from storedesk.portal.access import customer_required
from storedesk.portal.forms import ConversationNotificationForm, NotificationSettingsForm, ReplyForm
from storedesk.portal.rendering import portal_page, portal_render
from storedesk.portal.selectors import conversation_list_for_customer

PAGE_SIZE = 20


def _detail_context(
    conversation: Conversation, reply_form: ReplyForm | None = None
) -> dict[str, Any]:
    initial = ConversationNotificationForm.initial_for(conversation.notify_customer)
    return {
        "conversation": conversation,
        "timeline": timeline_for_customer(conversation=conversation),
        "reply_form": reply_form or ReplyForm(),
        "notify_form": ConversationNotificationForm(initial=initial),
        "can_reply": conversation.status != ConversationStatus.CLOSED,
        "status_token": status_token_make(conversation),
    }


@portal_page
@require_GET
@customer_required
def request_list(request: HttpRequest, customer: Customer) -> HttpResponse:
    paginator = Paginator(conversation_list_for_customer(customer=customer), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return portal_render(request, "portal/request_list.html", {"page": page}, customer=customer)


@portal_page
@require_GET
@customer_required
def request_detail(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    conversation = access_conversation_for_customer(customer=customer, number=number)
    context = _detail_context(conversation)
    return portal_render(
        request, "portal/request_detail.html", context, brand=conversation.brand, customer=customer
    )


@require_POST
@customer_required
def request_reply(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    conversation = access_conversation_for_customer(customer=customer, number=number)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid() and conversation.status == ConversationStatus.CLOSED:
        form.add_error(None, _("This request is closed. Please start a new request."))
    if not form.is_valid():
        context = _detail_context(conversation, reply_form=form)
        return portal_render(
            request, "portal/request_detail.html", context, brand=conversation.brand,
            customer=customer, status=422,
        )
    content = MessageContent(
        text=form.cleaned_data["message"], files=form.cleaned_data["attachments"]
    )
    message = message_receive(conversation=conversation, customer=customer, content=content)
    messages.success(request, _("Thanks, your reply was sent."))
    url = reverse("portal:request_detail", kwargs={"number": number})
    return HttpResponseRedirect(f"{url}#message-{message.sequence}")


@require_POST
@customer_required
def request_notifications(request: HttpRequest, customer: Customer, number: int) -> HttpResponse:
    conversation = access_conversation_for_customer(customer=customer, number=number)
    form = ConversationNotificationForm(request.POST)
    if form.is_valid():
        conversation_notification_override_set(
            conversation=conversation, notify=form.cleaned_value()
        )
        messages.success(request, _("Your email preference for this request was saved."))
    return HttpResponseRedirect(reverse("portal:request_detail", kwargs={"number": number}))


@require_GET
@customer_required
def attachment_download(
    request: HttpRequest, customer: Customer, attachment_id: int
) -> FileResponse:
    attachment = access_attachment_for_customer(customer=customer, attachment_id=attachment_id)
    # Always a download: a file a customer uploaded must never render as a page on our origin.
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
        content_type=attachment.content_type,
    )


@portal_page
@require_http_methods(["GET", "POST"])
@customer_required
def notification_settings(request: HttpRequest, customer: Customer) -> HttpResponse:
    initial = {"notify_on_update": customer.notify_on_update}
    data = request.POST if request.method == "POST" else None
    form = NotificationSettingsForm(data, initial=initial)
    if form.is_valid():
        customer_set_notification_preference(
            customer=customer, notify_on_update=form.cleaned_data["notify_on_update"]
        )
        messages.success(request, _("Your settings were saved."))
        return HttpResponseRedirect(reverse("portal:settings"))
    return portal_render(request, "portal/settings.html", {"form": form}, customer=customer)
