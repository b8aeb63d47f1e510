"""The admins' preview of an acknowledgement: composed for a sample conversation, now."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from storedesk.conversations.models import Conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.mail.autoreply import ComposedAutoReply, auto_reply_compose
from storedesk.routing.models import AutoReplyTemplate
from storedesk.routing.selectors import expected_first_response_at

SAMPLE_NUMBER = 1042


def auto_reply_preview(
    *, inbox: Inbox, language: str, subject: str | None = None, body: str | None = None
) -> ComposedAutoReply:
    """What a customer writing in `language` to `inbox` would get now.

    With `subject` and `body`: the admin's unsaved text; without: what is in effect (the
    inbox's own text or the built-in one). The answer time is the real one for this inbox
    (its hours, target and current backlog). The sample conversation is never saved.
    Writes nothing, sends nothing.
    """
    customer = Customer(pk=0, name="Kim Lee", language=language)
    # Email, not web form: only a saved web-form conversation has a first message to copy.
    conversation = Conversation(
        number=SAMPLE_NUMBER,
        inbox=inbox,
        brand=inbox.brand,
        customer=customer,
        channel=Channel.EMAIL,
        subject=_("Where is my order?"),
        language=language,
    )
    override = None
    if subject is not None and body is not None:
        override = AutoReplyTemplate(inbox=inbox, language=language, subject=subject, body=body)
    now = timezone.now()
    return auto_reply_compose(
        conversation=conversation,
        expected_at=expected_first_response_at(inbox=inbox, now=now),
        now=now,
        override=override,
    )
