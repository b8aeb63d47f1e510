"""The built-in SMTP (and LMTP) receiver: the shop's MTA delivers straight into intake.

Recipients that are not one of our addresses are refused at RCPT (550), so the sending MTA
bounces them and nothing unwanted is stored. A message is acknowledged with 250 only after
`raw_email_receive` has committed it; a database error answers 451 so the sender retries
later, and intake's unique constraint makes that retry harmless.

aiosmtpd runs its event loop in a thread of its own; the database work runs in a small
thread pool beside it so a slow commit never stalls the other connections' SMTP dialogue.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from aiosmtpd.controller import Controller, UnixSocketController
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import DatabaseError, close_old_connections

from storedesk.mail.enums import IntakeSource
from storedesk.mail.identify import address_is_ours
from storedesk.mail.intake_store import raw_email_receive

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Threads doing database work for the receiver (SQLite serialises writers anyway).
DATABASE_THREADS = 4
STOP_GRACE_SECONDS = 5.0


class IntakeHandler:
    """aiosmtpd handler: checks recipients, stores the mail, answers only after commit."""

    def __init__(self, *, lmtp: bool = False, executor: ThreadPoolExecutor | None = None) -> None:
        self.lmtp = lmtp
        self.source = IntakeSource.LMTP if lmtp else IntakeSource.SMTP
        self._executor = executor or ThreadPoolExecutor(
            DATABASE_THREADS, thread_name_prefix="mail-receiver-db"
        )

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        try:
            known = await self._run(address_is_ours, address)
        except DatabaseError:
            logger.exception("mail.receiver.rcpt_failed")
            return "451 4.3.0 Temporary failure, please try again later"
        if not known:
            return f"550 5.1.1 <{address}>: no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802  (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content or b""
        if len(raw) > settings.MAIL_MAX_MESSAGE_BYTES:
            return self._reply(envelope, "552 5.3.4 Message too big")
        try:
            raw_email = await self._run(
                lambda: raw_email_receive(
                    raw=raw,
                    source=self.source,
                    recipients=list(envelope.rcpt_tos),
                    envelope_from=envelope.mail_from or "",
                )
            )
        except DatabaseError:
            logger.exception("mail.receiver.store_failed")
            return self._reply(envelope, "451 4.3.0 Temporary failure, please try again later")
        return self._reply(envelope, f"250 2.0.0 OK: stored as {raw_email.pk}")

    def _reply(self, envelope: Envelope, status: str) -> str:
        # LMTP answers DATA once per accepted recipient (RFC 2033); the mail is stored once
        # for all of them, so they share one outcome.
        if not self.lmtp:
            return status
        return "\r\n".join([status] * max(len(envelope.rcpt_tos), 1))

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, _with_fresh_connection, func, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)


def _with_fresh_connection(func: Callable[..., T], *args: Any) -> T:
    # Pool threads live long; drop a connection the server closed or that outlived its age.
    close_old_connections()
    try:
        return func(*args)
    finally:
        close_old_connections()


class _LmtpController(Controller):
    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


class _LmtpSocketController(UnixSocketController):
    def factory(self) -> SMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def controller_build(
    *, host: str = "127.0.0.1", port: int = 0, lmtp: bool = False, unix_socket: str = ""
) -> Controller | UnixSocketController:
    """A stopped aiosmtpd controller serving intake on host:port or a Unix socket (LMTP)."""
    handler = IntakeHandler(lmtp=lmtp)
    options: dict[str, Any] = {
        # Bytes, exactly as sent: the raw mail is kept byte for byte.
        "decode_data": False,
        "data_size_limit": settings.MAIL_MAX_MESSAGE_BYTES,
        "enable_SMTPUTF8": True,
    }
    if unix_socket:
        return _LmtpSocketController(handler, unix_socket=unix_socket, **options)
    controller_class = _LmtpController if lmtp else Controller
    return controller_class(handler, hostname=host, port=port, **options)


class ReceiverService:
    """The receiver as a background service of `storedesk serve` (see core's background.py).

    Reads host and port at construction (defaults: 127.0.0.1 and settings.SMTP_PORT). A port
    already taken is logged and the service stays down: the desk still serves the web.
    """

    name = "smtp-receiver"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        lmtp: bool = False,
        unix_socket: str = "",
    ) -> None:
        self.host = host
        self.port = settings.SMTP_PORT if port is None else port
        self.controller = controller_build(
            host=host, port=self.port, lmtp=lmtp, unix_socket=unix_socket
        )
        self._stopper: threading.Thread | None = None
        self.is_running = False

    def start(self) -> None:
        try:
            self.controller.start()
        except (OSError, RuntimeError):
            logger.exception("mail.receiver.start_failed port=%s", self.port)
            return
        self.is_running = True
        logger.info("mail.receiver.started %s:%s", self.host, self.port)

    def request_stop(self) -> None:
        if not self.is_running or self._stopper is not None:
            return
        # Controller.stop() blocks until its loop has ended; stop in a thread, join below.
        self._stopper = threading.Thread(target=self._stop, name="smtp-receiver-stop", daemon=True)
        self._stopper.start()

    def join(self, timeout: float) -> bool:
        if self._stopper is None:
            return not self.is_running
        self._stopper.join(timeout)
        return not self._stopper.is_alive()

    def _stop(self) -> None:
        self.controller.stop()
        handler = self.controller.handler
        if isinstance(handler, IntakeHandler):
            handler.close()
        self.is_running = False
