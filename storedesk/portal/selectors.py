"""Reads for the customer portal, always scoped to one customer or one brand."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from storedesk.brands.models import Brand
from storedesk.conversations.access import conversations_visible_to_customer
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation
from storedesk.customers.models import Customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox

S = ConversationStatus


@dataclass(frozen=True)
class CustomerStatus:
    """A conversation status in the customer's terms: agents' on-hold is still "open" to them."""

    key: str
    label: Promise
    hint: Promise


OPEN = CustomerStatus("open", _("Open"), _("We're working on it"))
AWAITING = CustomerStatus("awaiting", _("Awaiting your reply"), _("We asked you something"))
SOLVED = CustomerStatus("solved", _("Solved"), _("Reply if you still need help"))
CLOSED = CustomerStatus("closed", _("Solved"), _("Closed; start a new request if you need help"))
_BY_STATUS = {S.PENDING: AWAITING, S.SOLVED: SOLVED, S.CLOSED: CLOSED}


def customer_status(status: str) -> CustomerStatus:
    return _BY_STATUS.get(ConversationStatus(status), OPEN)


def brand_get_by_slug(*, slug: str) -> Brand | None:
    return Brand.objects.filter(slug=slug).first()


def brand_get_for_portal(*, brand_id: int | None) -> Brand | None:
    """The brand a visitor last used, else the first one created."""
    if brand_id is not None:
        brand = Brand.objects.filter(pk=brand_id).first()
        if brand is not None:
            return brand
    return Brand.objects.order_by("pk").first()


def web_form_inbox_for_brand(*, brand: Brand) -> Inbox | None:
    return (
        Inbox.objects.filter(brand=brand, channel=Channel.WEB_FORM, is_active=True)
        .order_by("pk")
        .first()
    )


def conversation_list_for_customer(*, customer: Customer) -> QuerySet[Conversation]:
    return (
        conversations_visible_to_customer(customer)
        .select_related("brand")
        .order_by("-last_message_at")
    )
