"""Composing the acknowledgement a customer gets when a new conversation opens.

Pure composition: this module decides the words, never whether or when to send them.
Loop rules, rate limits and the outbox belong to the sending side.

The built-in texts are Django templates, one file per language
(`mail/autoreply/<lang>.txt`: first line the subject, the rest the body). An inbox may
replace them with an `AutoReplyTemplate` typed by an admin; that text is filled by plain
placeholder replacement, never by the template engine, so it cannot reach settings, load
tag libraries or run filters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from babel.dates import format_date, format_datetime, format_time
from django.template.loader import render_to_string
from django.utils import timezone, translation

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Conversation, Message
from storedesk.conversations.status_links import status_url
from storedesk.inboxes.enums import Channel
from storedesk.routing.models import AutoReplyTemplate
from storedesk.routing.selectors import brand_time_zone

SUPPORTED_LANGUAGES = ("en", "sv", "ru", "zh-hans")
BABEL_LOCALES = {"en": "en", "sv": "sv", "ru": "ru", "zh-hans": "zh_Hans"}
# Beyond this a weekday name alone is ambiguous, so the date is spelled out too.
WEEKDAY_ONLY_WITHIN = timedelta(days=6)
PLACEHOLDERS = ("number", "status_url", "expected", "customer_name", "brand")
_PLACEHOLDER_RE = re.compile(r"\{\{\s*(" + "|".join(PLACEHOLDERS) + r")\s*\}\}")
_URL_RE = re.compile(r"https?://[^\s<>\"']+")


@dataclass(frozen=True)
class ComposedAutoReply:
    subject: str
    text: str
    html: str
    language: str


def auto_reply_compose(
    *,
    conversation: Conversation,
    expected_at: datetime,
    now: datetime | None = None,
    override: AutoReplyTemplate | None = None,
) -> ComposedAutoReply:
    """The acknowledgement for a newly opened conversation, in the customer's language.

    Reads the inbox's override template (or uses `override`, an admin's unsaved text being
    previewed) and, for a web-form conversation, the customer's first message (copied into
    the reply). Writes nothing, sends nothing.
    """
    language = auto_reply_language(conversation)
    values = {
        "number": str(conversation.number),
        "status_url": status_url(conversation),
        "expected": expected_format(
            expected_at, conversation=conversation, language=language, now=now
        ),
        "customer_name": conversation.customer.name,
        "brand": conversation.brand.name,
    }
    copy = _submitted_text(conversation)
    if override is None:
        override = auto_reply_template_find(inbox_id=conversation.inbox_id, language=language)
    with translation.override(language):
        if override is not None:
            subject, text = _render_override(override, values=values, copy=copy, language=language)
        else:
            subject, text = _render_builtin(
                conversation, values=values, copy=copy, language=language
            )
    subject = _subject_with_number(subject, number=conversation.number)
    return ComposedAutoReply(
        subject=subject, text=text, html=_text_to_html(text), language=language
    )


def auto_reply_template_find(*, inbox_id: int, language: str) -> AutoReplyTemplate | None:
    """The inbox's own text for `language`, if an admin wrote one."""
    return AutoReplyTemplate.objects.filter(inbox_id=inbox_id, language=language).first()


def auto_reply_language(conversation: Conversation) -> str:
    """Customer's language, else the conversation's, else the brand's, else English."""
    candidates = (
        conversation.customer.language,
        conversation.language,
        conversation.brand.default_language,
    )
    for candidate in candidates:
        language = _supported_language(candidate)
        if language:
            return language
    return "en"


def _supported_language(code: str) -> str:
    """Map "sv-SE", "zh_Hans", "zh-CN" and the like to a language we have texts for."""
    code = (code or "").strip().lower().replace("_", "-")
    if code in SUPPORTED_LANGUAGES:
        return code
    base = code.split("-", 1)[0]
    if base == "zh":
        # Only Simplified Chinese has texts; a Traditional reader still reads it better
        # than English.
        return "zh-hans"
    return base if base in SUPPORTED_LANGUAGES else ""


def expected_format(
    expected_at: datetime, *, conversation: Conversation, language: str, now: datetime | None
) -> str:
    """E.g. "Tuesday 10:00" in the brand's zone and language; the date too beyond 6 days."""
    zone = brand_time_zone(conversation.brand)
    locale = BABEL_LOCALES[language]
    local = expected_at.astimezone(zone)
    # In UTC: datetimes sharing a tzinfo subtract by wall clock, an hour off across DST.
    if expected_at.astimezone(UTC) - (now or timezone.now()).astimezone(UTC) <= WEEKDAY_ONLY_WITHIN:
        return format_datetime(local, "EEEE HH:mm", tzinfo=zone, locale=locale)
    day = format_date(local.date(), "full", locale=locale)
    return f"{day} {format_time(local, 'HH:mm', tzinfo=zone, locale=locale)}"


def _submitted_text(conversation: Conversation) -> str:
    """What a web-form customer sent (they get no other copy); empty for other channels."""
    if conversation.channel != Channel.WEB_FORM:
        return ""
    first = (
        Message.objects.filter(conversation=conversation, kind=MessageKind.INBOUND)
        .order_by("sequence")
        .values_list("text", flat=True)
        .first()
    )
    return (first or "").strip()


def _render_builtin(
    conversation: Conversation, *, values: Mapping[str, str], copy: str, language: str
) -> tuple[str, str]:
    context = {
        **values,
        "subject": _one_line(conversation.subject),
        "copy": _quoted(copy),
    }
    return _subject_and_body(render_to_string(f"mail/autoreply/{language}.txt", context))


def auto_reply_builtin_text(language: str) -> tuple[str, str]:
    """The built-in subject and body with the placeholders left in: where an admin's own
    text for `language` starts."""
    values = {name: "{{ " + name + " }}" for name in PLACEHOLDERS}
    with translation.override(language):
        rendered = render_to_string(
            f"mail/autoreply/{language}.txt", {**values, "subject": "", "copy": ""}
        )
    return _subject_and_body(rendered)


def _subject_and_body(rendered: str) -> tuple[str, str]:
    subject, _, body = rendered.lstrip().partition("\n")
    return _one_line(subject), _tidy(body)


def _render_override(
    template: AutoReplyTemplate, *, values: Mapping[str, str], copy: str, language: str
) -> tuple[str, str]:
    body = placeholders_fill(template.body, values)
    if copy:
        # The copy is promised whatever the inbox's own wording, so it is appended here.
        block = render_to_string(f"mail/autoreply/{language}_copy.txt", {"copy": _quoted(copy)})
        body = f"{body.rstrip()}\n\n{block}"
    return _one_line(placeholders_fill(template.subject, values)), _tidy(body)


def placeholders_fill(template: str, values: Mapping[str, str]) -> str:
    """Replace the known {{ name }} placeholders; everything else stays as typed.

    One pass over the admin's text: a value that itself looks like a placeholder is not
    expanded again.
    """
    return _PLACEHOLDER_RE.sub(lambda match: values[match.group(1)], template)


def _subject_with_number(subject: str, *, number: int) -> str:
    # Threading accepts "[#1042]" in a reply's subject, so every acknowledgement carries it.
    tag = f"[#{number}]"
    return subject if tag in subject else f"{tag} {subject}".strip()


def _one_line(value: str) -> str:
    # Subjects become a header: no line breaks, whatever the customer or admin typed.
    return " ".join(value.split())


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def _tidy(text: str) -> str:
    """Trailing spaces off, runs of blank lines (left by template tags) down to one."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _text_to_html(text: str) -> str:
    """The text part as simple HTML: escaped, paragraphs, links clickable."""
    paragraphs = []
    for block in text.strip().split("\n\n"):
        escaped = html.escape(block)
        linked = _URL_RE.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', escaped)
        paragraphs.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "<!DOCTYPE html>\n<html><body>\n" + "\n".join(paragraphs) + "\n</body></html>\n"
