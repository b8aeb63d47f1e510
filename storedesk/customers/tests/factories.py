from __future__ import annotations

import itertools

from storedesk.customers.models import Customer
from storedesk.customers.services import customer_get_or_create_by_email

_counter = itertools.count(1)


def create_customer(*, email: str = "", name: str = "", language: str = "") -> Customer:
    n = next(_counter)
    return customer_get_or_create_by_email(
        email=email or f"customer{n}@example.com", name=name or f"Customer {n}", language=language
    )
