"""What an inbound mail's delivery becomes: the message content intake stores."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile

from storedesk.conversations.services.messages import MessageContent
from storedesk.mail.enums import RawEmailKind
from storedesk.mail.identify import inbox_addresses_match
from storedesk.mail.mime import ParsedEmail
from storedesk.mail.models import RawEmail


def message_content(raw_email: RawEmail, parsed: ParsedEmail, kind: RawEmailKind) -> MessageContent:
    """The message a delivery of this mail becomes (text, sanitised HTML, files, CCs)."""
    metadata: dict[str, object] = {
        "raw_email_id": raw_email.pk,
        "message_id": parsed.message_id,
        "quoted_start": parsed.quoted_start,
    }
    if parsed.dropped_attachments:
        metadata["dropped_attachments"] = [
            {"filename": d.filename, "size": d.size, "reason": d.reason}
            for d in parsed.dropped_attachments
        ]
    if kind != RawEmailKind.PERSONAL:
        metadata["automatic"] = str(kind)
    return MessageContent(
        text=parsed.text,
        html=parsed.html,
        files=_files(parsed),
        cc=_cc(parsed),
        # One message per raw email per conversation, also when a retry races this one.
        client_id=f"mail:{raw_email.pk}",
        channel_metadata=metadata,
    )


def _files(parsed: ParsedEmail) -> list[UploadedFile]:
    return [
        SimpleUploadedFile(
            a.filename or "attachment", a.content, a.content_type or "application/octet-stream"
        )
        for a in parsed.attachments
    ]


def _cc(parsed: ParsedEmail) -> list[str]:
    """Everyone else the customer wrote to, except our own addresses: they become CCs."""
    others = [a.lower() for a in [*parsed.to, *parsed.cc] if a and "@" in a]
    ours = inbox_addresses_match(others)
    seen = {parsed.from_address}
    cc = []
    for address in others:
        if address not in ours and address not in seen:
            seen.add(address)
            cc.append(address)
    return cc
