"""Parsing what agents send from the workspace; each form feeds one service."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.http import Http404, QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from storedesk.accounts.models import Team, User
from storedesk.conversations.access import access_conversation_for_agent
from storedesk.conversations.enums import ConversationStatus, InboxSort, Priority
from storedesk.conversations.models import Conversation
from storedesk.conversations.selectors import STATUS_VIEWS, InboxFilters
from storedesk.conversations.services.attachments import attachments_validate
from storedesk.conversations.services.messages import MessageContent
from storedesk.inboxes.enums import Channel

STATUS_VIEW_NAMES = [*STATUS_VIEWS, "snoozed", "all"]
FILTER_KEYS = ("status", "brand", "inbox", "team", "assignee", "tag", "language", "channel", "q",
               "sort")


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[(s, s) for s in STATUS_VIEW_NAMES], required=False)
    brand = forms.IntegerField(required=False, min_value=1)
    inbox = forms.IntegerField(required=False, min_value=1)
    team = forms.IntegerField(required=False, min_value=1)
    assignee = forms.RegexField(regex=r"^(me|unassigned|\d+)$", required=False)
    tag = forms.CharField(required=False, max_length=64)
    language = forms.ChoiceField(choices=settings.LANGUAGES, required=False)
    channel = forms.ChoiceField(choices=Channel.choices, required=False)
    q = forms.CharField(required=False, max_length=200)
    sort = forms.ChoiceField(choices=InboxSort.choices, required=False)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def filters(self) -> InboxFilters:
        """The valid part of the query; a bad value falls back to 'no filter'."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return InboxFilters(
            status=data.get("status", "open"),
            brand_id=data.get("brand"), inbox_id=data.get("inbox"), team_id=data.get("team"),
            assignee=data.get("assignee", ""), tag=data.get("tag", ""),
            language=data.get("language", ""), channel=data.get("channel", ""),
            query=data.get("q", ""), sort=data.get("sort", InboxSort.NEWEST),
        )

    def page_number(self) -> int:
        self.is_valid()
        return int(self.cleaned_data.get("page") or 1)


def filter_query(params: QueryDict, **changes: str) -> str:
    """The inbox query string with `changes` applied (empty drops a key); page resets."""
    query = QueryDict(mutable=True)
    for key in FILTER_KEYS:
        value = changes.get(key, params.get(key, ""))
        if value:
            query[key] = value
    return query.urlencode()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [super(MultipleFileField, self).clean(f, initial) for f in files]
        attachments_validate(cleaned)
        return cleaned


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"), max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 5, "data-presence": "replying"}),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)
    client_id = forms.CharField(required=False, max_length=64)
    id_prefix = "note"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Reply and note forms share a page: distinct ids keep labels pointing right.
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)

    def content(self) -> MessageContent:
        data = self.cleaned_data
        return MessageContent(
            text=data["text"], files=data["attachments"], client_id=data.get("client_id", "")
        )


class ReplyForm(NoteForm):
    text = forms.CharField(
        label=_("Reply"), max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 6, "data-presence": "replying"}),
    )
    cc = forms.CharField(
        label=_("CC"), required=False, max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": _("name@example.com, …")}),
    )

    field_order = ["cc", "text", "attachments", "client_id"]
    id_prefix = "reply"

    def clean_cc(self) -> list[str]:
        addresses = [a.strip() for a in self.cleaned_data["cc"].replace(";", ",").split(",")]
        addresses = [a for a in addresses if a]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("%(address)s is not an email address.") % {"address": address}
                ) from None
        return addresses

    def content(self) -> MessageContent:
        data = self.cleaned_data
        return MessageContent(
            text=data["text"], files=data["attachments"], cc=data["cc"],
            client_id=data.get("client_id", ""),
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ConversationStatus.choices)


class PriorityForm(forms.Form):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)


class TeamForm(forms.Form):
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)


class AssigneeForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, agents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents  # type: ignore[attr-defined]


class TagsForm(forms.Form):
    tags = forms.CharField(label=_("Tags"), required=False, max_length=1000)

    def clean_tags(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["tags"].split(",") if name.strip()]


class SnoozeForm(forms.Form):
    PRESETS = [
        ("hour", _("In 1 hour")),
        ("tomorrow", _("Tomorrow at 9:00")),
        ("next_week", _("Next week (Monday 9:00)")),
        ("custom", _("Pick a date and time")),
        ("wake", _("Wake now")),
    ]
    preset = forms.ChoiceField(label=_("Snooze"), choices=PRESETS)
    until = forms.DateTimeField(
        label=_("Until"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preset") == "custom" and not data.get("until"):
            self.add_error("until", _("Choose when the conversation should come back."))
        return data

    def snooze_until(self) -> datetime | None:
        """The moment picked, in the agent's own time zone (activated by middleware)."""
        preset = self.cleaned_data["preset"]
        now = timezone.localtime()
        nine = time(9, 0)
        if preset == "hour":
            return now + timedelta(hours=1)
        if preset == "tomorrow":
            return _at(now.date() + timedelta(days=1), nine)
        if preset == "next_week":
            return _at(now.date() + timedelta(days=7 - now.weekday()), nine)
        if preset == "custom":
            until: datetime = self.cleaned_data["until"]
            return until
        return None


def _at(day: Any, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


class MergeForm(forms.Form):
    target = forms.IntegerField(label=_("Merge into conversation number"), min_value=1)

    def __init__(self, *args: Any, agent: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agent = agent

    def clean_target(self) -> Conversation:
        number = self.cleaned_data["target"]
        try:
            return access_conversation_for_agent(agent=self.agent, number=number)
        except Http404:
            raise ValidationError(
                _("There is no conversation #%(number)s.") % {"number": number}
            ) from None


class BulkForm(forms.Form):
    ACTIONS = [
        ("status", _("Set status")),
        ("assign", _("Assign")),
        ("unassign", _("Unassign")),
        ("tag", _("Add tag")),
        ("spam", _("Mark as spam")),
    ]
    numbers = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), widget=forms.MultipleHiddenInput
    )
    action = forms.ChoiceField(choices=ACTIONS)
    status = forms.ChoiceField(choices=ConversationStatus.choices, required=False)
    assignee = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)
    tag = forms.CharField(required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any number is acceptable here; the selector keeps only what the agent may see.
        self.fields["numbers"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        required = {"status": "status", "assign": "assignee", "tag": "tag"}.get(
            data.get("action", "")
        )
        if required and not data.get(required):
            self.add_error(required, _("Choose a value for this action."))
        return data

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        action = data["action"]
        return {
            "status": data["status"] if action == "status" else (
                ConversationStatus.SPAM if action == "spam" else ""),
            "assignee": data["assignee"] if action == "assign" else None,
            "unassign": action == "unassign",
            "add_tag": data["tag"] if action == "tag" else "",
        }


class SavedViewForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("of a saved view", "Name"), max_length=80)
    query = forms.CharField(required=False, max_length=1000)

    def clean_query(self) -> str:
        params = QueryDict(self.cleaned_data["query"])
        return filter_query(params)
