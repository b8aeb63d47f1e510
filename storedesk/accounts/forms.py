from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from storedesk.accounts.models import User
from storedesk.accounts.selectors import time_zone_choices
from storedesk.accounts.services import LoginThrottledError, agent_authenticate

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a spoofable X-Forwarded-For would let anyone dodge the IP limit.
    return str(request.META.get("REMOTE_ADDR", ""))


class SignInForm(forms.Form):
    login = forms.CharField(
        label=_("Username or email"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            self.user = agent_authenticate(
                request=self.request, login=data["login"], password=data["password"],
                ip=client_ip(self.request),
            )
        except LoginThrottledError:
            raise forms.ValidationError(
                _("Too many failed sign-in attempts. Wait %(minutes)d minutes and try again.")
                % {"minutes": max(1, settings.LOGIN_FAILURE_WINDOW_SECONDS // 60)},
                code="throttled",
            ) from None
        if self.user is None or not self.user.is_active:
            raise forms.ValidationError(
                _("That username or email and password do not match."), code="invalid_login"
            )
        return data


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=120, required=False)
    language = forms.ChoiceField(
        label=_("Language"), required=False,
        choices=[("", _("Browser's language")), *settings.LANGUAGES],
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    signature = forms.CharField(
        label=_("Signature"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Added under your replies."),
    )
    avatar = forms.ImageField(
        label=_("Avatar"), required=False,
        help_text=_("JPEG, PNG, GIF or WebP, at most 2 MB."),
    )
    remove_avatar = forms.BooleanField(label=_("Remove avatar"), required=False)

    def clean_avatar(self) -> UploadedFile | None:
        avatar: UploadedFile | None = self.cleaned_data.get("avatar")
        if avatar is None:
            return None
        if (avatar.size or 0) > AVATAR_MAX_BYTES:
            raise forms.ValidationError(
                _("The image is larger than %(limit)s.")
                % {"limit": filesizeformat(AVATAR_MAX_BYTES)}
            )
        # forms.ImageField has already opened it with Pillow; also insist on a web format.
        image = getattr(avatar, "image", None)
        if image is None or image.format not in AVATAR_FORMATS:
            raise forms.ValidationError(_("Upload a JPEG, PNG, GIF or WebP image."))
        return avatar


def profile_initial(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name, "language": user.language,
        "time_zone": user.time_zone, "signature": user.signature,
    }


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False)
