"""Development mail capture: outgoing mail is written to var/devmail/ and listed at /dev/mail/.

Each message is written to a temporary name, fsynced and renamed, so a reader never sees
half a file. After writing, mail is offered to the callable STOREDESK_DEVMAIL_LOOPBACK
names (in development only), which the email channel uses to deliver mail for the shop's
own addresses back into intake; core itself knows nothing about inboxes.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage as ParsedMessage
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


def devmail_dir() -> Path:
    path = Path(settings.DEVMAIL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _capture_write(folder: Path, raw: bytes) -> None:
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    temporary = folder / f".{name}.tmp"
    with temporary.open("wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.rename(folder / name)


def _loopback(message: EmailMessage, raw: bytes) -> None:
    """Offer captured mail to the loop-back hook (read at call time; development only)."""
    hook_path = getattr(settings, "STOREDESK_DEVMAIL_LOOPBACK", "")
    if not (settings.DEVELOPMENT and hook_path):
        return
    hook = import_string(hook_path)
    try:
        hook(raw=raw, recipients=message.recipients(), envelope_from=message.from_email or "")
    except Exception:
        # The mail is captured; failing the send now would make the outbox capture it again.
        logger.exception("core.devmail.loopback_failed")


class CaptureEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        folder = devmail_dir()
        for message in email_messages:
            raw = message.message().as_bytes()
            _capture_write(folder, raw)
            _loopback(message, raw)
        return len(email_messages)


@dataclass(frozen=True)
class CapturedMail:
    name: str
    to: str
    subject: str
    sent_at: datetime
    body: str


def _body_text(parsed: ParsedMessage) -> str:
    part = parsed.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def captured_mail_list(limit: int = 200) -> list[CapturedMail]:
    """Newest first."""
    files = sorted(devmail_dir().glob("*.eml"), reverse=True)[:limit]
    result = []
    for path in files:
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, ParsedMessage)
        result.append(
            CapturedMail(
                name=path.name,
                to=str(parsed["To"] or ""),
                subject=str(parsed["Subject"] or ""),
                sent_at=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
                body=_body_text(parsed),
            )
        )
    return result
