"""Writes behind the email admin screens: IMAP accounts and the quarantine.

Intake itself (storing, processing, re-processing) is `mail.intake`; these only change
configuration and record an admin's decisions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from storedesk.accounts.models import User
from storedesk.inboxes.models import Inbox
from storedesk.mail.enums import RawEmailState
from storedesk.mail.models import ImapAccount, RawEmail

logger = logging.getLogger(__name__)


@transaction.atomic
def imap_account_save(
    *,
    account: ImapAccount | None,
    inbox: Inbox,
    host: str,
    port: int,
    security: str,
    username: str,
    password: str | None,
    folders: Sequence[str],
    is_active: bool,
) -> ImapAccount:
    """Create (account None) or change an IMAP account.

    `password` None keeps the stored one (the form never shows it back). Changing the host,
    user or folders keeps the fetch positions: UIDVALIDITY tells a different mailbox apart
    and fetching starts over there without duplicates (intake is idempotent).
    """
    account = account or ImapAccount()
    account.inbox = inbox
    account.host, account.port, account.security = host.strip(), port, security
    account.username = username.strip()
    if password is not None:
        account.password = password
    account.folders = list(folders)
    account.is_active = is_active
    account.save()
    return account


@transaction.atomic
def quarantined_email_discard(*, raw_email: RawEmail, actor: User) -> bool:
    """An admin decides a quarantined mail is not worth keeping in the queue.

    Nothing is deleted: the mail leaves the quarantine as IGNORED with a reason that says
    who discarded it, when, and why it had been quarantined, and a log line records it.
    Returns False when the mail was no longer quarantined (someone re-processed it).
    """
    now = timezone.now()
    locked = RawEmail.objects.select_for_update().filter(
        pk=raw_email.pk, state=RawEmailState.QUARANTINED
    )
    current = locked.values_list("reason", flat=True).first()
    if current is None:
        return False
    reason = f"discarded by {actor.username} at {now:%Y-%m-%d %H:%M} UTC (was: {current})"
    locked.update(state=RawEmailState.IGNORED, reason=reason[:2000], processed_at=now)
    logger.info(
        "mail.quarantine.discarded", extra={"raw_email_id": raw_email.pk, "actor_id": actor.pk}
    )
    return True
