"""Choices of the deflection and content-gap records (models/deflection.py)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SuggestionSource(models.TextChoices):
    CONTACT_FORM = "contact_form", _("Contact form")
    HELP_CENTRE = "help_centre", _("Help centre")
    CHAT = "chat", _("Chat widget")


class DeflectionEventKind(models.TextChoices):
    SHOWN = "shown", _("Shown")
    OPENED = "opened", pgettext_lazy("a suggested article, by the customer", "Opened")
    ANSWERED = "answered", _("Answered the question")


class ArticleUseMode(models.TextChoices):
    LINK = "link", _("Link")
    TEXT = "text", _("Text")
