"""Reads about customers."""

from __future__ import annotations

from collections.abc import Iterable

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


def email_identities_read(emails: Iterable[str]) -> dict[str, CustomerIdentity | None]:
    """The email identity (customer loaded) of each address, None for an unknown one; one
    query. For `customer_email_arrived(read=...)`."""
    values = {email_normalize(email) for email in emails if email}
    found = {
        identity.value: identity
        for identity in CustomerIdentity.objects.select_related("customer").filter(
            kind=IdentityKind.EMAIL, value__in=values
        )
    }
    return {value: found.get(value) for value in values}
