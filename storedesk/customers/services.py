"""Writes to customers: matching by identity, creation, blocking, portal sign-in links."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from storedesk.core.inserts import row_insert, row_insert_unless_taken
from storedesk.customers.enums import IdentityKind
from storedesk.customers.models import Customer, CustomerIdentity, MagicLink

# CustomerIdentity.bounce_reason's max_length.
BOUNCE_REASON_MAX = 500
AVATAR_COLORS = ["#0ea5e9", "#8b5cf6", "#f59e0b", "#10b981", "#ef4444", "#ec4899", "#6366f1"]


def email_normalize(address: str) -> str:
    return address.strip().lower()


def customer_get_or_create_by_email(*, email: str, name: str = "", language: str = "") -> Customer:
    """The customer who owns `email`, created with that identity when unknown.

    The identity's unique constraint decides under concurrency: a second creator that
    loses the race reads the winner's customer.
    """
    return _email_identity_get_or_create(email_normalize(email), name, language).customer


def customer_email_arrived(
    *, email: str, name: str = "", read: dict[str, CustomerIdentity | None] | None = None
) -> Customer:
    """Mail from `email` came in: its customer (created when unknown), and the address's
    bounce flag cleared, since mail from it works again.

    Reads the identity once for both (mail intake calls this for every mail): an UPDATE
    only when the address is flagged. `read`: identities the caller read beforehand for a
    batch (`customers.selectors.email_identities_read`); an address in it is not read
    again, and one created here is taken out of it (the caller's savepoint may still roll
    the new row back, so the next mail from it reads it again).
    Side effects: customer_get_or_create_by_email's, customer_email_bounce_clear's.
    """
    value = email_normalize(email)
    if read is not None and value in read:
        identity = read[value]
        if identity is None:
            identity = _email_identity_create(value, name, "")
            del read[value]
    else:
        identity = _email_identity_get_or_create(value, name, "")
    if identity.bounced_at is not None:
        customer_email_bounce_clear(email=identity.value)
    return identity.customer


def _email_identity_get_or_create(value: str, name: str, language: str) -> CustomerIdentity:
    identity = (
        CustomerIdentity.objects.select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=value)
        .first()
    )
    return identity if identity is not None else _email_identity_create(value, name, language)


def _email_identity_create(value: str, name: str, language: str) -> CustomerIdentity:
    """A new customer with this identity; the identity's unique constraint decides a race.

    The loser of a race takes back its customer row instead of rolling back a savepoint:
    mail intake creates a customer for most new senders, and a savepoint is two statements.
    """
    customer = row_insert(
        Customer(
            name=name.strip(),
            language=language,
            avatar_color=AVATAR_COLORS[sum(map(ord, value)) % len(AVATAR_COLORS)],
        )
    )
    identity = row_insert_unless_taken(
        CustomerIdentity(customer=customer, kind=IdentityKind.EMAIL, value=value),
        unique=("kind", "value"),
    )
    if identity is not None:
        return identity
    Customer.objects.filter(pk=customer.pk).delete()
    return CustomerIdentity.objects.select_related("customer").get(
        kind=IdentityKind.EMAIL, value=value
    )


def customer_set_blocked(*, customer: Customer, is_blocked: bool) -> Customer:
    customer.is_blocked = is_blocked
    customer.save(update_fields=["is_blocked", "updated_at"])
    return customer


def customer_set_notification_preference(*, customer: Customer, notify_on_update: bool) -> Customer:
    customer.notify_on_update = notify_on_update
    customer.save(update_fields=["notify_on_update", "updated_at"])
    return customer


def customer_email_bounce_flag(
    *, emails: Sequence[str], reason: str, at: datetime | None = None
) -> CustomerIdentity | None:
    """Flag the first of `emails` a customer owns as bouncing; None when no customer has one.

    `emails` are the candidates in order of trust (the bounce's recipient, then the address
    we sent to). Side effects: the identity's bounced_at and bounce_reason are set (a later
    bounce overwrites an earlier one).
    """
    for email in emails:
        value = email_normalize(email)
        if not value:
            continue
        identity = CustomerIdentity.objects.filter(kind=IdentityKind.EMAIL, value=value).first()
        if identity is not None:
            identity.bounced_at = at or timezone.now()
            identity.bounce_reason = " ".join(reason.split())[:BOUNCE_REASON_MAX]
            identity.save(update_fields=["bounced_at", "bounce_reason", "updated_at"])
            return identity
    return None


def customer_email_bounce_clear(*, email: str) -> bool:
    """Mail from `email` came in, so the address works again: clear its flag; True if set.

    One UPDATE that matches nothing unless the address is flagged, so intake may call it for
    every mail. Side effects: bounced_at and bounce_reason emptied.
    """
    updated = CustomerIdentity.objects.filter(
        kind=IdentityKind.EMAIL, value=email_normalize(email), bounced_at__isnull=False
    ).update(bounced_at=None, bounce_reason="", updated_at=timezone.now())
    return updated > 0


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def magic_link_create(*, customer: Customer) -> str:
    """A new single-use sign-in token; only its hash is stored. Returns the token."""
    token = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        customer=customer,
        token_hash=_token_hash(token),
        expires_at=timezone.now() + timedelta(seconds=settings.MAGIC_LINK_MAX_AGE_SECONDS),
    )
    return token


@transaction.atomic
def magic_link_redeem(*, token: str) -> Customer | None:
    """The customer the token signs in, once; None when unknown, used or expired."""
    link = (
        MagicLink.objects.select_for_update()
        .select_related("customer")
        .filter(token_hash=_token_hash(token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if link is None:
        return None
    link.used_at = timezone.now()
    link.save(update_fields=["used_at", "updated_at"])
    return link.customer
