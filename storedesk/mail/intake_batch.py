"""Batches of mail stored and processed in one transaction (the IMAP fetcher, the importer).

The callers acknowledge nothing per mail: the IMAP fetcher's resume point moves in the
batch's commit, the importer counts at the end. So both intake steps
(`storedesk.mail.intake`) run for the whole batch in one durable transaction, each mail
in its own savepoint (docs/subsystems/email.md, "Batches").
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from django.db import DatabaseError, transaction
from django.utils import timezone

from storedesk.conversations.search_index import search_index_catch_up
from storedesk.conversations.services.deferred import inserts_deferred
from storedesk.conversations.services.timeline import live_updates_coalesced
from storedesk.core.tasks import enqueue_on_commit, enqueues_gathered
from storedesk.mail.enums import RawEmailState
from storedesk.mail.identify import from_address_scan
from storedesk.mail.intake import raw_email_process_stored, raw_emails_processed_mark
from storedesk.mail.intake_cache import intake_cache_open
from storedesk.mail.intake_store import Stored, fresh_deliveries_write, raw_email_store
from storedesk.mail.models import RawEmail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundMail:
    """One mail of a batch for `raw_emails_take_in`."""

    raw: bytes
    recipients: Sequence[str]
    envelope_from: str = ""


def raw_emails_take_in(
    *,
    mails: Sequence[InboundMail],
    source: str,
    after_begin: Callable[[], None] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> list[Stored]:
    """Store and process a batch of mails in one durable transaction (IMAP, import).

    Each mail is stored as `raw_email_receive` stores it (the unique dedupe_key decides) and
    processed at once as `raw_email_process` does, in its own savepoint: a mail that cannot
    be parsed or processed is quarantined and the batch goes on; a database error while
    processing one mail rolls back only its processing (the stored mail stays RECEIVED and
    is processed again after commit). Any other database error rolls back the whole batch,
    which the caller may then retry: nothing of it was acknowledged. `after_begin` runs
    first inside the transaction (the IMAP fetcher locks its folder's row there, so a second
    poller waits for this batch instead of taking it for a crashed one) and `before_commit`
    last (the IMAP fetcher moves its resume point there, so the point and the mails commit
    together).

    Caches per batch what every mail reads (intake_cache; the senders with one query),
    writes the rows nobody reads back before commit (events, requesters,
    acknowledgements) with one INSERT per table (`inserts_deferred`), sends live updates
    once at commit and enqueues one task for all acknowledgements (`enqueues_gathered`).
    Holds the database's write lock (SQLite) and the conversation counter's row lock from
    its start until it commits, so callers keep batches short (IMAP 50 mails, import 100).
    Returns one Stored per mail, in order.
    """
    with (
        transaction.atomic(durable=True),
        intake_cache_open() as cache,
        live_updates_coalesced(),
        enqueues_gathered(),
    ):
        if after_begin is not None:
            after_begin()
        cache.senders_read(from_address_scan(mail.raw) for mail in mails)
        processed: dict[int, RawEmail] = {}
        with inserts_deferred():
            stored = [_take_in(mail, source, processed) for mail in mails]
        raw_emails_processed_mark(processed.values())
        search_index_catch_up()  # the batch's messages become one index segment
        if before_commit is not None:
            before_commit()
    return stored


def raw_email_set_aside(
    *,
    mail: InboundMail,
    source: str,
    reason: str,
    after_begin: Callable[[], None] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> Stored:
    """Store a mail straight into the quarantine with `reason`, never parsing it.

    For mail whose processing killed the process that tried it (the IMAP fetcher gives up
    on it after a few attempts): only the scan `raw_email_store` does runs on its bytes. Its
    deliveries are stored as for any mail, so an admin's Re-process (`raw_email_reprocess`)
    takes it through intake like the rest. A mail already stored is quarantined only if it
    still waits (RECEIVED); what became of it otherwise stands. One durable transaction;
    `after_begin` and `before_commit` as in `raw_emails_take_in`.
    """
    with transaction.atomic(durable=True):
        if after_begin is not None:
            after_begin()
        stored = raw_email_store(
            raw=mail.raw,
            source=source,
            recipients=mail.recipients,
            envelope_from=mail.envelope_from,
        )
        raw_email = stored.raw_email
        quarantined = RawEmail.objects.filter(pk=raw_email.pk, state=RawEmailState.RECEIVED).update(
            state=RawEmailState.QUARANTINED, reason=reason[:2000], processed_at=timezone.now()
        )
        if quarantined:
            raw_email.state, raw_email.reason = RawEmailState.QUARANTINED, reason[:2000]
            logger.warning(
                "mail.intake.set_aside", extra={"raw_email_id": raw_email.pk, "reason": reason}
            )
        if before_commit is not None:
            before_commit()
    return stored


def _take_in(mail: InboundMail, source: str, processed: dict[int, RawEmail]) -> Stored:
    """`processed`: the new mails this batch processed, whose state it writes at its end."""
    from storedesk.mail.tasks import raw_email_process_task

    stored = raw_email_store(
        raw=mail.raw,
        source=source,
        recipients=mail.recipients,
        envelope_from=mail.envelope_from,
        deliveries_unwritten=True,
    )
    raw_email = stored.raw_email
    if raw_email.state != RawEmailState.RECEIVED:
        return stored  # a duplicate of mail already processed (or quarantined, or ignored)
    if raw_email.pk in processed and not stored.added:
        return stored  # the same, processed earlier in this batch
    if raw_email.processing_attempts:
        # Stored before and started by a worker that has not finished it, maybe dead on it:
        # left to the worker's attempts (intake_attempts.py), which may set it aside, and to
        # the pending sweep for the deliveries added here.
        return stored
    try:
        if stored.is_new and stored.added:
            raw_email_process_stored(raw_email, fresh=stored.added)  # one savepoint inside
            if raw_email.state == RawEmailState.PROCESSED:
                processed[raw_email.pk] = raw_email
        else:
            # The mail's deferred rows go with its savepoint when that rolls back.
            with transaction.atomic(), inserts_deferred():
                raw_email_process_stored(raw_email, fresh=None)
    except DatabaseError:
        logger.exception("mail.intake.process_failed", extra={"raw_email_id": raw_email.pk})
        raw_email.state = RawEmailState.RECEIVED
        enqueue_on_commit(raw_email_process_task, raw_email.pk)
    fresh_deliveries_write(stored)
    return replace(stored, processed=True)
