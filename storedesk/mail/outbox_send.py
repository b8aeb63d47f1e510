"""Sending the outbox: claim due rows, send their stored bytes, record the outcome.

Delivery is at least once, and nothing acknowledged is sent again:

1. A row is *claimed* in a short transaction: on PostgreSQL the due rows are locked
   with SKIP LOCKED so concurrent workers take different rows; on both databases a
   conditional UPDATE (still QUEUED, still due) takes the claim, counts the attempt and
   moves `next_attempt_at` one lease ahead. A worker that dies mid-send therefore leaves
   the row to be picked up again after the lease.
2. The bytes are sent outside any transaction. An acknowledgement recorded due by intake
   has none yet: `auto_reply_build` composes and stores them once, before the first send.
3. Right after the server's 250 the row becomes SENT in its own short transaction, so a
   later run never sends it again. A crash between the 250 and that commit is the one
   window in which a mail goes out twice, with the same Message-ID (so the recipient's
   client shows it once, and a customer's reply threads either way).

Temporary failures (no connection, 4xx) back off from 1 minute doubling to 1 hour, with
jitter; a row still unsent after RETRY_GIVE_UP becomes FAILED. A 5xx fails it at once.
The linked Message's delivery status follows (sent/failed) and the timeline is updated
live.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from storedesk.conversations.enums import DeliveryStatus
from storedesk.conversations.services.delivery import message_delivery_status_set
from storedesk.mail.autoreply_send import auto_reply_build
from storedesk.mail.enums import OutboundState
from storedesk.mail.models import OutboundEmail
from storedesk.mail.outbox_transport import SendError, Transport, transport_open

logger = logging.getLogger(__name__)

RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
RETRY_JITTER = 0.2  # up to 20% later, so a queue that failed together does not retry together
RETRY_GIVE_UP = timedelta(days=2)
# A claimed row is due again after this long if its worker vanished mid-send.
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class SendReport:
    """What one run did: ids sent, rescheduled and failed."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failed try: 1, 2, 4 ... 60 minutes, plus jitter."""
    doublings = min(max(attempts - 1, 0), 16)
    base = min(RETRY_FIRST * (1 << doublings), RETRY_MAX)
    return base * (1 + random.uniform(0, RETRY_JITTER))  # noqa: S311 - spreading, not secrecy


def _due_ids(*, now: datetime, limit: int, outbound_ids: Sequence[int] | None) -> list[int]:
    rows = OutboundEmail.objects.filter(state=OutboundState.QUEUED, next_attempt_at__lte=now)
    if outbound_ids is not None:
        rows = rows.filter(pk__in=outbound_ids)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)
    return list(rows.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])


def outbox_claim(
    *, now: datetime, limit: int, outbound_ids: Sequence[int] | None = None
) -> list[int]:
    """Claim up to `limit` due rows for this worker (see the module docstring).

    Side effects: each claimed row's attempts +1 and next_attempt_at = now + lease.
    """
    claimed: list[int] = []
    with transaction.atomic():
        for pk in _due_ids(now=now, limit=limit, outbound_ids=outbound_ids):
            taken = OutboundEmail.objects.filter(
                pk=pk, state=OutboundState.QUEUED, next_attempt_at__lte=now
            ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE)
            if taken:
                claimed.append(pk)
    return claimed


@transaction.atomic
def _mark_sent(outbound: OutboundEmail, *, now: datetime, refused: dict[str, str]) -> None:
    note = "; ".join(f"refused {address}: {answer}" for address, answer in refused.items())
    OutboundEmail.objects.filter(pk=outbound.pk, state=OutboundState.QUEUED).update(
        state=OutboundState.SENT, sent_at=now, last_error=note
    )
    if outbound.message_id is not None:
        message_delivery_status_set(message_id=outbound.message_id, status=DeliveryStatus.SENT)


@transaction.atomic
def _mark_failed(outbound: OutboundEmail, *, reason: str) -> None:
    OutboundEmail.objects.filter(pk=outbound.pk, state=OutboundState.QUEUED).update(
        state=OutboundState.FAILED, last_error=reason
    )
    if outbound.message_id is not None:
        message_delivery_status_set(message_id=outbound.message_id, status=DeliveryStatus.FAILED)


def _mark_retry(outbound: OutboundEmail, *, now: datetime, reason: str) -> None:
    OutboundEmail.objects.filter(pk=outbound.pk, state=OutboundState.QUEUED).update(
        next_attempt_at=now + retry_delay(outbound.attempts), last_error=reason
    )


def _send_one(pk: int, *, transport: Transport, now: datetime, report: SendReport) -> None:
    outbound = OutboundEmail.objects.filter(pk=pk, state=OutboundState.QUEUED).first()
    if outbound is None:
        return  # finished by someone else meanwhile
    try:
        if outbound.draft:
            outbound = auto_reply_build(outbound)  # the only kind recorded due
        refused = transport.send(
            mail_from=outbound.mail_from, recipients=outbound.recipients, raw=bytes(outbound.raw)
        )
    except SendError as error:
        _failure_record(outbound, error=error, now=now, report=report)
        return
    _mark_sent(outbound, now=now, refused=refused)
    report.sent.append(pk)


def _failure_record(
    outbound: OutboundEmail, *, error: SendError, now: datetime, report: SendReport
) -> None:
    extra = {"outbound_id": outbound.pk, "attempts": outbound.attempts, "reason": error.reason}
    if error.permanent or now - outbound.created_at >= RETRY_GIVE_UP:
        _mark_failed(outbound, reason=error.reason)
        report.failed.append(outbound.pk)
        logger.warning("mail.outbox.failed", extra=extra)
    else:
        _mark_retry(outbound, now=now, reason=error.reason)
        report.retrying.append(outbound.pk)
        logger.info("mail.outbox.retrying", extra=extra)


def _send_claimed(ids: list[int], *, now: datetime) -> SendReport:
    report = SendReport()
    if not ids:
        return report
    with transport_open() as transport:
        for pk in ids:
            _send_one(pk, transport=transport, now=now, report=report)
    return report


def outbox_send_due(*, now: datetime | None = None, limit: int = 100) -> SendReport:
    """Send up to `limit` queued mails whose time has come (`now` defaults to the clock).

    One SMTP connection serves the whole batch. Side effects per row: SENT (sent_at) or
    rescheduled (attempts, next_attempt_at, last_error) or FAILED; the linked Message's
    delivery_status set to sent/failed with a conversation update published after commit.
    """
    now = now or timezone.now()
    return _send_claimed(outbox_claim(now=now, limit=limit), now=now)


def outbox_send(*, outbound_ids: Sequence[int], now: datetime | None = None) -> SendReport:
    """Send these rows where queued and due, over one SMTP connection; the others (sent,
    failed, claimed by another worker, not written after all) are left alone.

    Side effects as `outbox_send_due`.
    """
    now = now or timezone.now()
    claimed = outbox_claim(now=now, limit=len(outbound_ids), outbound_ids=outbound_ids)
    return _send_claimed(claimed, now=now)
