"""An inbox is one way in: email addresses, a web form, a chat widget or a phone line.

Channels are configuration, not code paths: an inbox says which channel adapter serves it.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from storedesk.accounts.models import Team
from storedesk.brands.models import Brand
from storedesk.core.models import BaseModel
from storedesk.inboxes.enums import Channel


def default_languages() -> list[str]:
    return ["en"]


class Inbox(BaseModel):
    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="inboxes")
    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="inboxes"
    )
    signature = models.TextField(_("signature"), blank=True)
    languages = models.JSONField(_("languages"), default=default_languages)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["brand__name", "name"]
        verbose_name = _("inbox")
        verbose_name_plural = _("inboxes")

    def __str__(self) -> str:
        return f"{self.brand.name} · {self.name}"


class InboxAddress(BaseModel):
    """An email address that delivers into an inbox (aliases are further rows)."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="addresses")
    email = models.EmailField(_("address"))
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="inbox_address_email_unique"),
        ]

    def __str__(self) -> str:
        return self.email
