"""Background work for the email channel's intake."""

from __future__ import annotations

from django_tasks import task

from storedesk.mail.intake import raw_email_process, raw_email_process_pending
from storedesk.mail.models import RawEmail
from storedesk.mail.outbox_send import outbox_send, outbox_send_due


@task()
def raw_email_process_task(raw_email_id: int) -> None:
    raw_email = RawEmail.objects.filter(pk=raw_email_id).first()
    if raw_email is None:
        return  # deleted meanwhile (erasure): nothing to process
    raw_email_process(raw_email=raw_email)


@task()
def raw_email_process_pending_task() -> int:
    return raw_email_process_pending()


@task()
def outbox_send_task(*outbound_ids: int) -> None:
    """Send outbox rows right after the transaction that queued them committed (a reply's
    one row, or a mail batch's acknowledgements gathered: `enqueues_gathered`).

    Idempotent: a row already sent, failed or claimed by another worker is left alone;
    a failure is rescheduled in the row itself and `outbox_send_due_task` picks it up.
    """
    outbox_send(outbound_ids=outbound_ids)


@task()
def outbox_send_due_task() -> int:
    """Send whatever is due: retries after backoff, rows whose immediate task was lost."""
    return len(outbox_send_due().sent)


@task()
def mailbox_poll_all_task() -> int:
    """Fetch new mail from every active IMAP account; returns how many new mails were stored.

    Idempotent: fetching resumes after each folder's last stored UID, and the intake's unique
    constraint makes a message fetched twice (two overlapping runs) a no-op.
    """
    # Imported here so the lines above stay untouched by the IMAP work (and imaplib loads
    # only in processes that fetch).
    from storedesk.mail.imap import mailbox_poll_all

    return sum(report.new for report in mailbox_poll_all())
