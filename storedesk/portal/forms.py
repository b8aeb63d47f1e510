"""Portal forms. Attachment limits come from conversations' attachments_validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from storedesk.conversations.services.attachments import attachments_validate


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (Django's documented recipe)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(MultipleFileField, self).clean(item, initial) for item in items if item]
        attachments_validate(files)
        return files


class AttachmentsMixin(forms.Form):
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Limits are read per request, not at import.
        self.fields["attachments"].help_text = _(
            "Up to %(count)d files, %(size)s each."
        ) % {
            "count": settings.ATTACHMENT_MAX_FILES,
            "size": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
        }


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class ContactForm(AttachmentsMixin):
    name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("How can we help?"), widget=forms.Textarea(attrs={"rows": 7}))
    # The honeypot: named like a real field, hidden by CSS. People leave it empty; bots fill it.
    website = forms.CharField(
        label=_("Website"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class ReplyForm(AttachmentsMixin):
    message = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}))


NOTIFY_CHOICES = {"default": None, "always": True, "never": False}


class ConversationNotificationForm(forms.Form):
    notify = forms.ChoiceField(
        label=_("Email me about this request"),
        choices=[
            ("default", _("Follow my default")),
            ("always", _("Always email me")),
            ("never", _("Never email me")),
        ],
        widget=forms.RadioSelect,
    )

    @staticmethod
    def initial_for(value: bool | None) -> dict[str, str]:
        key = next(k for k, v in NOTIFY_CHOICES.items() if v is value)
        return {"notify": key}

    def cleaned_value(self) -> bool | None:
        return NOTIFY_CHOICES[self.cleaned_data["notify"]]


class NotificationSettingsForm(forms.Form):
    notify_on_update = forms.BooleanField(
        label=_("Email me when my request is updated"), required=False
    )


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=lambda: settings.LANGUAGES)
    next = forms.CharField(required=False)
