from __future__ import annotations

import itertools

from storedesk.accounts.models import Team
from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox, InboxAddress

_counter = itertools.count(1)


def create_inbox(
    *,
    brand: Brand | None = None,
    team: Team | None = None,
    name: str = "",
    channel: str = Channel.EMAIL,
    address: str = "",
) -> Inbox:
    n = next(_counter)
    inbox = Inbox.objects.create(
        brand=brand or create_brand(),
        team=team,
        name=name or f"Inbox {n}",
        channel=channel,
        languages=["en", "sv", "ru", "zh-hans"],
    )
    if address or channel == Channel.EMAIL:
        InboxAddress.objects.create(
            inbox=inbox, email=address or f"inbox{n}@shop.example", is_primary=True
        )
    return inbox
