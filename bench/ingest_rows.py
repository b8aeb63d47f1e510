"""The rows bench/ingest.py writes before the intake (shop, team, inboxes) and counts after."""

from __future__ import annotations

from typing import Any

from ingest_corpus import SHOP_ADDRESSES


def reference_data_create() -> None:
    from storedesk.accounts.models import Team
    from storedesk.brands.models import Brand
    from storedesk.inboxes.enums import Channel
    from storedesk.inboxes.models import Inbox, InboxAddress

    team = Team.objects.create(name="Front line")
    brand = Brand.objects.create(name="Nordic Home", slug="nordic-home", domain="shop.example")
    for address in SHOP_ADDRESSES:
        inbox = Inbox.objects.create(
            brand=brand, name=address.split("@")[0].title(), channel=Channel.EMAIL, team=team,
            languages=["en", "sv", "ru", "zh-hans"],
        )
        InboxAddress.objects.create(inbox=inbox, email=address, is_primary=True)


def row_counts() -> dict[str, Any]:
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from storedesk.conversations.models import Conversation, Message
    from storedesk.customers.models import Customer
    from storedesk.mail.models import OutboundEmail, RawEmail, RawEmailDelivery

    states = dict(
        RawEmail.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")
    )
    return {
        "raw emails": RawEmail.objects.count(),
        "raw email states": states,
        "deliveries": RawEmailDelivery.objects.count(),
        "conversations": Conversation.objects.count(),
        "messages": Message.objects.count(),
        "customers": Customer.objects.count(),
        "outbound emails (auto-replies)": OutboundEmail.objects.count(),
        "task rows": DBTaskResult.objects.count(),
    }
