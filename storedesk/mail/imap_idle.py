"""Waiting for new IMAP mail: IDLE (RFC 2177) where the server offers it, a timer otherwise.

imaplib (before Python 3.14) has no IDLE helper, so the command is spoken by hand on the
connection's own socket. IDLE watches only the folder it selected (the account's first), so
every wake-up polls all folders, and the wait is capped at `idle_seconds` so the other
folders are polled at least that often and the connection is refreshed long before the
29 minutes after which RFC 2177 lets a server drop an idle client.
"""

from __future__ import annotations

import imaplib
import logging
import select
import threading
import time

from django.db import close_old_connections, connection

from storedesk.mail.imap import (
    DEFAULT_FOLDERS,
    ImapError,
    imap_connect,
    imap_folder_select,
    imap_logout,
    mailbox_poll,
)
from storedesk.mail.models import ImapAccount

logger = logging.getLogger(__name__)

IDLE_TAG = b"SDIDLE"
# How often a blocked wait looks at the stop event, so SIGTERM is honoured within about this.
STOP_CHECK_SECONDS = 1.0


def mailbox_wait(
    *, account: ImapAccount, idle_seconds: float, poll_seconds: float, stop: threading.Event
) -> None:
    """Return when the account may have new mail, after the timeout, or when `stop` is set."""
    try:
        client = imap_connect(account)
    except ImapError:
        stop.wait(poll_seconds)  # the poll that follows records the error
        return
    try:
        if not _idle_supported(client):
            imap_logout(client)
            stop.wait(poll_seconds)
            return
        imap_folder_select(client, (account.folders or DEFAULT_FOLDERS)[0])
        _idle(client, timeout=idle_seconds, stop=stop)
    except (ImapError, OSError, imaplib.IMAP4.error) as exc:
        logger.info("mail.imap.idle_failed", extra={"account_id": account.pk, "error": str(exc)})
        stop.wait(poll_seconds)
    finally:
        imap_logout(client)


def _idle_supported(client: imaplib.IMAP4) -> bool:
    # Asked again after login: many servers list IDLE only to authenticated clients, and
    # imaplib keeps the capabilities of the greeting.
    typ, data = client.capability()
    first = data[0] if typ == "OK" and data else None
    return isinstance(first, bytes) and b"IDLE" in first.upper().split()


def _idle(client: imaplib.IMAP4, *, timeout: float, stop: threading.Event) -> bool:
    """IDLE until an untagged EXISTS (True), the timeout or `stop` (False); then DONE."""
    client.send(IDLE_TAG + b" IDLE\r\n")
    if not client.readline().startswith(b"+"):
        raise ImapError("The server refused IDLE.")
    deadline = time.monotonic() + timeout
    arrived = False
    while not arrived and not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        # select() before readline(): a socket timeout inside imaplib's buffered reader
        # would leave the connection unusable. A second line already buffered behind the
        # first is only seen at the next wake-up, which the timeout bounds.
        ready, _, _ = select.select([client.socket()], [], [], min(remaining, STOP_CHECK_SECONDS))
        if ready:
            line = client.readline()
            if not line:
                raise ImapError("The server closed the connection during IDLE.")
            arrived = line.startswith(b"*") and line.rstrip().upper().endswith(b"EXISTS")
    client.send(b"DONE\r\n")
    _idle_done_read(client)
    return arrived


def _idle_done_read(client: imaplib.IMAP4) -> None:
    while True:
        line = client.readline()
        if not line:
            raise ImapError("The server closed the connection after IDLE.")
        if line.startswith(IDLE_TAG + b" "):
            return


def mailbox_watch(
    *,
    account: ImapAccount,
    idle: bool,
    idle_seconds: float,
    poll_seconds: float,
    stop: threading.Event,
) -> None:
    """Poll the account until `stop` is set, waking on IDLE (when asked) or every interval.

    Side effects: those of `mailbox_poll`, once per wake-up. Runs in its own thread per
    account, so it closes its own database connection when done.
    """
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                account.refresh_from_db()
            except ImapAccount.DoesNotExist:
                return  # deleted meanwhile
            if not account.is_active:
                return
            try:
                mailbox_poll(account=account)
            except Exception:  # the database away for a moment must not end the loop for good
                logger.exception("mail.imap.poll_failed", extra={"account_id": account.pk})
                stop.wait(poll_seconds)
                continue
            if idle:
                mailbox_wait(
                    account=account, idle_seconds=idle_seconds, poll_seconds=poll_seconds, stop=stop
                )
            else:
                stop.wait(poll_seconds)
    finally:
        connection.close()
