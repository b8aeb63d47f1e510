"""Fetching mail from IMAP accounts by UIDVALIDITY + UID (docs/subsystems/email.md).

New mail is what has a UID above the folder's stored `last_uid` within the same UIDVALIDITY.
Folders are opened read-only and bodies fetched with BODY.PEEK[], so fetching never sets
\\Seen and never deletes: the mailbox stays exactly as the shop's people left it, and a mail
someone already read in their mail client is still taken in.

Each fetched batch goes through `raw_emails_take_in` (stored and processed in one
transaction) and `last_uid` moves past it in that same transaction, so a crash resumes right
after the last committed batch; the intake's unique constraint makes anything fetched twice
(a new UIDVALIDITY generation, the same mail also arriving over SMTP) a no-op. Each batch is
recorded as attempted before it is processed, so a mail that kills the fetcher is found and
set aside instead of taking its batch down forever (imap_attempts.py).
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.module_loading import import_string

from storedesk.inboxes.models import InboxAddress
from storedesk.mail.enums import ImapSecurity, IntakeSource
from storedesk.mail.imap_attempts import (
    ATTEMPT_FIELDS,
    attempt_begin,
    attempt_undo,
    attempts_forget,
    batch_next,
    folder_state_lock,
)
from storedesk.mail.intake_batch import InboundMail, raw_email_set_aside, raw_emails_take_in
from storedesk.mail.intake_store import Stored
from storedesk.mail.models import ImapAccount, ImapFolderState

logger = logging.getLogger(__name__)

DEFAULT_FOLDERS = ("INBOX",)
FETCH_BATCH_SIZE = 50
CONNECT_TIMEOUT_SECONDS = 30.0

_UID_IN_FETCH = re.compile(rb"\bUID (\d+)")


class ImapError(Exception):
    """A failure worth showing an admin as it is (the message is the human text)."""


@dataclass(slots=True)
class FolderReport:
    folder: str
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    # Mails stored into the quarantine unparsed: their processing kept killing the fetcher.
    set_aside: int = 0
    uidvalidity_reset: bool = False
    error: str = ""


@dataclass(slots=True)
class PollReport:
    account_id: int
    folders: list[FolderReport] = field(default_factory=list)
    error: str = ""

    @property
    def fetched(self) -> int:
        return sum(folder.fetched for folder in self.folders)

    @property
    def new(self) -> int:
        return sum(folder.new for folder in self.folders)

    @property
    def duplicates(self) -> int:
        return sum(folder.duplicates for folder in self.folders)

    @property
    def errors(self) -> list[str]:
        """The account's error and each folder's, in that order (empty when all went well)."""
        found = [self.error] if self.error else []
        return found + [f"{f.folder}: {f.error}" for f in self.folders if f.error]


# --- polling ---------------------------------------------------------------------------------


def mailbox_poll(*, account: ImapAccount) -> PollReport:
    """Fetch new mail from every folder of `account` into the intake.

    Side effects: `raw_emails_take_in` for each fetched batch (stores and processes the
    mails, the resume point moving in the same transaction); creates or advances the
    account's ImapFolderState rows; sets the account's `last_checked_at` and `last_error`
    ("" when all went well). One folder's failure (say, it was renamed) does not stop the others.
    """
    report = PollReport(account_id=account.pk)
    try:
        client = imap_connect(account)
    except ImapError as exc:
        report.error = str(exc)
    else:
        try:
            for folder in account.folders or DEFAULT_FOLDERS:
                report.folders.append(_folder_poll_safely(client, account, folder))
        finally:
            imap_logout(client)
    _account_record(account, report)
    logger.info(
        "mail.imap.polled",
        extra={"account_id": account.pk, "new": report.new, "errors": report.errors},
    )
    return report


def _folder_poll_safely(client: imaplib.IMAP4, account: ImapAccount, folder: str) -> FolderReport:
    report = FolderReport(folder=folder)
    try:
        _folder_poll(client, account, report)
    except ImapError as exc:
        report.error = str(exc)
    except (OSError, imaplib.IMAP4.error) as exc:
        report.error = imap_error_text(exc, account=account)
    return report


def _folder_poll(client: imaplib.IMAP4, account: ImapAccount, report: FolderReport) -> None:
    uidvalidity = imap_folder_select(client, report.folder)
    state, report.uidvalidity_reset = _folder_state(account, report.folder, uidvalidity)
    recipients = _inbox_recipients(account)
    uids = _new_uids(client, state.last_uid)
    # Each round takes some in or learns that another poller did: `last_uid` moves on.
    while uids := [uid for uid in uids if uid > state.last_uid]:
        batch = batch_next(state, uids, FETCH_BATCH_SIZE)
        messages = _fetch_bodies(client, batch)
        # Never step over a UID we did not get: if it was expunged meanwhile, the next poll's
        # SEARCH no longer lists it; if the server failed to send it, we retry. The ones
        # before it are taken in first.
        missing = next((uid for uid in batch if uid not in messages), None)
        got = list(batch) if missing is None else [uid for uid in batch if uid < missing]
        if got:
            _batch_take_in(got, messages, recipients, report, state)
        if missing is not None:
            raise ImapError(f"The server sent no message for UID {missing}; will retry.")


def imap_folder_select(client: imaplib.IMAP4, folder: str) -> int:
    """Open `folder` read-only (so nothing we do can change flags) and return its UIDVALIDITY."""
    typ, data = client.select(_quoted(folder), readonly=True)
    if typ != "OK":
        raise ImapError(f"Cannot open folder {folder!r}: {_server_text(data)}")
    _, values = client.response("UIDVALIDITY")
    if not values or values[0] is None:
        raise ImapError(f"The server sent no UIDVALIDITY for folder {folder!r}.")
    return int(values[-1])


def _folder_state(
    account: ImapAccount, folder: str, uidvalidity: int
) -> tuple[ImapFolderState, bool]:
    """The folder's resume point; a new UIDVALIDITY starts it over from UID 0.

    The server renumbered the folder (recreated, restored, migrated), so the old UIDs mean
    nothing. Starting over re-reads the folder, which the intake's unique constraint turns into
    no-ops for mail we already have.
    """
    state, created = ImapFolderState.objects.get_or_create(
        account=account, folder=folder, defaults={"uidvalidity": uidvalidity}
    )
    if created or state.uidvalidity == uidvalidity:
        return state, False
    logger.warning(
        "mail.imap.uidvalidity_changed",
        extra={"account_id": account.pk, "folder": folder, "old": state.uidvalidity},
    )
    state.uidvalidity, state.last_uid = uidvalidity, 0
    attempts_forget(state)
    state.save(update_fields=["uidvalidity", "last_uid", *ATTEMPT_FIELDS, "updated_at"])
    return state, True


def _new_uids(client: imaplib.IMAP4, last_uid: int) -> list[int]:
    typ, data = client.uid("SEARCH", f"UID {last_uid + 1}:*")
    if typ != "OK":
        raise ImapError(f"UID SEARCH failed: {_server_text(data)}")
    uids = {int(token) for line in data if isinstance(line, bytes) for token in line.split()}
    # "N:*" always matches the highest UID, even when it is below N (RFC 3501 6.4.8).
    return sorted(uid for uid in uids if uid > last_uid)


def _fetch_bodies(client: imaplib.IMAP4, uids: Sequence[int]) -> dict[int, bytes]:
    """uid -> raw bytes. BODY.PEEK[] leaves \\Seen alone, unlike BODY[] and RFC822."""
    typ, data = client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    if typ != "OK":
        raise ImapError(f"UID FETCH failed: {_server_text(data)}")
    messages: dict[int, bytes] = {}
    for index, item in enumerate(data):
        if not isinstance(item, tuple):
            continue
        # The UID is usually before the literal, but a server may send it after.
        following = data[index + 1] if index + 1 < len(data) else b""
        tail = following if isinstance(following, bytes) else b""
        match = _UID_IN_FETCH.search(item[0]) or _UID_IN_FETCH.search(tail)
        if match is not None:
            messages[int(match.group(1))] = item[1]
    return messages


def _batch_take_in(
    uids: Sequence[int],
    messages: dict[int, bytes],
    recipients: Sequence[str],
    report: FolderReport,
    state: ImapFolderState,
) -> None:
    """Record the attempt (imap_attempts.py), then store and process the mails, moving the
    resume point past them in the same commit; or set aside a mail that failed too often."""
    attempt = attempt_begin(state, uids)
    if attempt is None:
        return  # another poller took these in meanwhile
    mails = [InboundMail(raw=messages[uid], recipients=recipients) for uid in uids]
    try:
        if attempt.set_aside:
            stored = [_mail_set_aside(mails[0], report, state, uids[0], attempt.count - 1)]
        else:
            stored = raw_emails_take_in(
                mails=mails,
                source=IntakeSource.IMAP,
                after_begin=lambda: folder_state_lock(state),
                before_commit=lambda: _last_uid_advance(state, uids[-1]),
            )
    except Exception:
        attempt_undo(state, attempt)  # only a dead process counts against a mail
        raise
    report.fetched += len(stored)
    report.new += sum(s.is_new for s in stored)
    report.duplicates += sum(not s.is_new for s in stored)


def _mail_set_aside(
    mail: InboundMail, report: FolderReport, state: ImapFolderState, uid: int, failures: int
) -> Stored:
    reason = (
        f"processing this message did not complete after {failures} attempts; the fetcher "
        f"may have crashed on it (IMAP folder {report.folder!r}, UID {uid})"
    )
    stored = raw_email_set_aside(
        mail=mail,
        source=IntakeSource.IMAP,
        reason=reason,
        after_begin=lambda: folder_state_lock(state),
        before_commit=lambda: _last_uid_advance(state, uid),
    )
    report.set_aside += 1
    logger.error(
        "mail.imap.set_aside",
        extra={"folder_state_id": state.pk, "uid": uid, "raw_email_id": stored.raw_email.pk},
    )
    return stored


def _last_uid_advance(state: ImapFolderState, uid: int) -> None:
    # Guarded so a slower concurrent poller (the schedule and `fetch_mail --loop` at once)
    # never moves the resume point backwards or into another UIDVALIDITY generation.
    ImapFolderState.objects.filter(
        pk=state.pk, uidvalidity=state.uidvalidity, last_uid__lt=uid
    ).update(last_uid=uid, updated_at=timezone.now())
    state.last_uid = max(state.last_uid, uid)


def _inbox_recipients(account: ImapAccount) -> list[str]:
    """The account's inbox address, so the mail lands there whatever its To header says."""
    address = InboxAddress.objects.filter(inbox_id=account.inbox_id).order_by("-is_primary", "pk")
    first = address.values_list("email", flat=True).first()
    # No address at all: let the intake match inboxes from the To/Cc headers.
    return [first] if first else []


def _account_record(account: ImapAccount, report: PollReport) -> None:
    account.last_checked_at = timezone.now()
    account.last_error = "\n".join(report.errors)
    ImapAccount.objects.filter(pk=account.pk).update(
        last_checked_at=account.last_checked_at, last_error=account.last_error
    )


def mailbox_poll_all() -> list[PollReport]:
    """Poll every active account; one account's failure never stops the others.

    Side effects: those of `mailbox_poll` for each active account.
    """
    reports = []
    for account in ImapAccount.objects.filter(is_active=True).order_by("pk"):
        try:
            reports.append(mailbox_poll(account=account))
        except Exception:  # a bug or a database hiccup for one account must not starve the rest
            logger.exception("mail.imap.poll_failed", extra={"account_id": account.pk})
    return reports


# --- connecting ------------------------------------------------------------------------------


def imap_connect(account: ImapAccount) -> imaplib.IMAP4:
    """A logged-in connection, or ImapError with text an admin can act on."""
    try:
        client = _open(account)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(imap_error_text(exc, account=account)) from exc
    try:
        _authenticate(client, account)
    except imaplib.IMAP4.error as exc:
        imap_logout(client)
        raise ImapError(
            f"Login failed for {account.username!r} on {account.host}: {_error_detail(exc)}. "
            "Check the user name and password (or the OAuth token)."
        ) from exc
    except OSError as exc:
        imap_logout(client)
        raise ImapError(imap_error_text(exc, account=account)) from exc
    return client


def imap_connection_test(account: ImapAccount) -> str | None:
    """None when the account connects, logs in and opens its folders; else the reason."""
    try:
        client = imap_connect(account)
    except ImapError as exc:
        return str(exc)
    try:
        for folder in account.folders or DEFAULT_FOLDERS:
            imap_folder_select(client, folder)
    except ImapError as exc:
        return str(exc)
    except (OSError, imaplib.IMAP4.error) as exc:
        return imap_error_text(exc, account=account)
    finally:
        imap_logout(client)
    return None


def _open(account: ImapAccount) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if account.security == ImapSecurity.TLS:
        return imaplib.IMAP4_SSL(
            account.host, account.port, ssl_context=context, timeout=CONNECT_TIMEOUT_SECONDS
        )
    client = imaplib.IMAP4(account.host, account.port, timeout=CONNECT_TIMEOUT_SECONDS)
    if account.security == ImapSecurity.STARTTLS:
        try:
            client.starttls(ssl_context=context)
        except BaseException:
            imap_logout(client)
            raise
    return client


def _authenticate(client: imaplib.IMAP4, account: ImapAccount) -> None:
    if not account.oauth_token_hook:
        client.login(account.username, account.password)
        return
    token = _oauth_token(account)
    sasl = f"user={account.username}\x01auth=Bearer {token}\x01\x01".encode()
    client.authenticate("XOAUTH2", lambda _challenge: sasl)


def _oauth_token(account: ImapAccount) -> str:
    try:
        token_for: Callable[[ImapAccount], str] = import_string(account.oauth_token_hook)
        return token_for(account)
    except Exception as exc:  # any hook failure is the admin's to see, not a crash of the poll
        raise ImapError(f"The OAuth token hook {account.oauth_token_hook!r} failed: {exc}") from exc


def imap_error_text(exc: BaseException, *, account: ImapAccount) -> str:
    """A sentence an admin can act on, for the errors connecting and talking IMAP raise."""
    where = f"{account.host}:{account.port}"
    if isinstance(exc, ConnectionRefusedError):
        return f"Connection refused by {where}. Is the server running and the port right?"
    if isinstance(exc, socket.gaierror):
        return f"Unknown host {account.host!r}: {exc.strerror}."
    if isinstance(exc, TimeoutError):
        return f"No answer from {where} in time (a firewall, or the wrong host or port?)."
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The TLS certificate of {account.host} is not valid: {exc.verify_message}."
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS with {where} failed ({exc.reason or exc}). "
            "Is the security setting (TLS or STARTTLS) right for this port?"
        )
    if isinstance(exc, imaplib.IMAP4.abort):
        return f"The server {where} closed the connection: {_error_detail(exc)}."
    if isinstance(exc, imaplib.IMAP4.error):
        return f"The server {where} refused: {_error_detail(exc)}."
    return f"Could not talk to {where}: {exc}."


# --- small IMAP helpers ----------------------------------------------------------------------


def imap_logout(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):  # the connection is gone anyway
        client.logout()


def _quoted(folder: str) -> str:
    # imaplib sends mailbox names as they are; a name with a space must be a quoted string.
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _server_text(data: Sequence[object]) -> str:
    parts = [item.decode(errors="replace") for item in data if isinstance(item, bytes)]
    return " ".join(parts) or "no reason given"


def _error_detail(exc: BaseException) -> str:
    """imaplib puts the server's bytes repr in its messages: b'[AUTHENTICATIONFAILED] ...'."""
    text = str(exc)
    if text.startswith(("b'", 'b"')) and text.endswith(("'", '"')):
        text = text[2:-1]
    return text.rstrip(".") or "no reason given"
