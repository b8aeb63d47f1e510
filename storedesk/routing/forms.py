"""The admins' forms for business hours, time zones and first-response targets.

Opening hours are typed per weekday as "09:00-12:00, 13:00-17:00": one line a day reads
like a shop's door sign and needs no JavaScript to add rows.
"""

from __future__ import annotations

import re
from datetime import date, time
from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from storedesk.brands.models import Brand
from storedesk.routing.models import BusinessHours, Weekday

_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
MAX_HOLIDAY_NAME = 120


def _clock(hours: str, minutes: str, *, end: bool) -> time:
    h, m = int(hours), int(minutes)
    if end and (h, m) == (24, 0):
        return time(0)  # midnight at the end of the day, as BusinessHoursInterval stores it
    if h > 23 or m > 59:
        raise ValueError
    return time(h, m)


def _clock_text(value: time) -> str:
    return "24:00" if value == time(0) else f"{value:%H:%M}"


def intervals_parse(text: str) -> list[tuple[time, time]]:
    """ "09:00-12:00, 13:00-17:00" -> [(09:00, 12:00), (13:00, 17:00)]; "" -> closed."""
    result = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        match = _RANGE.match(part)
        if match is None:
            raise forms.ValidationError(
                _("“%(part)s” is not a time range. Write e.g. 09:00-12:00, 13:00-17:00."),
                params={"part": part},
            )
        try:
            opens = _clock(match[1], match[2], end=False)
            closes = _clock(match[3], match[4], end=True)
        except ValueError:
            raise forms.ValidationError(
                _("“%(part)s” has a time that does not exist."), params={"part": part}
            ) from None
        if closes != time(0) and closes <= opens:
            raise forms.ValidationError(
                _("In “%(part)s” the closing time is not after the opening time."),
                params={"part": part},
            )
        result.append((opens, closes))
    return result


def holidays_parse(text: str) -> list[tuple[date, str]]:
    """One holiday a line: "2026-12-24 Christmas Eve"."""
    result: dict[date, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        day_text, _sep, name = line.partition(" ")
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise forms.ValidationError(
                _("Line %(number)s: “%(day)s” is not a date like 2026-12-24."),
                params={"number": number, "day": day_text},
            ) from None
        result[day] = name.strip()[:MAX_HOLIDAY_NAME]
    return sorted(result.items())


class BusinessHoursForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("of a business-hours schedule", "Name"),
                           max_length=120)
    is_default = forms.BooleanField(label=_("Default for the brand"), required=False)
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "2026-12-24 Christmas Eve"}),
        help_text=_("One a line: the date, then a name. Closed all day."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for day in Weekday:
            self.fields[f"day_{day.value}"] = forms.CharField(
                label=day.label,
                required=False,
                widget=forms.TextInput(attrs={"placeholder": _("closed")}),
            )

    def weekday_fields(self) -> list[forms.BoundField]:
        return [self[f"day_{day.value}"] for day in Weekday]

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        intervals = []
        for day in Weekday:
            key = f"day_{day.value}"
            try:
                intervals += [(day.value, o, c) for o, c in intervals_parse(cleaned.get(key, ""))]
            except forms.ValidationError as exc:
                self.add_error(key, exc)
        try:
            cleaned["holidays"] = holidays_parse(cleaned.get("holidays", ""))
        except forms.ValidationError as exc:
            self.add_error("holidays", exc)
        cleaned["intervals"] = intervals
        return cleaned

    @staticmethod
    def initial_for(schedule: BusinessHours) -> dict[str, object]:
        initial: dict[str, object] = {"name": schedule.name, "is_default": schedule.is_default}
        for day in Weekday:
            ranges = [
                f"{i.opens_at:%H:%M}-{_clock_text(i.closes_at)}"
                for i in schedule.intervals.all()
                if i.weekday == day.value
            ]
            initial[f"day_{day.value}"] = ", ".join(ranges)
        initial["holidays"] = "\n".join(
            f"{h.date:%Y-%m-%d} {h.name}".strip() for h in schedule.holidays.all()
        )
        return initial


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label=_("Time zone"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(zone, zone) for zone in sorted(available_timezones())]


class ResponseTargetForm(forms.Form):
    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=24 * 30)
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=59)
    business_hours = forms.ModelChoiceField(
        label=_("Counted in"),
        queryset=BusinessHours.objects.none(),
        required=False,
        empty_label=_("The brand's default schedule"),
    )

    def __init__(self, *args: object, brand: Brand, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["business_hours"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = BusinessHours.objects.filter(brand=brand)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        hours, minutes = cleaned.get("hours"), cleaned.get("minutes")
        if isinstance(hours, int) and isinstance(minutes, int):
            if hours == 0 and minutes == 0:
                raise forms.ValidationError(_("The target must be at least one minute."))
            cleaned["first_response_seconds"] = hours * 3600 + minutes * 60
        return cleaned
