"""Recording a bounce on the outbound mail it answers (never as a conversation)."""

from __future__ import annotations

from django.db import transaction

from storedesk.conversations.services.delivery import bounce_reason, message_bounce_record
from storedesk.customers.services import customer_email_bounce_flag
from storedesk.mail.enums import OutboundState
from storedesk.mail.loops import Bounce
from storedesk.mail.models import OutboundEmail
from storedesk.mail.threads import message_id_variants


@transaction.atomic
def outbound_email_bounce_record(*, bounce: Bounce) -> OutboundEmail | None:
    """Mark the OutboundEmail `bounce` answers (and its Message) bounced; None if not ours.

    Side effects: OutboundEmail state BOUNCED with the diagnostic as last_error; for a
    Message (an agent's reply), message_bounce_record's: delivery_status "bounced", the
    details in channel_metadata["bounce"], a MESSAGE_BOUNCED timeline event, live updates
    after commit. Acknowledgements and notifications have no Message: only their row is
    marked. Whatever was sent, the customer's address is flagged as bouncing
    (customer_email_bounce_flag). A delay notice ("delayed") changes nothing.
    """
    if not bounce.original_message_id or bounce.action == "delayed":
        return None
    outbound = (
        OutboundEmail.objects.select_for_update(of=("self",))
        .select_related("message__conversation")
        .filter(header_message_id__in=message_id_variants([bounce.original_message_id]))
        .first()
    )
    if outbound is None:
        return None
    outbound.state = OutboundState.BOUNCED
    outbound.last_error = bounce.diagnostic or f"bounced ({bounce.status or 'no status'})"
    outbound.save(update_fields=["state", "last_error", "updated_at"])
    details = {
        "recipient": bounce.recipient,
        "status": bounce.status,
        "diagnostic": bounce.diagnostic,
        "is_permanent": bounce.is_permanent,
    }
    if outbound.message is not None:
        message_bounce_record(message=outbound.message, details=details)
    # The DSN's recipient first; the address we sent to when a forwarder rewrote it.
    customer_email_bounce_flag(
        emails=[bounce.recipient, outbound.recipient_key],
        reason=bounce_reason(details) or outbound.last_error,
    )
    return outbound
