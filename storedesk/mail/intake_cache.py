"""What a batch of intake reads again and again, read once per batch.

`raw_emails_take_in` (IMAP and import batches) opens an `IntakeCache` for its transaction:
our addresses (every intake step asks "is this address ours?"), the inboxes with their
brands, each inbox's promised answer time (acknowledgements record it; their words are
written when they are sent, outside the batch). A batch lasts
about a second, so an admin's edit made meanwhile is seen by the next batch; outside a
batch nothing is cached and every read goes to the database as before.

The promised time is computed once per inbox per batch, with the backlog at that moment:
the mails of one batch arrived together (one IMAP fetch, one import chunk), so they get
the same promise, as mails arriving in the same second would.

The senders of the batch are read with one query before the first mail is processed
(`senders_read`, from a header scan of each mail): their customers, and how many
acknowledgements each got within the rate window ending at the batch's start (those the
batch records are counted as they wait to be inserted). A sender the scan missed is read
on its own, as outside a batch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import Lower
from django.utils import timezone

from storedesk.conversations.services.messages import conversation_openers_lock
from storedesk.customers.models import CustomerIdentity
from storedesk.customers.selectors import email_identities_read
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.mail.enums import OutboundKind
from storedesk.mail.models import OutboundEmail
from storedesk.routing.selectors import expected_first_response_at


@dataclass
class IntakeCache:
    _addresses: dict[str, InboxAddress] | None = None
    _expected: dict[int, datetime] = field(default_factory=dict)
    # Read by senders_read: the sender's identity (None: unknown; customer_email_arrived
    # takes out those it creates) and acknowledgements stored within the window.
    identities: dict[str, CustomerIdentity | None] = field(default_factory=dict)
    recent_replies: dict[str, int] = field(default_factory=dict)

    def senders_read(self, addresses: Iterable[str]) -> None:
        """Read the identities and recent acknowledgement counts of these senders.

        The openers' lock comes first, so no other transaction adds an acknowledgement
        before this one commits: the counts stay exact for the whole batch.
        """
        conversation_openers_lock()
        self.identities = email_identities_read(addresses)
        since = timezone.now() - timedelta(seconds=settings.AUTO_REPLY_WINDOW_SECONDS)
        counts = (
            OutboundEmail.objects.filter(
                recipient_key__in=list(self.identities),
                kind=OutboundKind.AUTO_REPLY,
                created_at__gt=since,
            )
            .order_by()
            .values_list("recipient_key")
            .annotate(count=Count("pk"))
        )
        self.recent_replies = dict.fromkeys(self.identities, 0) | dict(counts)

    def addresses(self) -> dict[str, InboxAddress]:
        """Every InboxAddress (with its inbox and brand) by lower-cased address."""
        if self._addresses is None:
            rows = InboxAddress.objects.annotate(email_lower=Lower("email")).select_related(
                "inbox__brand"
            )
            self._addresses = {row.email_lower: row for row in rows}
        return self._addresses

    def inbox(self, inbox_id: int) -> Inbox | None:
        """The inbox (brand loaded) when one of our addresses belongs to it."""
        for row in self.addresses().values():
            if row.inbox_id == inbox_id:
                return row.inbox
        return None

    def expected_at(self, inbox: Inbox, now: datetime) -> datetime:
        if inbox.pk not in self._expected:
            self._expected[inbox.pk] = expected_first_response_at(inbox=inbox, now=now)
        return self._expected[inbox.pk]


_current: ContextVar[IntakeCache | None] = ContextVar("intake_cache", default=None)


def intake_cache() -> IntakeCache | None:
    """The cache of the batch being taken in, None outside a batch."""
    return _current.get()


@contextlib.contextmanager
def intake_cache_open() -> Iterator[IntakeCache]:
    """A fresh cache for the batch run inside (nested batches share the outer one)."""
    current = _current.get()
    if current is not None:
        yield current
        return
    cache = IntakeCache()
    token = _current.set(cache)
    try:
        yield cache
    finally:
        _current.reset(token)
