"""Importing mail from files (maildirs, mbox files, folders of .eml) through the one intake.

Used by `storedesk import_mail`. Messages go through `raw_emails_take_in_counted` (source
IMPORT) in batches of up to IMPORT_BATCH_SIZE messages (or IMPORT_BATCH_BYTES): stored and
committed with their attempts counted, then processed in one transaction, so the outcome of
each one is known when the import ends and a mail that kills the importer is set aside after
a few reruns instead of killing every rerun (intake_counted.py). Importing the same files
again stores nothing: the intake's unique dedupe key is the guard, and what it reports
(stored before, nothing new for this inbox) is counted as a duplicate.

Files are read one message at a time: `mailbox.mbox` keeps only an index of offsets, so a
multi-gigabyte mbox never sits in memory.
"""

from __future__ import annotations

import mailbox
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from django.conf import settings

from storedesk.conversations.enums import MessageKind
from storedesk.conversations.models import Message
from storedesk.inboxes.models import InboxAddress
from storedesk.mail.enums import IntakeSource, RawEmailKind, RawEmailState
from storedesk.mail.intake_batch import InboundMail
from storedesk.mail.intake_counted import raw_emails_take_in_counted
from storedesk.mail.intake_store import Stored
from storedesk.mail.models import RawEmail, RawEmailDelivery

MAILDIR_PARTS = ("cur", "new", "tmp")
IMPORT_BATCH_SIZE = 100
# A batch holds its messages in memory; a few big ones end it early.
IMPORT_BATCH_BYTES = 32 * 1024 * 1024
EML_SUFFIX = ".eml"
MBOX_MAGIC = b"From "


# --- reading files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MailItem:
    """One message read from a file, or why it could not be read (`raw` is None)."""

    label: str
    raw: bytes | None
    error: str = ""


class MailSource(Protocol):
    label: str

    def count(self) -> int: ...

    def items(self) -> Iterator[MailItem]: ...


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@dataclass
class EmlFile:
    """A file holding one message (.eml, or any file that is not an mbox)."""

    path: Path
    label: str = ""

    def __post_init__(self) -> None:
        self.label = self.label or str(self.path)

    def count(self) -> int:
        return 1

    def items(self) -> Iterator[MailItem]:
        try:
            yield MailItem(self.label, _read_limited(self.path))
        except (OSError, _TooLarge) as exc:
            yield MailItem(self.label, None, _describe(exc))


@dataclass
class MailboxFolder:
    """A maildir or an mbox file, read lazily one message at a time."""

    box: mailbox.Maildir | mailbox.mbox
    label: str
    keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Indexing only: the mbox module records offsets, the maildir module file names.
        self.keys = sorted(self.box.keys())

    def count(self) -> int:
        return len(self.keys)

    def items(self) -> Iterator[MailItem]:
        try:
            for key in self.keys:
                yield self._item(key)
        finally:
            self.box.close()  # an mbox holds its file open; nothing was changed to flush

    def _item(self, key: str) -> MailItem:
        label = f"{self.label}#{key}"
        try:
            return MailItem(label, self.box.get_bytes(key))
        except (OSError, KeyError) as exc:
            return MailItem(label, None, _describe(exc))


@dataclass
class Unreadable:
    """A path that could not even be opened or listed."""

    label: str
    error: str

    def count(self) -> int:
        return 1

    def items(self) -> Iterator[MailItem]:
        yield MailItem(self.label, None, self.error)


class _TooLarge(Exception):
    pass


def _read_limited(path: Path) -> bytes:
    limit = settings.MAIL_MAX_MESSAGE_BYTES
    if path.stat().st_size > limit:
        raise _TooLarge(f"larger than the {limit} byte limit for one message")
    return path.read_bytes()


def mail_sources_find(paths: Iterable[Path]) -> list[MailSource]:
    """What the paths hold: maildirs, mbox files and .eml files, folders searched recursively."""
    sources: list[MailSource] = []
    for path in paths:
        sources.extend(_sources_at(path, top=True))
    return sources


def _sources_at(path: Path, *, top: bool) -> Iterator[MailSource]:
    try:
        if path.is_dir():
            yield from _sources_in_dir(path)
        elif top or path.suffix.lower() == EML_SUFFIX:
            yield _file_source(path)
    except OSError as exc:
        yield Unreadable(str(path), _describe(exc))


def _sources_in_dir(path: Path) -> Iterator[MailSource]:
    if all((path / part).is_dir() for part in ("cur", "new")):
        yield MailboxFolder(mailbox.Maildir(path, factory=None, create=False), str(path))
    for child in sorted(path.iterdir()):
        if child.is_dir() and child.name in MAILDIR_PARTS:
            continue  # a maildir's own parts; tmp holds deliveries still being written
        if child.is_dir() or child.suffix.lower() == EML_SUFFIX:
            yield from _sources_at(child, top=False)


def _file_source(path: Path) -> MailSource:
    with path.open("rb") as handle:
        is_mbox = handle.read(len(MBOX_MAGIC)) == MBOX_MAGIC
    if is_mbox:
        return MailboxFolder(mailbox.mbox(path, factory=None, create=False), str(path))
    return EmlFile(path)


# --- importing -------------------------------------------------------------------------------


class Outcome(StrEnum):
    CREATED = "created"  # opened a new conversation
    THREADED = "threaded"  # added to an existing conversation
    DUPLICATE = "duplicate"  # imported (or received) before: nothing stored
    BOUNCE = "bounce"
    PROBE = "probe"
    QUARANTINED = "quarantined"
    PENDING = "pending"  # stored, but processing did not finish; the pending sweep will
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class ImportResult:
    outcome: Outcome
    is_auto_reply: bool = False
    reason: str = ""


@dataclass
class ImportCounts:
    outcomes: Counter[Outcome] = field(default_factory=Counter)
    auto_replies: int = 0
    quarantine_reasons: Counter[str] = field(default_factory=Counter)
    unreadable: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())

    def add(self, label: str, result: ImportResult) -> None:
        self.outcomes[result.outcome] += 1
        self.auto_replies += result.is_auto_reply
        if result.outcome == Outcome.QUARANTINED:
            self.quarantine_reasons[result.reason] += 1
        elif result.outcome == Outcome.UNREADABLE:
            self.unreadable.append(f"{label}: {result.reason}")


def mail_import_batches(
    *, items: Iterable[MailItem], address: InboxAddress
) -> Iterator[tuple[MailItem, ImportResult]]:
    """Import items read from files, batch by batch; each item with what became of it.

    Unreadable or oversized items are only reported. Side effects: those of
    raw_emails_take_in_counted (source IMPORT) per batch; nothing for mail this inbox
    already has.
    """
    batch: list[MailItem] = []
    size = 0
    for item in items:
        problem = _unreadable(item)
        if problem is not None:
            yield item, problem
            continue
        batch.append(item)
        size += len(item.raw or b"")
        if len(batch) >= IMPORT_BATCH_SIZE or size >= IMPORT_BATCH_BYTES:
            yield from zip(batch, mail_import_batch(items=batch, address=address), strict=True)
            batch, size = [], 0
    if batch:
        yield from zip(batch, mail_import_batch(items=batch, address=address), strict=True)


def mail_import_batch(*, items: Sequence[MailItem], address: InboxAddress) -> list[ImportResult]:
    """Store readable items, then process them (intake_counted.py); what became of each.

    Side effects: those of raw_emails_take_in_counted (source IMPORT), none for a message
    this inbox has already taken in and finished.
    """
    stored = raw_emails_take_in_counted(
        mails=[InboundMail(raw=item.raw or b"", recipients=[address.email]) for item in items],
        source=IntakeSource.IMPORT,
    )
    return [_outcome(s, inbox_id=address.inbox_id) for s in stored]


def _unreadable(item: MailItem) -> ImportResult | None:
    if item.raw is None:
        return ImportResult(Outcome.UNREADABLE, reason=item.error)
    limit = settings.MAIL_MAX_MESSAGE_BYTES
    if len(item.raw) > limit:
        return ImportResult(
            Outcome.UNREADABLE, reason=f"larger than the {limit} byte limit for one message"
        )
    return None


def _outcome(stored: Stored, *, inbox_id: int) -> ImportResult:
    if not stored.is_new and not stored.added and not stored.processed:
        return ImportResult(Outcome.DUPLICATE)  # this inbox had it, and it was done with
    return _result_of(stored.raw_email.pk, inbox_id=inbox_id)


def _result_of(raw_email_id: int, *, inbox_id: int) -> ImportResult:
    raw_email = RawEmail.objects.only("state", "kind", "reason").get(pk=raw_email_id)
    if raw_email.state == RawEmailState.QUARANTINED:
        return ImportResult(Outcome.QUARANTINED, reason=raw_email.reason)
    if raw_email.state == RawEmailState.IGNORED:
        is_probe = raw_email.kind == RawEmailKind.PROBE
        return ImportResult(Outcome.PROBE if is_probe else Outcome.BOUNCE)
    delivery = RawEmailDelivery.objects.select_related("message").get(
        raw_email_id=raw_email_id, inbox_id=inbox_id
    )
    if delivery.message is None:
        return ImportResult(Outcome.PENDING)
    is_auto_reply = raw_email.kind == RawEmailKind.AUTO_REPLY
    outcome = Outcome.THREADED if _is_follow_up(delivery.message) else Outcome.CREATED
    return ImportResult(outcome, is_auto_reply=is_auto_reply)


def _is_follow_up(message: Message) -> bool:
    """An earlier inbound message in its conversation means the mail threaded."""
    return Message.objects.filter(
        conversation_id=message.conversation_id,
        kind=MessageKind.INBOUND,
        sequence__lt=message.sequence,
    ).exists()


def inbox_address_find(email: str) -> InboxAddress | None:
    return (
        InboxAddress.objects.select_related("inbox")
        .filter(email__iexact=email.strip().strip("<>"))
        .first()
    )


def inbox_address_list() -> Sequence[str]:
    return list(InboxAddress.objects.order_by("email").values_list("email", flat=True))
