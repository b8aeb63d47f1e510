"""Getting the worker past a stored mail whose processing kills it (docs/subsystems/email.md,
"Mail that kills the fetcher, the worker or the importer").

Mail stored one at a time (the SMTP/LMTP receiver, the webhook, devmail) is processed by the
worker after its commit: the task `raw_email_receive` enqueued, the pending sweep, or an
admin's Re-process. A mail whose processing kills that process (a segfault in a parser
library, the OOM killer, a hang a supervisor ends with SIGKILL) raises nothing, and the sweep
would start it again every minute for ever, killing the worker each time. So:

- each attempt is counted on the mail before it starts, by one UPDATE that commits on its
  own (`attempt_begin`): `processing_attempts` + 1, `processing_started_at` now. An attempt
  that finishes the mail (processed, quarantined, ignored) sets the count back to 0 in the
  UPDATE that finishes it; one that ends in an exception, or with the mail still waiting (a
  delivery added meanwhile), takes its count back (`attempt_end`). So a waiting mail's
  count is the number of its attempts whose process died, plus one while an attempt runs;
- a mail stored less than PENDING_GRACE_SECONDS ago is left to the task its intake enqueued,
  and an attempt started less than `MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS` ago (5 minutes)
  to whoever started it (the task, the sweep and Re-process alike), so two processors never
  both count one death, nor a slow attempt (a large mail on a busy machine) a death at all.
  A process cannot tell a dead attempt from a slow one in another process; the timeout is
  far above what processing the largest accepted mail takes, and the price of its length
  is only that mail whose worker died waits that long for the next attempt;
- a mail started `MAIL_PROCESSING_MAX_ATTEMPTS` times (default 3, the IMAP fetcher's limit
  too) without finishing is quarantined without being parsed, with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from storedesk.mail.enums import RawEmailState
from storedesk.mail.models import RawEmail, RawEmailDelivery

logger = logging.getLogger(__name__)

# A stored mail younger than this is left to the task its intake enqueued; an older one no
# attempt has started is taken to be an orphan of a crash (the attempts' own time limit is
# the setting MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS).
PENDING_GRACE_SECONDS = 10


def max_attempts() -> int:
    """How many times processing one mail may be started without finishing before it is set
    aside: a stored mail's attempts by the worker, one IMAP UID's by the fetcher (a setting)."""
    return settings.MAIL_PROCESSING_MAX_ATTEMPTS


def raw_emails_due(*, limit: int) -> list[int]:
    """Ids of waiting (RECEIVED) mail nothing is taking care of, oldest first: stored more
    than PENDING_GRACE_SECONDS ago and with no attempt running (`_free`)."""
    rows = RawEmail.objects.filter(_free(), state=RawEmailState.RECEIVED)
    stored_before = timezone.now() - timedelta(seconds=PENDING_GRACE_SECONDS)
    return list(
        rows.filter(created_at__lt=stored_before)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )


def attempt_begin(raw_email: RawEmail) -> bool:
    """Count, and commit, an attempt at processing `raw_email`; True to go ahead.

    False when it must not be processed now: it no longer waits, another attempt is running
    (`_free`), or it has just been set aside (quarantined unparsed, see the module
    docstring; `raw_email.state` says so). One UPDATE in autocommit, so it must not run
    inside a transaction: the count has to outlive a crash of what follows.
    """
    now = timezone.now()
    begun = RawEmail.objects.filter(
        _free(),
        pk=raw_email.pk,
        state=RawEmailState.RECEIVED,
        processing_attempts__lt=max_attempts(),
    ).update(processing_attempts=F("processing_attempts") + 1, processing_started_at=now)
    if begun:
        raw_email.state = RawEmailState.RECEIVED
        return True
    _set_aside_if_due(raw_email)
    return False


def attempted(
    raw_email: RawEmail, process: Callable[[], list[RawEmailDelivery]]
) -> list[RawEmailDelivery]:
    """`process()` (raw_email_process's work) as one counted attempt; [] when `attempt_begin`
    says no."""
    if not attempt_begin(raw_email):
        return []
    try:
        done = process()
    except Exception:
        attempt_end(raw_email)  # the process lives: no sign of mail that kills it
        raise
    if raw_email.state == RawEmailState.RECEIVED:
        attempt_end(raw_email)  # a delivery added meanwhile waits: the next attempt takes it
    return done


def attempt_end(raw_email: RawEmail) -> None:
    """Take back the attempt `attempt_begin` counted when it ended with the process alive
    and the mail still waiting (an exception such as a database error, or a delivery added
    meanwhile): no sign of mail that kills the worker, and the next attempt may start at once.
    """
    RawEmail.objects.filter(pk=raw_email.pk, processing_attempts__gt=0).update(
        processing_attempts=F("processing_attempts") - 1
    )


def _set_aside_if_due(raw_email: RawEmail) -> None:
    row = (
        RawEmail.objects.filter(pk=raw_email.pk)
        .values_list("state", "processing_attempts", "processing_started_at")
        .first()
    )
    if row is None:
        return  # deleted meanwhile (erasure)
    state, attempts, started_at = row
    raw_email.state = state
    if state != RawEmailState.RECEIVED or attempts < max_attempts():
        return  # finished meanwhile, or another attempt is under way
    if started_at is not None and started_at >= _attempt_cutoff():
        return  # the last attempt may still be running: it decides
    reason = _reason(attempts, started_at)
    # Guarded by the count read above: an attempt that began since is not overtaken.
    quarantined = RawEmail.objects.filter(
        pk=raw_email.pk, state=RawEmailState.RECEIVED, processing_attempts=attempts
    ).update(state=RawEmailState.QUARANTINED, reason=reason, processed_at=timezone.now())
    if quarantined:
        raw_email.state, raw_email.reason = RawEmailState.QUARANTINED, reason
        logger.error(
            "mail.intake.set_aside",
            extra={"raw_email_id": raw_email.pk, "attempts": attempts, "reason": reason},
        )


def _reason(attempts: int, started_at: datetime | None) -> str:
    reason = (
        f"processing this message did not complete after {attempts} attempts; the worker or "
        "import processing it may have crashed on it"
    )
    if started_at is None:
        return reason
    # The moment to look for in the worker's and the kernel's logs (OOM killer, segfault).
    return f"{reason} (last attempt started {started_at:%Y-%m-%d %H:%M:%S} UTC)"


def _free() -> Q:
    """No attempt running: none counted, or the last one started longer ago than an
    attempt may take."""
    return Q(processing_attempts=0) | Q(processing_started_at__lt=_attempt_cutoff())


def _attempt_cutoff() -> datetime:
    return timezone.now() - timedelta(seconds=settings.MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS)
