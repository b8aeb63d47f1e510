"""The outbound-mail port: every app that sends mail hands it here.

For now the port is backed by Django's email backend (the development capture unless
EMAIL_URL is set). The email channel (issue #3) replaces the backend with its durable
outbox by setting STOREDESK_OUTBOUND_MAIL_PORT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class OutboundMail:
    to: list[str]
    subject: str
    text: str
    html: str = ""
    from_email: str = ""
    reply_to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    attachments: list[OutboundAttachment] = field(default_factory=list)


class OutboundMailPort(Protocol):
    def send(self, mail: OutboundMail) -> None: ...


class DjangoEmailPort:
    """Sends at once through Django's configured email backend."""

    def send(self, mail: OutboundMail) -> None:
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.text,
            from_email=mail.from_email or settings.DEFAULT_FROM_EMAIL,
            to=mail.to,
            cc=mail.cc,
            reply_to=mail.reply_to,
            headers=mail.headers,
        )
        if mail.html:
            message.attach_alternative(mail.html, "text/html")
        for attachment in mail.attachments:
            message.attach(attachment.filename, attachment.content, attachment.content_type)
        message.send()


def outbound_mail_send(mail: OutboundMail) -> None:
    port_path = getattr(
        settings, "STOREDESK_OUTBOUND_MAIL_PORT", "storedesk.core.mail.DjangoEmailPort"
    )
    port: OutboundMailPort = import_string(port_path)()
    port.send(mail)
