from __future__ import annotations

import itertools

from storedesk.brands.models import Brand

_counter = itertools.count(1)


def create_brand(*, name: str = "", **fields: object) -> Brand:
    n = next(_counter)
    return Brand.objects.create(
        name=name or f"Shop {n}", slug=f"shop-{n}", time_zone="Europe/Stockholm", **fields
    )
