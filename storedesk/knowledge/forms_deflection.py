"""Input of the public suggestion endpoints."""

from __future__ import annotations

from django import forms
from django.conf import settings

from storedesk.knowledge.deflection_enums import DeflectionEventKind, SuggestionSource

SESSION_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"


class SuggestForm(forms.Form):
    # Longer text is cut rather than refused: the message box of a contact form can hold
    # pages, and its start says what it is about.
    q = forms.CharField(required=False, strip=True)
    lang = forms.ChoiceField(choices=[("", ""), *settings.LANGUAGES], required=False)
    s = forms.RegexField(regex=SESSION_KEY_PATTERN, required=False)
    source = forms.ChoiceField(choices=SuggestionSource.choices, required=False)
    format = forms.ChoiceField(choices=[("html", "html"), ("json", "json")], required=False)


class SuggestEventForm(forms.Form):
    s = forms.RegexField(regex=SESSION_KEY_PATTERN)
    article = forms.IntegerField(min_value=1)
    kind = forms.ChoiceField(
        choices=[
            (kind.value, kind.label)
            for kind in (DeflectionEventKind.OPENED, DeflectionEventKind.ANSWERED)
        ]
    )
