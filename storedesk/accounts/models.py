"""Agents and administrators (customers are not users), and the teams they work in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from storedesk.accounts.enums import AgentStatus, Role
from storedesk.core.models import BaseModel
from storedesk.core.text import initials


class User(AbstractUser):
    email = models.EmailField(_("email address"), unique=True)
    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    signature = models.TextField(_("signature"), blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    status = models.CharField(
        _("status"), max_length=16, choices=AgentStatus.choices, default=AgentStatus.OFFLINE
    )
    chat_capacity = models.PositiveSmallIntegerField(
        _("chat capacity"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        ordering = ["display_name", "username"]
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser

    @property
    def initials(self) -> str:
        return initials(self.name)


class Team(BaseModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name
