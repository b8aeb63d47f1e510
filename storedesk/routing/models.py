"""Business hours, holidays, first-response targets and per-inbox auto-reply templates.

Routing points at brands and inboxes; nothing lower points back here. The clock maths
lives in `business_hours.py` and works on a plain `Schedule`, never on these rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from storedesk.brands.models import Brand
from storedesk.core.models import BaseModel
from storedesk.inboxes.models import Inbox


class Weekday(models.IntegerChoices):
    # Python's numbering (date.weekday()), so the maths needs no translation table.
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class BusinessHours(BaseModel):
    """A weekly schedule of a brand, read in the brand's time zone (`Brand.time_zone`)."""

    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="business_hours")
    name = models.CharField(_("name"), max_length=120)
    # The schedule inboxes use when their response target names none.
    is_default = models.BooleanField(_("default for the brand"), default=False)

    class Meta:
        ordering = ["brand", "-is_default", "name"]
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [
            models.UniqueConstraint(
                fields=["brand"],
                condition=models.Q(is_default=True),
                name="business_hours_one_default_per_brand",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class BusinessHoursInterval(BaseModel):
    """One opening on one weekday; several per day make lunch breaks.

    `closes_at` 00:00 means midnight at the end of the day, so 00:00-00:00 is a full day.
    """

    schedule = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))

    class Meta:
        ordering = ["schedule", "weekday", "opens_at"]
        verbose_name = _("opening interval")
        verbose_name_plural = _("opening intervals")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="business_hours_interval_weekday_range",
            ),
            models.CheckConstraint(
                condition=models.Q(opens_at__lt=models.F("closes_at"))
                | models.Q(closes_at="00:00"),
                name="business_hours_interval_opens_before_closes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class Holiday(BaseModel):
    """A local date on which the schedule stays closed all day."""

    schedule = models.ForeignKey(BusinessHours, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=120, blank=True)

    class Meta:
        ordering = ["schedule", "date"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date"], name="holiday_date_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}".strip()


class ResponseTarget(BaseModel):
    """How soon an inbox promises a first response, in business time."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="response_target")
    first_response_seconds = models.PositiveIntegerField(
        _("first response within (business seconds)"), default=4 * 3600
    )
    # None: the brand's default schedule (24/7 when the brand has none).
    business_hours = models.ForeignKey(
        BusinessHours,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="response_targets",
    )

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")

    def __str__(self) -> str:
        return f"{self.inbox_id}: {self.first_response_seconds}s"


class AutoReplyTemplate(BaseModel):
    """An inbox's own acknowledgement text in one language, replacing the built-in one.

    Subject and body may use only the placeholders in `mail.autoreply.PLACEHOLDERS`
    ({{ number }}, {{ status_url }}, {{ expected }} ...). They are filled by plain string
    replacement, never by the template engine, because admins type them.
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="auto_reply_templates")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("body"))

    class Meta:
        ordering = ["inbox", "language"]
        verbose_name = _("auto-reply template")
        verbose_name_plural = _("auto-reply templates")
        constraints = [
            models.UniqueConstraint(
                fields=["inbox", "language"], name="auto_reply_template_inbox_language_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inbox_id} {self.language}"
