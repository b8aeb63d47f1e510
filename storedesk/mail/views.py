"""HTTP endpoints of the email channel: the inbound-mail webhook."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from storedesk.mail.enums import IntakeSource
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import InboundWebhook
from storedesk.mail.webhook import webhook_request_is_authentic

RAW_CONTENT_TYPES = frozenset({"message/rfc822", "application/octet-stream"})


@csrf_exempt  # authenticated by the per-inbox secret, not a session
@require_POST
def inbound_email(request: HttpRequest, inbox_id: int) -> HttpResponse:
    """A provider posts one raw RFC 5322 message; 200 once it is stored (again: still 200)."""
    if request.content_type not in RAW_CONTENT_TYPES:
        return HttpResponse("Send the raw message as message/rfc822.", status=415)
    limit = settings.MAIL_MAX_MESSAGE_BYTES
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return HttpResponse("Message too large.", status=413)
    # Read the stream, not request.body: mail is far larger than DATA_UPLOAD_MAX_MEMORY_SIZE.
    body = request.read(limit + 1)
    if len(body) > limit:
        return HttpResponse("Message too large.", status=413)
    webhook = InboundWebhook.objects.filter(inbox_id=inbox_id).select_related("inbox").first()
    # Unknown inbox and bad credentials look alike, so inbox ids cannot be probed.
    if webhook is None or not webhook_request_is_authentic(
        webhook=webhook, body=body, headers=request.headers
    ):
        return HttpResponse("Forbidden.", status=403)
    address = webhook.inbox.addresses.order_by("-is_primary", "pk").values_list("email", flat=True)
    raw_email = raw_email_receive(
        raw=body, source=IntakeSource.WEBHOOK, recipients=list(address[:1])
    )
    return JsonResponse({"raw_email_id": raw_email.pk})
