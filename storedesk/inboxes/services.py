"""Writes to inboxes and their email addresses (the admins' screens call these)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from storedesk.accounts.models import Team
from storedesk.brands.models import Brand
from storedesk.inboxes.models import Inbox, InboxAddress


@transaction.atomic
def inbox_create(
    *,
    brand: Brand,
    name: str,
    channel: str,
    team: Team | None,
    signature: str = "",
    languages: Sequence[str] = ("en",),
    is_active: bool = True,
) -> Inbox:
    """A new inbox; for email it still needs an address (inbox_address_add). No side effects."""
    return Inbox.objects.create(
        brand=brand,
        name=name.strip(),
        channel=channel,
        team=team,
        signature=signature,
        languages=list(languages),
        is_active=is_active,
    )


@transaction.atomic
def inbox_update(
    *,
    inbox: Inbox,
    name: str,
    team: Team | None,
    signature: str,
    languages: Sequence[str],
    is_active: bool,
) -> Inbox:
    """Change what admins may change; brand and channel stay (conversations depend on them)."""
    inbox.name = name.strip()
    inbox.team = team
    inbox.signature = signature
    inbox.languages = list(languages)
    inbox.is_active = is_active
    inbox.save(update_fields=["name", "team", "signature", "languages", "is_active", "updated_at"])
    return inbox


def inbox_address_add(*, inbox: Inbox, email: str, is_primary: bool = False) -> InboxAddress:
    """A further address (an alias) delivering into `inbox`.

    Addresses are unique installation-wide, case-insensitively; the database constraint
    decides, and a taken address raises ValidationError naming the inbox that has it. The
    inbox's first address becomes its primary. Side effects: with is_primary, the previous
    primary address stops being primary.
    """
    email = email.strip()
    try:
        with transaction.atomic():
            primary_exists = inbox.addresses.filter(is_primary=True).exists()
            address = InboxAddress.objects.create(inbox=inbox, email=email, is_primary=False)
            if is_primary or not primary_exists:
                inbox_address_make_primary(address=address)
    except IntegrityError:
        raise ValidationError(_address_taken_message(email), code="address_taken") from None
    return address


def _address_taken_message(email: str) -> str:
    owner = InboxAddress.objects.filter(email__iexact=email).select_related("inbox__brand").first()
    if owner is None:  # removed again since; the admin can simply retry
        return _("The address %(email)s was just taken. Try again.") % {"email": email}
    return _("The address %(email)s already belongs to the inbox “%(inbox)s”.") % {
        "email": owner.email,
        "inbox": owner.inbox,
    }


@transaction.atomic
def inbox_address_make_primary(*, address: InboxAddress) -> InboxAddress:
    """Make `address` the one the inbox sends from. Side effects: others lose the mark."""
    InboxAddress.objects.filter(inbox_id=address.inbox_id, is_primary=True).exclude(
        pk=address.pk
    ).update(is_primary=False)
    address.is_primary = True
    address.save(update_fields=["is_primary", "updated_at"])
    return address


@transaction.atomic
def inbox_address_remove(*, address: InboxAddress) -> None:
    """Stop taking mail for `address`. The last address of an active email inbox stays
    (mail to it would be refused from then on), so that raises ValidationError.

    Side effects: when the primary goes, the oldest remaining address becomes primary.
    Mail already stored keeps its conversations.
    """
    inbox = Inbox.objects.select_for_update().get(pk=address.inbox_id)
    others = inbox.addresses.exclude(pk=address.pk).order_by("created_at", "pk")
    if not others.exists() and inbox.is_active:
        raise ValidationError(
            _("An active email inbox needs at least one address. Add another one first."),
            code="last_address",
        )
    address.delete()
    successor = others.first()
    if address.is_primary and successor is not None:
        inbox_address_make_primary(address=successor)
