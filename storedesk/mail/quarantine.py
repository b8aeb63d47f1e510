"""Reads for the admins' quarantine screen: what is waiting, and a mail's raw source as text."""

from __future__ import annotations

import email.parser
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import BinaryField
from django.db.models.functions import Substr

from storedesk.mail.enums import RawEmailState
from storedesk.mail.mime_charsets import decode_header_text
from storedesk.mail.models import RawEmail

# Headers are read from this much of each mail: the list must not load whole messages.
HEADER_PREFIX_BYTES = 16 * 1024
# The source page shows at most this much; the rest is named, not rendered.
SOURCE_SHOWN_BYTES = 512 * 1024
QUARANTINE_PAGE = 200
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(frozen=True)
class QuarantineRow:
    raw_email_id: int
    received_at: datetime
    size: int
    sender: str
    subject: str
    reason: str


def quarantine_list(*, limit: int = QUARANTINE_PAGE) -> list[QuarantineRow]:
    """Quarantined mail, newest first, with sender and subject read from its headers."""
    rows = (
        RawEmail.objects.filter(state=RawEmailState.QUARANTINED)
        .order_by("-created_at")
        .annotate(head=Substr("raw", 1, HEADER_PREFIX_BYTES, output_field=BinaryField()))
        .values_list("pk", "created_at", "size", "reason", "envelope_from", "head")[:limit]
    )
    result = []
    for pk, created_at, size, reason, envelope_from, head in rows:
        headers = header_fields(bytes(head or b""))
        result.append(
            QuarantineRow(
                raw_email_id=pk,
                received_at=created_at,
                size=size,
                sender=headers.get("from") or envelope_from,
                subject=headers.get("subject", ""),
                reason=reason,
            )
        )
    return result


def header_fields(head: bytes) -> dict[str, str]:
    """From and Subject of a mail's header block, decoded leniently; {} when unreadable.

    Quarantined mail is by definition what the full parser rejected, so this never raises.
    """
    match = _HEADER_END.search(head)
    block = head[: match.start()] if match else head
    try:
        message = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(block)
    except Exception:  # noqa: BLE001  (any header soup: show the row without them)
        return {}
    fields = {}
    for name in ("from", "subject"):
        value = message.get(name)
        if value is not None:
            fields[name] = " ".join(decode_header_text(str(value)).text.split())
    return fields


@dataclass(frozen=True)
class RawSource:
    text: str
    omitted_bytes: int


def raw_source_text(raw_email: RawEmail) -> RawSource:
    """The mail's bytes as text for display: undecodable bytes replaced, never interpreted.

    The template escapes it; nothing in it is rendered as HTML or followed as a link.
    """
    raw = bytes(raw_email.raw)
    shown = raw[:SOURCE_SHOWN_BYTES]
    return RawSource(
        text=shown.decode("utf-8", errors="replace"), omitted_bytes=len(raw) - len(shown)
    )
