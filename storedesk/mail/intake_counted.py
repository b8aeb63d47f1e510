"""Batches for a caller with no resume point of its own: the importer (docs/subsystems/email.md,
"The importer").

`raw_emails_take_in` (intake_batch.py) stores and processes a batch in one transaction, which
the IMAP fetcher needs (its resume point commits with the mail) and makes safe with attempts
of its own on the folder. An import has nothing like that: if a mail killed the process
while its batch was being processed, the batch rolled back whole, and rerunning the import
stored and processed the same batch again, died on the same mail again, and so for ever.

So an import's batch is stored first and committed with an attempt counted on each of its
new mails (`processing_attempts` 1, as `intake_attempts.attempt_begin` counts it, in the
same commit as the rows: nobody sees them before), then processed in one transaction whose
finishing UPDATEs set the counts back to 0. After a crash the rerun finds those mails
stored and waiting with an unfinished attempt, and takes each alone through
`raw_email_process` (one counted attempt each) once the attempt timed out
(`MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS`; until then they are reported as waiting, and the
worker's sweep would take them the same way): the mail before and after the culprit arrive,
and the culprit is set aside unparsed after `MAIL_PROCESSING_MAX_ATTEMPTS` attempts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from django.db import DatabaseError, transaction
from django.utils import timezone

from storedesk.conversations.services.deferred import inserts_deferred
from storedesk.conversations.services.timeline import live_updates_coalesced
from storedesk.core.tasks import enqueue_on_commit
from storedesk.mail.enums import RawEmailState
from storedesk.mail.identify import from_address_scan
from storedesk.mail.intake import raw_email_process, raw_email_process_stored
from storedesk.mail.intake_attempts import attempt_end
from storedesk.mail.intake_batch import InboundMail
from storedesk.mail.intake_cache import intake_cache_open
from storedesk.mail.intake_store import Stored, raw_email_store
from storedesk.mail.models import RawEmail

logger = logging.getLogger(__name__)


def raw_emails_take_in_counted(*, mails: Sequence[InboundMail], source: str) -> list[Stored]:
    """Store a batch and commit, then process it with its attempts counted (module docstring).

    Side effects: those of `raw_emails_take_in` for the batch's new mail, and of
    `raw_email_process` for mail stored before that still waits. Three commits for a batch
    of new mail (stored and counted, processed, nothing else), one more per mail that was
    waiting. Must not run inside a transaction. Returns one Stored per mail, in order.
    """
    stored = _store_counted(mails, source)
    new = [s for s in stored if s.is_new and s.raw_email.state == RawEmailState.RECEIVED]
    _process_together([s.raw_email for s in new])
    done = {s.raw_email.pk for s in new}
    results = []
    for entry in stored:
        raw_email = entry.raw_email
        if raw_email.pk not in done and raw_email.state == RawEmailState.RECEIVED:
            # Stored before and still waiting, maybe the culprit of a batch that died.
            raw_email_process(raw_email=raw_email)
            done.add(raw_email.pk)
        results.append(replace(entry, processed=True) if raw_email.pk in done else entry)
    return results


def _store_counted(mails: Sequence[InboundMail], source: str) -> list[Stored]:
    with transaction.atomic(durable=True):
        stored = [
            raw_email_store(
                raw=mail.raw,
                source=source,
                recipients=mail.recipients,
                envelope_from=mail.envelope_from,
            )
            for mail in mails
        ]
        new_ids = [s.raw_email.pk for s in stored if s.is_new]
        RawEmail.objects.filter(pk__in=new_ids).update(
            processing_attempts=1, processing_started_at=timezone.now()
        )
    return stored


def _process_together(raw_emails: Sequence[RawEmail]) -> None:
    """Process committed mail in one transaction, each in its own savepoint; a mail left
    waiting (a database error, a delivery added meanwhile) has its count taken back."""
    from storedesk.mail.tasks import raw_email_process_task

    try:
        with (
            transaction.atomic(durable=True),
            intake_cache_open() as cache,
            live_updates_coalesced(),
        ):
            cache.senders_read(from_address_scan(bytes(r.raw)) for r in raw_emails)
            for raw_email in raw_emails:
                try:
                    with transaction.atomic(), inserts_deferred():
                        raw_email_process_stored(raw_email, fresh=None)
                except DatabaseError:
                    logger.exception(
                        "mail.intake.process_failed", extra={"raw_email_id": raw_email.pk}
                    )
                    raw_email.state = RawEmailState.RECEIVED
                    enqueue_on_commit(raw_email_process_task, raw_email.pk)
    except Exception:
        # Rolled back whole (the process lives): nothing finished, nothing died on a mail.
        for raw_email in raw_emails:
            raw_email.state = RawEmailState.RECEIVED
            attempt_end(raw_email)
        raise
    for raw_email in raw_emails:
        if raw_email.state == RawEmailState.RECEIVED:
            attempt_end(raw_email)
