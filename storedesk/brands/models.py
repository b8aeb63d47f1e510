"""A brand is one store. One installation may serve several stores of one company."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from storedesk.core.models import BaseModel


class Brand(BaseModel):
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    domain = models.CharField(_("domain"), max_length=255, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    sender_name = models.CharField(_("sender name"), max_length=120, blank=True)
    logo = models.ImageField(_("logo"), upload_to="brands/", blank=True)
    accent_color = models.CharField(_("accent colour"), max_length=7, default="#2563eb")

    class Meta:
        ordering = ["name"]
        verbose_name = _("brand")
        verbose_name_plural = _("brands")

    def __str__(self) -> str:
        return self.name

    @property
    def from_email(self) -> str:
        """The installation's sender address under this store's name."""
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        return formataddr((self.sender_name or self.name, address))
