"""The one intake every way in calls (SMTP, LMTP, IMAP, webhook, import), in two steps.

1. `raw_email_receive` stores the bytes once (the unique `dedupe_key` decides, never a prior
   lookup), records which of our inboxes the mail was addressed to, and commits. Callers
   acknowledge the mail (SMTP 250, HTTP 200) only after it returned.
2. `raw_email_process` (a task enqueued after that commit, and `raw_email_process_pending`
   every minute for anything a crash left behind) parses, classifies and turns each delivery
   into a Message, each in its own transaction guarded by the delivery's row lock; each
   attempt is counted first, so mail that keeps killing the worker is set aside
   (`storedesk.mail.intake_attempts`).

The IMAP fetcher (whose resume point moves in the same commit) and the importer do both
steps for a batch of mails in one transaction instead: `storedesk.mail.intake_batch`
(docs/subsystems/email.md, "Batches").

Automatic mail (out-of-office and other RFC 3834 replies) is kept: it is a customer's mail
all the same. Its RawEmail gets kind AUTO_REPLY and its Message `channel_metadata
["automatic"]`, which the auto-reply sender reads so we never answer it. It threads like any
other mail; when it does not thread it opens a new conversation, because dropping it would
hide an answer ("I am away until Monday, call 555-..."), and the marker lets agents and rules
file it away. Bounces of our own mail never become conversations: they mark the outbound
message bounced.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Conversation
from storedesk.conversations.services.deferred import inserts_deferred
from storedesk.conversations.services.messages import (
    conversation_open_with_message,
    message_receive,
)
from storedesk.core.inserts import row_insert
from storedesk.customers.models import Customer
from storedesk.customers.services import customer_email_arrived
from storedesk.inboxes.models import Inbox
from storedesk.mail.autoreply_send import auto_reply_send
from storedesk.mail.bounces import outbound_email_bounce_record
from storedesk.mail.enums import RawEmailKind, RawEmailState
from storedesk.mail.health import mailbox_probe_arrive
from storedesk.mail.identify import inbox_addresses_match
from storedesk.mail.intake_attempts import attempted, raw_emails_due
from storedesk.mail.intake_cache import intake_cache
from storedesk.mail.intake_content import message_content
from storedesk.mail.intake_store import deliveries_insert, inboxes_for
from storedesk.mail.loops import Bounce, automatic_kind, bounce_details
from storedesk.mail.mime import ParsedEmail, UnparseableEmail, parse_email
from storedesk.mail.models import RawEmail, RawEmailDelivery
from storedesk.mail.threads import thread_find

logger = logging.getLogger(__name__)

# Conversations a customer message must not be appended to (it starts a new one instead).
THREAD_CLOSED_STATUSES = frozenset({ConversationStatus.CLOSED, ConversationStatus.TRASH})


# --- step 2: processing ----------------------------------------------------------------------


class Quarantine(Exception):  # noqa: N818  (a signal to quarantine, not an error report)
    """Raised inside processing for a mail that must wait for an admin."""


@dataclass(frozen=True)
class _Context:
    raw_email: RawEmail
    parsed: ParsedEmail
    kind: RawEmailKind
    # The inboxes the mail reached, when its deliveries are not all written yet (fresh).
    inbox_ids: frozenset[int] | None = None


def raw_email_process(*, raw_email: RawEmail) -> list[RawEmailDelivery]:
    """Turn a stored mail into messages: one per delivery; idempotent.

    Side effects: quarantines unparseable mail (state QUARANTINED, reason); a bounce of our
    mail marks the OutboundEmail and its Message bounced (state IGNORED, kind BOUNCE); a
    health probe is IGNORED; otherwise each delivery without a message gets one through
    conversation_open or message_receive (their events and live updates) and the mail is
    PROCESSED. Returns the deliveries handled in this call. Database errors propagate so the
    task (or the pending sweep) retries; any other failure quarantines the mail.
    The attempt is counted first, in its own commit, so it must not run inside a transaction:
    mail that killed the worker too often is quarantined unparsed instead (`intake_attempts`).
    """
    return attempted(raw_email, lambda: raw_email_process_stored(raw_email, fresh=None))


def raw_email_process_stored(
    raw_email: RawEmail, *, fresh: list[RawEmailDelivery] | None
) -> list[RawEmailDelivery]:
    """raw_email_process; `fresh`: the unsaved deliveries of a mail stored in this
    transaction (raw_email_store's `deliveries_unwritten`, in a batch), each inserted with
    its message here, all in one savepoint; those it leaves unsaved (when it quarantines the
    mail, fails, or rolls back) are for `fresh_deliveries_write`. A fresh mail it processed
    is PROCESSED on the instance only: the caller writes that (`raw_emails_processed_mark`)."""
    if raw_email.state in (RawEmailState.QUARANTINED, RawEmailState.IGNORED):
        return []
    try:
        parsed = parse_email(bytes(_raw_bytes(raw_email)))
    except UnparseableEmail as exc:
        _quarantine(raw_email, f"unparseable: {exc.reason}")
        return []
    try:
        if fresh:
            return _process_fresh(raw_email, parsed, fresh)
        return _process_parsed(raw_email, parsed, fresh=None)
    except DatabaseError:
        raise
    except Quarantine as exc:
        _quarantine(raw_email, str(exc))
    except Exception as exc:
        logger.exception("mail.intake.failed", extra={"raw_email_id": raw_email.pk})
        _quarantine(raw_email, f"processing failed: {exc!r}")
    return []


def _process_fresh(
    raw_email: RawEmail, parsed: ParsedEmail, fresh: list[RawEmailDelivery]
) -> list[RawEmailDelivery]:
    """Its deliveries take no savepoints of their own, so a failure in any of them rolls
    back this one, and the mail is quarantined (or left for the task) after it."""
    try:
        # The mail's deferred rows go with its savepoint when that rolls back.
        with transaction.atomic(), inserts_deferred():
            return _process_parsed(raw_email, parsed, fresh=fresh)
    except Exception:
        for delivery in fresh:  # the savepoint took back those processing inserted
            delivery.pk, delivery.message = None, None
            delivery._state.adding = True
        raise


def raw_email_reprocess(*, raw_email: RawEmail) -> list[RawEmailDelivery]:
    """An admin retries a quarantined (or any) mail: back to RECEIVED, then processed.

    Side effects: those of raw_email_process; the old reason and attempt count are cleared.
    """
    RawEmail.objects.filter(pk=raw_email.pk).update(
        state=RawEmailState.RECEIVED, reason="", processed_at=None, processing_attempts=0
    )
    raw_email.refresh_from_db()
    return raw_email_process(raw_email=raw_email)


def raw_email_process_pending(*, limit: int = 100) -> int:
    """Process waiting mail no task or attempt takes care of (crash recovery); returns how many.

    Side effects: those of raw_email_process for each.
    """
    ids = raw_emails_due(limit=limit)
    for raw_email_id in ids:
        raw_email = RawEmail.objects.filter(pk=raw_email_id).first()
        if raw_email is not None:
            raw_email_process(raw_email=raw_email)
    return len(ids)


def _raw_bytes(raw_email: RawEmail) -> bytes:
    if "raw" in raw_email.get_deferred_fields():
        raw_email.refresh_from_db(fields=["raw"])
    return bytes(raw_email.raw)


def _process_parsed(
    raw_email: RawEmail, parsed: ParsedEmail, *, fresh: list[RawEmailDelivery] | None
) -> list[RawEmailDelivery]:
    bounce = bounce_details(parsed)
    kind = automatic_kind(
        parsed,
        our_addresses=_our_addresses(parsed),
        our_message_id_domain=settings.MAIL_MESSAGE_ID_DOMAIN,
    )
    if bounce is not None or kind == RawEmailKind.BOUNCE:
        _ignore_bounce(raw_email, bounce)
        return []
    if mailbox_probe_arrive(parsed=parsed, received_at=raw_email.created_at):
        # A health probe records its arrival on its MailboxProbe and is never a conversation;
        # its deliveries stay without a message, so this is not _finish's "all delivered".
        RawEmail.objects.filter(pk=raw_email.pk).update(
            state=RawEmailState.IGNORED,
            kind=RawEmailKind.PROBE,
            processed_at=timezone.now(),
            processing_attempts=0,
        )
        raw_email.state, raw_email.kind = RawEmailState.IGNORED, RawEmailKind.PROBE
        return []
    context = _Context(
        raw_email=raw_email,
        parsed=parsed,
        kind=kind or RawEmailKind.PERSONAL,
        inbox_ids=frozenset(delivery.inbox_id for delivery in fresh) if fresh else None,
    )
    if fresh:
        # Stored by this transaction: no other processor can see the mail, and these are all
        # its deliveries. The batch writes its state with its other mails' (one UPDATE).
        done = [_delivery_process(context, delivery) for delivery in fresh]
        raw_email.state, raw_email.kind = RawEmailState.PROCESSED, context.kind
        return done
    pending = _deliveries_pending(context)
    done = [_delivery_process(context, delivery_id) for delivery_id in pending]
    _finish(raw_email, state=RawEmailState.PROCESSED, kind=context.kind)
    return done


def _our_addresses(parsed: ParsedEmail) -> list[str]:
    return list(inbox_addresses_match([parsed.from_address, *parsed.reply_to]))


def _deliveries_pending(context: _Context) -> list[int]:
    """Ids of deliveries still without a message; finds inboxes from the headers if none.

    Mail fetched or imported without envelope recipients (or all of them unknown) still
    reaches the inboxes its To/Cc name.
    """
    raw_email = context.raw_email
    if not raw_email.deliveries.exists():
        inboxes = inboxes_for([*context.parsed.to, *context.parsed.cc])
        deliveries_insert(raw_email, inboxes)
        if not inboxes:
            raise Quarantine("no recipient is one of our addresses")
    return list(
        raw_email.deliveries.filter(message__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _delivery_process(context: _Context, delivery: int | RawEmailDelivery) -> RawEmailDelivery:
    """One delivery -> one message, in one transaction; a second processor finds it done.

    `delivery` is an id (locked and read here) or an unsaved delivery of a mail this
    transaction stored, inserted here with its message.
    """
    # A delivery that fails drops its deferred rows (batches) with its savepoint. One this
    # transaction inserted (a batch) needs none of its own: its failure fails the mail,
    # whose savepoint (intake_batch._take_in) rolls back all of it.
    fresh = isinstance(delivery, RawEmailDelivery)
    with transaction.atomic(savepoint=not fresh), inserts_deferred():
        if isinstance(delivery, int):
            delivery = (
                RawEmailDelivery.objects.select_for_update(of=("self",))
                .select_related("inbox__brand")
                .get(pk=delivery)
            )
            if delivery.message_id is not None:
                return delivery
        inbox = _inbox_of(delivery)
        customer = _sender(context)
        conversation = _thread_for(context, inbox, customer)
        content = message_content(context.raw_email, context.parsed, context.kind)
        if conversation is None:
            conversation, delivery.message = conversation_open_with_message(
                inbox=inbox,
                customer=customer,
                subject=context.parsed.subject,
                content=content,
                customer_address=context.parsed.from_address,
            )
            if context.kind == RawEmailKind.PERSONAL:
                auto_reply_send(
                    conversation=conversation,
                    raw_email=context.raw_email,
                    parsed=context.parsed,
                    kind=context.kind,
                )
        else:
            delivery.message = message_receive(
                conversation=conversation, customer=customer, content=content
            )
        if fresh:
            row_insert(delivery)
        else:
            delivery.save(update_fields=["message", "updated_at"])
    return delivery


def _inbox_of(delivery: RawEmailDelivery) -> Inbox:
    cache = intake_cache()
    inbox = cache.inbox(delivery.inbox_id) if cache is not None else None
    return inbox if inbox is not None else delivery.inbox


def _sender(context: _Context) -> Customer:
    address = context.parsed.from_address or context.raw_email.envelope_from.strip("<>").lower()
    if not address or "@" not in address:
        raise Quarantine("no sender address")
    # Mail from the address came in, so mail to it works again (its bounce flag clears).
    cache = intake_cache()
    return customer_email_arrived(
        email=address,
        name=context.parsed.from_name,
        read=cache.identities if cache is not None else None,
    )


def _thread_for(context: _Context, inbox: Inbox, customer: Customer) -> Conversation | None:
    """The conversation this delivery continues, or None for a new one.

    A blocked sender's mail always opens a new conversation, which conversation_open puts
    in spam, rather than reopening a live one. A match in another inbox that this mail also
    reached is left to that inbox's delivery: one conversation per inbox.
    """
    if customer.is_blocked:
        return None
    conversation = thread_find(parsed=context.parsed, inbox=inbox, customer=customer)
    if conversation is None or conversation.status in THREAD_CLOSED_STATUSES:
        return None
    if conversation.inbox_id != inbox.pk and _reached(context, conversation.inbox_id):
        return None
    return conversation


def _reached(context: _Context, inbox_id: int) -> bool:
    if context.inbox_ids is not None:
        return inbox_id in context.inbox_ids
    return context.raw_email.deliveries.filter(inbox_id=inbox_id).exists()


def _finish(raw_email: RawEmail, *, state: RawEmailState, kind: RawEmailKind) -> None:
    """Mark the mail done, unless a delivery added meanwhile still waits for its message."""
    waiting = RawEmailDelivery.objects.filter(raw_email=OuterRef("pk"), message__isnull=True)
    rows = RawEmail.objects.filter(pk=raw_email.pk, state=RawEmailState.RECEIVED)
    updated = rows.filter(~Exists(waiting)).update(
        state=state, kind=kind, processed_at=timezone.now(), processing_attempts=0
    )
    if updated:
        raw_email.state, raw_email.kind = state, kind
    logger.info("mail.intake.processed", extra={"raw_email_id": raw_email.pk, "state": state})


def raw_emails_processed_mark(raw_emails: Iterable[RawEmail]) -> None:
    """Write PROCESSED, with each one's kind, for new mails a batch processed (fresh): one
    UPDATE per kind instead of one per mail."""
    ids_by_kind: dict[str, list[int]] = {}
    for raw_email in raw_emails:
        ids_by_kind.setdefault(raw_email.kind, []).append(raw_email.pk)
        logger.info(
            "mail.intake.processed",
            extra={"raw_email_id": raw_email.pk, "state": RawEmailState.PROCESSED},
        )
    now = timezone.now()
    for kind, ids in ids_by_kind.items():
        RawEmail.objects.filter(pk__in=ids, state=RawEmailState.RECEIVED).update(
            state=RawEmailState.PROCESSED, kind=kind, processed_at=now, processing_attempts=0
        )


def _quarantine(raw_email: RawEmail, reason: str) -> None:
    RawEmail.objects.filter(pk=raw_email.pk).update(
        state=RawEmailState.QUARANTINED,
        reason=reason[:2000],
        processed_at=timezone.now(),
        processing_attempts=0,
    )
    raw_email.state, raw_email.reason = RawEmailState.QUARANTINED, reason[:2000]
    logger.warning(
        "mail.intake.quarantined", extra={"raw_email_id": raw_email.pk, "reason": reason}
    )


def _ignore_bounce(raw_email: RawEmail, bounce: Bounce | None) -> None:
    """A bounce never becomes a conversation; it flags the outbound mail it answers."""
    with transaction.atomic():
        outbound = outbound_email_bounce_record(bounce=bounce) if bounce else None
        original = bounce.original_message_id if bounce else ""
        reason = f"bounce of <{original}>" if original else "bounce of an unknown message"
        if outbound is None:
            reason += " (not one of ours)"
        RawEmail.objects.filter(pk=raw_email.pk).update(
            state=RawEmailState.IGNORED,
            kind=RawEmailKind.BOUNCE,
            reason=reason,
            processed_at=timezone.now(),
            processing_attempts=0,
        )
    raw_email.state, raw_email.kind, raw_email.reason = (
        RawEmailState.IGNORED,
        RawEmailKind.BOUNCE,
        reason,
    )
