"""The admins' inbox forms: input only; writes go through inboxes.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from storedesk.accounts.models import Team
from storedesk.brands.models import Brand
from storedesk.inboxes.enums import Channel


class InboxForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("of an inbox", "Name"), max_length=120)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False
    )
    signature = forms.CharField(
        label=_("Signature"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one language.")},
    )
    is_active = forms.BooleanField(
        label=pgettext_lazy("an inbox that receives messages", "Active"), required=False,
        initial=True,
    )

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the inbox a name."))
        return name


class InboxCreateForm(InboxForm):
    """Brand and channel are chosen once: conversations and threading depend on them."""

    brand = forms.ModelChoiceField(label=_("Brand"), queryset=Brand.objects.order_by("name"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.EMAIL)

    field_order = ["brand", "channel", "name", "team", "signature", "languages", "is_active"]


class InboxAddressForm(forms.Form):
    email = forms.EmailField(label=_("Address"), max_length=254)
    is_primary = forms.BooleanField(label=_("Send from this address"), required=False)

    def clean_email(self) -> str:
        value: Any = self.cleaned_data["email"]
        return str(value).strip()
