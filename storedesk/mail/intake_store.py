"""Step 1 of the intake (`storedesk.mail.intake`): storing a mail once, with its deliveries.

The unique `dedupe_key` decides whether a mail is new, never a prior lookup; each of our
inboxes among the recipients gets one RawEmailDelivery (unique per mail and inbox).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from storedesk.core.inserts import row_insert, row_insert_unless_taken
from storedesk.core.tasks import enqueue_on_commit
from storedesk.mail.enums import RawEmailState
from storedesk.mail.identify import dedupe_key_for, inbox_addresses_match, message_id_scan
from storedesk.mail.models import RawEmail, RawEmailDelivery

logger = logging.getLogger(__name__)


def raw_email_receive(
    *, raw: bytes, source: str, recipients: Sequence[str], envelope_from: str = ""
) -> RawEmail:
    """Store a received mail once and commit; returns the stored (or earlier) RawEmail.

    Side effects: inserts a RawEmail (or finds the one the unique dedupe_key points at) and a
    RawEmailDelivery for each of our inboxes among `recipients`; a new delivery of a processed
    mail puts it back to RECEIVED. Enqueues `raw_email_process_task` after commit when
    anything new was stored. Must not run inside another transaction (durable): the caller
    acknowledges the mail on return.
    """
    from storedesk.mail.tasks import raw_email_process_task

    with transaction.atomic(durable=True):
        stored = raw_email_store(
            raw=raw, source=source, recipients=recipients, envelope_from=envelope_from
        )
        if stored.is_new or stored.added:
            enqueue_on_commit(raw_email_process_task, stored.raw_email.pk)
    return stored.raw_email


@dataclass(frozen=True)
class Stored:
    """What storing one mail did: its RawEmail, whether that is new, the deliveries added,
    whether it was processed (a duplicate of finished mail is not)."""

    raw_email: RawEmail
    is_new: bool
    added: list[RawEmailDelivery]
    processed: bool = False


def raw_email_store(
    *,
    raw: bytes,
    source: str,
    recipients: Sequence[str],
    envelope_from: str,
    deliveries_unwritten: bool = False,
) -> Stored:
    """The RawEmail (new or the one stored before) and its new deliveries; no commit
    (raw_email_receive and the batches of `storedesk.mail.intake_batch` commit).

    `deliveries_unwritten`: a new mail's deliveries come back unsaved, for a batch that
    processes the mail in this transaction: processing inserts each with its message (one
    INSERT, not an INSERT and an UPDATE), `fresh_deliveries_write` the others.
    """
    message_id = message_id_scan(raw)
    inboxes = inboxes_for(recipients)
    raw_email, created = _raw_email_insert(
        raw=raw, message_id=message_id, source=source, envelope_from=envelope_from
    )
    if created:
        # A new mail has no deliveries yet, so nothing can collide.
        added = [
            RawEmailDelivery(raw_email=raw_email, inbox_id=inbox_id, recipient=recipient[:320])
            for inbox_id, recipient in inboxes.items()
        ]
        if not deliveries_unwritten:
            added = [row_insert(delivery) for delivery in added]
    else:
        added = deliveries_insert(raw_email, inboxes)
    if added and not created and raw_email.state == RawEmailState.PROCESSED:
        # Lets `raw_email_process_pending` find the new delivery after a crash.
        RawEmail.objects.filter(pk=raw_email.pk, state=RawEmailState.PROCESSED).update(
            state=RawEmailState.RECEIVED
        )
        raw_email.state = RawEmailState.RECEIVED
    logger.info(
        "mail.intake.received",
        extra={"raw_email_id": raw_email.pk, "is_new": created, "deliveries_added": len(added)},
    )
    return Stored(raw_email=raw_email, is_new=created, added=added)


def fresh_deliveries_write(stored: Stored) -> None:
    """Insert, without a message, what processing left unsaved of a new mail's deliveries
    (raw_email_store's `deliveries_unwritten`): those of a mail it quarantined, ignored or
    failed on, which an admin's Re-process or the task then finds waiting."""
    if stored.is_new:
        for delivery in stored.added:
            if delivery._state.adding:
                row_insert(delivery)


def inboxes_for(recipients: Sequence[str]) -> dict[int, str]:
    """inbox id -> the first recipient that reached it, in the recipients' order."""
    matches = inbox_addresses_match(recipients)
    inboxes: dict[int, str] = {}
    for recipient in recipients:
        row = matches.get(recipient.strip().strip("<>").lower())
        if row is not None:
            inboxes.setdefault(row.inbox_id, recipient.strip().strip("<>").lower())
    return inboxes


def _raw_email_insert(
    *, raw: bytes, message_id: str, source: str, envelope_from: str
) -> tuple[RawEmail, bool]:
    key = dedupe_key_for(raw, message_id)
    raw_email = row_insert_unless_taken(
        RawEmail(
            dedupe_key=key,
            header_message_id=message_id[:998],
            raw=raw,
            size=len(raw),
            source=source,
            envelope_from=envelope_from[:998],
        ),
        unique=("dedupe_key",),
    )
    if raw_email is not None:
        return raw_email, True
    # The constraint said "already stored"; the winner has committed (PostgreSQL makes the
    # loser wait for it, SQLite serialises writers), so this read finds it.
    return RawEmail.objects.defer("raw").get(dedupe_key=key), False


def deliveries_insert(raw_email: RawEmail, inboxes: dict[int, str]) -> list[RawEmailDelivery]:
    """The deliveries of `inboxes` this mail does not have yet (the same mail may have
    reached an inbox before)."""
    added = [
        row_insert_unless_taken(
            RawEmailDelivery(raw_email=raw_email, inbox_id=inbox_id, recipient=recipient[:320]),
            unique=("raw_email", "inbox"),
        )
        for inbox_id, recipient in inboxes.items()
    ]
    return [delivery for delivery in added if delivery is not None]
