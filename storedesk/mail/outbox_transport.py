"""How the outbox hands finished bytes to the world: SMTP, or Django's email backend.

With EMAIL_URL set, settings select Django's SMTP backend and the outbox talks SMTP
itself (smtplib) to EMAIL_HOST/EMAIL_PORT, so it sees every reply code and can tell a
temporary failure (4xx, no connection) from a permanent one (5xx). Otherwise (development,
tests) the bytes are wrapped for the configured EMAIL_BACKEND unchanged, so the capture at
/dev/mail/ shows exactly what production would send.
"""

from __future__ import annotations

import email
import email.policy
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage as ParsedMessage
from email.utils import getaddresses
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail import get_connection

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_TIMEOUT_SECONDS = 30


class SendError(Exception):
    """A send that did not get a 250. `permanent` (5xx) means: do not try again."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class Transport(Protocol):
    def send(self, *, mail_from: str, recipients: Sequence[str], raw: bytes) -> dict[str, str]:
        """Send; return recipients the server refused while accepting others.

        Raises SendError when nobody accepted the message.
        """

    def close(self) -> None: ...


def _response_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {text}".strip()


def _refusal_error(error: smtplib.SMTPRecipientsRefused) -> SendError:
    codes = [code for code, _message in error.recipients.values()]
    reason = "; ".join(
        f"{address}: {_response_text(code, message)}"
        for address, (code, message) in error.recipients.items()
    )
    return SendError(reason, permanent=bool(codes) and all(code >= 500 for code in codes))


class SmtpTransport:
    """One SMTP connection, opened on first use and reopened after it breaks.

    Connection-level trouble (no server, TLS, login, greeting) is always temporary: it
    says nothing about the message. Only the server's verdict on the sender, the
    recipients or the data decides permanence by its code.
    """

    def __init__(self) -> None:
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        host, port = settings.EMAIL_HOST, int(settings.EMAIL_PORT)
        timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_TIMEOUT_SECONDS
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if settings.EMAIL_USE_SSL:
            connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if settings.EMAIL_USE_TLS:
                connection.starttls(context=context)
        if settings.EMAIL_HOST_USER:
            connection.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        return connection

    def _connection_get(self) -> smtplib.SMTP:
        if self._connection is None:
            try:
                self._connection = self._connect()
            except (OSError, smtplib.SMTPException) as error:
                raise SendError(f"connection failed: {error!r}", permanent=False) from error
        return self._connection

    def send(self, *, mail_from: str, recipients: Sequence[str], raw: bytes) -> dict[str, str]:
        connection = self._connection_get()
        try:
            refused = connection.sendmail(mail_from, list(recipients), raw)
        except smtplib.SMTPRecipientsRefused as error:
            raise _refusal_error(error) from error
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            reason = _response_text(error.smtp_code, error.smtp_error)
            raise SendError(reason, permanent=error.smtp_code >= 500) from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise SendError(f"connection lost: {error!r}", permanent=False) from error
        return {address: _response_text(*answer) for address, answer in refused.items()}

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


class _StoredBytes(ParsedMessage):
    """A parsed message that serialises to the exact bytes it was parsed from."""

    raw: bytes = b""

    def as_bytes(self, unixfrom: bool = False, policy: Any = None, **kwargs: Any) -> bytes:
        linesep = kwargs.get("linesep")
        if linesep == "\n":
            return self.raw.replace(b"\r\n", b"\n")
        return self.raw


class RawDjangoEmail(DjangoEmailMessage):
    """Django's EmailMessage carrying finished bytes (for the capture and test backends).

    `to`, `cc`, `subject` and `body` are filled from the bytes so backends and tests that
    read them see the real mail; `message()` returns the bytes unchanged.
    """

    def __init__(self, *, raw: bytes, mail_from: str, recipients: Sequence[str]) -> None:
        # Parsed with plain line ends: `body` is what Django would hold for the same mail.
        parsed = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        assert isinstance(parsed, ParsedMessage)
        body = parsed.get_body(preferencelist=("plain", "html"))
        super().__init__(
            subject=str(parsed["Subject"] or ""),
            body=body.get_content() if body is not None else "",
            from_email=mail_from,
            to=[address for _name, address in getaddresses(parsed.get_all("To", []))],
            cc=[address for _name, address in getaddresses(parsed.get_all("Cc", []))],
        )
        self.envelope_recipients = list(recipients)
        self._raw = raw

    def recipients(self) -> list[str]:
        return list(self.envelope_recipients)

    def message(self) -> Any:
        stored = email.message_from_bytes(self._raw, _class=_StoredBytes)
        assert isinstance(stored, _StoredBytes)
        stored.raw = self._raw
        return stored


class DjangoBackendTransport:
    """Hands the bytes to settings.EMAIL_BACKEND (development capture, tests' locmem)."""

    def send(self, *, mail_from: str, recipients: Sequence[str], raw: bytes) -> dict[str, str]:
        mail = RawDjangoEmail(raw=raw, mail_from=mail_from, recipients=recipients)
        try:
            get_connection().send_messages([mail])
        except Exception as error:  # noqa: BLE001 - any backend failure is worth a retry
            raise SendError(f"email backend failed: {error!r}", permanent=False) from error
        return {}

    def close(self) -> None:
        return None


@contextmanager
def transport_open() -> Iterator[Transport]:
    """The transport for the current settings, closed (SMTP QUIT) on exit."""
    transport: Transport
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        transport = SmtpTransport()
    else:
        transport = DjangoBackendTransport()
    try:
        yield transport
    finally:
        transport.close()
