"""Customers, the addresses and numbers they write from, and their portal sign-in links.

Every table that stores something about a customer points at Customer, so that export and
erasure can find it all from here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from storedesk.core.models import BaseModel
from storedesk.core.text import initials
from storedesk.customers.enums import IdentityKind


class Customer(BaseModel):
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    notify_on_update = models.BooleanField(_("email me when my request is updated"), default=True)
    is_blocked = models.BooleanField(_("blocked"), default=False)
    avatar_color = models.CharField(max_length=7, default="#64748b")

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name or self.primary_email or self.anonymous_label

    @property
    def anonymous_label(self) -> str:
        """For someone with neither name nor address (a chat visitor who stayed anonymous):
        numbered, so an agent with three such chats can tell them apart."""
        return str(_("Visitor %(number)s") % {"number": self.pk})

    @property
    def primary_email(self) -> str:
        for identity in self.identities.all():
            if identity.kind == IdentityKind.EMAIL:
                return identity.value
        return ""

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def initials(self) -> str:
        return initials(str(self))


class CustomerIdentity(BaseModel):
    """An email address, phone number or chat visitor id. Values are stored normalised."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    # Set when mail to this address bounced (agents see it beside the customer); cleared
    # when mail from the address comes in again or an agent clears it.
    bounced_at = models.DateTimeField(_("mail bounced at"), null=True, blank=True)
    bounce_reason = models.CharField(
        _("bounce reason"), max_length=500, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = ["kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="customer_identity_unique"),
        ]
        indexes = [models.Index(Lower("value"), name="customer_identity_value_lower")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class MagicLink(BaseModel):
    """A single-use portal sign-in link. Only the token's hash is stored."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="magic_links")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
