"""The email admin forms: IMAP accounts and auto-reply texts. Input only; services write."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.mail.autoreply import PLACEHOLDERS
from storedesk.mail.enums import ImapSecurity

MAX_FOLDERS = 20
NUMBER_PLACEHOLDER = re.compile(r"\{\{\s*number\s*\}\}")


class ImapAccountForm(forms.Form):
    inbox = forms.ModelChoiceField(
        label=_("Inbox"),
        queryset=Inbox.objects.filter(channel=Channel.EMAIL).select_related("brand"),
    )
    host = forms.CharField(label=_("Host"), max_length=255)
    port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(
        label=_("Security"), choices=ImapSecurity.choices, initial=ImapSecurity.TLS
    )
    username = forms.CharField(label=_("User name"), max_length=320)
    # Write-only: never rendered back; left empty on an existing account it stays as stored.
    password = forms.CharField(
        label=_("Password"),
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    folders = forms.CharField(
        label=_("Folders"),
        required=False,
        initial="INBOX",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One folder a line, as the server names it. Empty: INBOX."),
    )
    is_active = forms.BooleanField(label=_("Fetch from this account"), required=False, initial=True)

    def __init__(self, *args: object, has_password: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.has_password = has_password
        if has_password:
            self.fields["password"].help_text = _("Stored. Leave empty to keep it.")

    def clean_host(self) -> str:
        host: str = self.cleaned_data["host"].strip()
        if not host or any(c.isspace() or c in "/:@" for c in host):
            raise forms.ValidationError(_("Enter a host name such as imap.example.com."))
        return host

    def clean_password(self) -> str | None:
        password: str = self.cleaned_data["password"]
        if password:
            return password
        if not self.has_password:
            raise forms.ValidationError(_("Enter the password."))
        return None

    def clean_folders(self) -> list[str]:
        folders = [line.strip() for line in self.cleaned_data["folders"].splitlines()]
        folders = list(dict.fromkeys(f for f in folders if f))
        if len(folders) > MAX_FOLDERS:
            raise forms.ValidationError(
                _("At most %(count)s folders."), params={"count": MAX_FOLDERS}
            )
        return folders or ["INBOX"]


class AutoReplyTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=250)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 12}))

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        if not NUMBER_PLACEHOLDER.search(body):
            raise forms.ValidationError(
                _("Keep {{ number }} in the text: customers need the number to follow up.")
            )
        return body


def placeholder_names() -> list[str]:
    return ["{{ " + name + " }}" for name in PLACEHOLDERS]
