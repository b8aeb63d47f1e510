"""Reads about customers."""

from __future__ import annotations

from storedesk.customers.enums import IdentityKind
from storedesk.customers.models import Customer, CustomerIdentity
from storedesk.customers.services import email_normalize


def customer_get_by_email(*, email: str) -> Customer | None:
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=email_normalize(email))
        .first()
    )
    return identity.customer if identity is not None else None
