"""Forms of the agent chat console (views_console.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import Team, User


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=AgentStatus.choices)


class TransferForm(forms.Form):
    """To one agent or to a team's queue: exactly one of the two."""

    agent = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.all(), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("agent")) == bool(data.get("team")):
            raise forms.ValidationError(_("Choose an agent or a team."))
        return data


class TranscriptForm(forms.Form):
    email = forms.EmailField(max_length=254)



class CapacityForm(forms.Form):
    capacity = forms.IntegerField(min_value=1, max_value=10)


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    text = forms.CharField(
        label=_("Text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    shortcut = forms.SlugField(
        label=_("Shortcut"), max_length=40, required=False,
        help_text=_("Type /shortcut in a reply to insert it."),
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("Every team")
    )

    def __init__(self, *args: Any, agent: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        assert isinstance(team, forms.ModelChoiceField)
        team.queryset = Team.objects.all() if agent.is_admin else agent.teams.all()
