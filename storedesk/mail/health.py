"""Mailbox health checks: a probe mail out through the outbox, back in through intake.

Every check (`mailbox_health_check`, scheduled) sends each active email address a probe
(kind PROBE, a random token in `X-Storedesk-Probe` and the subject) from its inbox's own
address. Intake recognises the token (`mailbox_probe_arrive`), records `received_at` and
ignores the mail, so a probe never becomes a conversation.

A probe is *passed* when it came back within STOREDESK_MAIL_PROBE_MAX_SECONDS of being
queued, *failed* when it did not (late arrivals count as failed), and *pending* before its
deadline. No state is stored beside the probes: an address's status is that of its newest
decided probe. A failure is *new* (and mails the admins) when it is the first of a streak
and its deadline passed after the previous check, which is the newest probe sent; each
address is checked under its row lock, so two schedulers running at once mail once.

In development the capture backend (core.devmail) hands mail for our own addresses back
to intake through `devmail_loopback`, so the check passes on a bare machine too.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from storedesk.accounts.enums import Role
from storedesk.accounts.models import User
from storedesk.core.mail import OutboundMail, outbound_mail_send
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import InboxAddress
from storedesk.mail.enums import IntakeSource, OutboundKind
from storedesk.mail.mime import ParsedEmail
from storedesk.mail.models import MailboxProbe
from storedesk.mail.outbox import outbound_email_enqueue

logger = logging.getLogger(__name__)

PROBE_HEADER = "X-Storedesk-Probe"
DEFAULT_INTERVAL_SECONDS = 15 * 60
DEFAULT_MAX_SECONDS = 10 * 60
# Statuses are read from the probes of this period; older ones are history.
HISTORY = timedelta(days=7)
HISTORY_PROBES = 500


class HealthStatus:
    OK = "ok"
    FAILING = "failing"
    UNKNOWN = "unknown"


class ProbeResult:
    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True)
class MailboxHealth:
    """One address's health, for the admin page and the workspace banner."""

    address_id: int
    address: str
    inbox_name: str
    status: str
    last_success_at: datetime | None
    round_trip_seconds: float | None
    consecutive_failures: int


@dataclass
class HealthCheckReport:
    probes_sent: list[int]
    new_failures: list[str]


def probe_max_seconds() -> int:
    return int(getattr(settings, "STOREDESK_MAIL_PROBE_MAX_SECONDS", DEFAULT_MAX_SECONDS))


def probe_interval_seconds() -> int:
    return int(getattr(settings, "STOREDESK_MAIL_PROBE_INTERVAL_SECONDS", DEFAULT_INTERVAL_SECONDS))


# --- probes out and back ---------------------------------------------------------------------


def _sender_of(address: InboxAddress) -> str:
    primary = address.inbox.addresses.order_by("-is_primary", "pk").first()
    return (primary or address).email


def mailbox_probe_send(*, address: InboxAddress, now: datetime | None = None) -> MailboxProbe:
    """Queue a probe mail to `address` from its inbox's primary address.

    Side effects: a MailboxProbe (sent_at = now) and an OutboundEmail of kind PROBE in the
    caller's transaction; the outbox sends it after commit.
    """
    now = now or timezone.now()
    token = secrets.token_hex(16)
    with transaction.atomic():
        probe = MailboxProbe.objects.create(address=address, token=token, sent_at=now)
        outbound_email_enqueue(
            kind=OutboundKind.PROBE,
            mail_from=_sender_of(address),
            recipients=[address.email],
            subject=f"Storedesk mailbox check {token}",
            text=f"Storedesk checks that mail to {address.email} arrives. Token: {token}\n",
            headers={PROBE_HEADER: token},
        )
    logger.info("mail.health.probe_sent", extra={"address_id": address.pk, "token": token})
    return probe


def mailbox_probe_arrive(*, parsed: ParsedEmail, received_at: datetime) -> bool:
    """Is `parsed` one of our probes? If so, record its first arrival; True either way.

    Only a token we issued counts, so a stranger's mail with the header is ordinary mail.
    Side effects: MailboxProbe.received_at set once (a second copy changes nothing).
    """
    token = parsed.headers.get(PROBE_HEADER, "").strip()
    if not token:
        return False
    if not MailboxProbe.objects.filter(token=token).exists():
        return False
    MailboxProbe.objects.filter(token=token, received_at__isnull=True).update(
        received_at=received_at
    )
    logger.info("mail.health.probe_received", extra={"token": token})
    return True


def devmail_loopback(*, raw: bytes, recipients: Sequence[str], envelope_from: str = "") -> None:
    """Development capture hook: hand mail addressed to our own addresses to intake.

    Named by STOREDESK_DEVMAIL_LOOPBACK, which core.devmail calls after writing the .eml.
    Mail only to outside addresses (replies and acknowledgements to customers) is left
    alone. Our own mail that comes back is recognised by intake as automatic (our From
    and Message-ID domain) and never answered, and probes are ignored, so nothing loops.
    Side effects: raw_email_receive (source DEVMAIL) after the current transaction commits.
    """
    # Imported here: intake imports this module to recognise probes.
    from storedesk.mail.identify import inbox_addresses_match
    from storedesk.mail.intake_store import raw_email_receive

    ours = list(inbox_addresses_match(recipients))
    if not ours:
        return
    transaction.on_commit(
        lambda: raw_email_receive(
            raw=raw, source=IntakeSource.DEVMAIL, recipients=ours, envelope_from=envelope_from
        ),
        robust=True,
    )


# --- reading results -------------------------------------------------------------------------


def probe_result(probe: MailboxProbe, *, now: datetime, limit: timedelta) -> str:
    if probe.sent_at is None:
        return ProbeResult.PENDING
    if probe.received_at is not None:
        in_time = probe.received_at - probe.sent_at <= limit
        return ProbeResult.PASSED if in_time else ProbeResult.FAILED
    return ProbeResult.FAILED if now - probe.sent_at > limit else ProbeResult.PENDING


def _round_trip(probe: MailboxProbe) -> float | None:
    if probe.sent_at is None or probe.received_at is None:
        return None
    return max((probe.received_at - probe.sent_at).total_seconds(), 0.0)


def address_health(
    address: InboxAddress, probes: Sequence[MailboxProbe], *, now: datetime, limit: timedelta
) -> MailboxHealth:
    """Health from `probes`, newest first."""
    failures = 0
    success: MailboxProbe | None = None
    decided = False
    for probe in probes:
        result = probe_result(probe, now=now, limit=limit)
        if result == ProbeResult.PENDING:
            continue
        decided = True
        if result == ProbeResult.PASSED:
            success = probe
            break
        failures += 1
    status = HealthStatus.FAILING if failures else HealthStatus.OK
    return MailboxHealth(
        address_id=address.pk,
        address=address.email,
        inbox_name=address.inbox.name,
        status=status if decided else HealthStatus.UNKNOWN,
        last_success_at=success.received_at if success else None,
        round_trip_seconds=_round_trip(success) if success else None,
        consecutive_failures=failures,
    )


def _active_addresses() -> list[InboxAddress]:
    return list(
        InboxAddress.objects.filter(inbox__is_active=True, inbox__channel=Channel.EMAIL)
        .select_related("inbox")
        .order_by("email")
    )


def _recent_probes(address_ids: Iterable[int], *, now: datetime) -> dict[int, list[MailboxProbe]]:
    by_address: dict[int, list[MailboxProbe]] = {}
    rows = MailboxProbe.objects.filter(
        address_id__in=list(address_ids), sent_at__gte=now - HISTORY
    ).order_by("-sent_at", "-pk")
    for probe in rows:
        by_address.setdefault(probe.address_id, []).append(probe)
    return by_address


def mailbox_health_list(*, now: datetime | None = None) -> list[MailboxHealth]:
    """Every active email address with its status, last success, round trip and failures."""
    now = now or timezone.now()
    limit = timedelta(seconds=probe_max_seconds())
    addresses = _active_addresses()
    probes = _recent_probes((a.pk for a in addresses), now=now)
    return [address_health(a, probes.get(a.pk, []), now=now, limit=limit) for a in addresses]


# The banner is on every workspace page; probes are decided minutes apart, so a banner up
# to this late saves two queries per page view.
FAILING_CACHE_SECONDS = 30
FAILING_CACHE_KEY = "mail:health:failing"


def mailbox_health_failing() -> list[MailboxHealth]:
    """The addresses whose newest decided probe failed (for the workspace banner)."""
    cached = cache.get(FAILING_CACHE_KEY)
    if isinstance(cached, list):
        return cached
    failing = [h for h in mailbox_health_list() if h.status == HealthStatus.FAILING]
    cache.set(FAILING_CACHE_KEY, failing, FAILING_CACHE_SECONDS)
    return failing


# --- the scheduled check ---------------------------------------------------------------------


def _is_new_failure(
    health: MailboxHealth, probes: Sequence[MailboxProbe], *, now: datetime, limit: timedelta
) -> bool:
    """The first failure of a streak, whose deadline passed after the previous check.

    The previous check is the newest probe sent: a check before the deadline could not yet
    have seen the failure, one after it has already told the admins.
    """
    if health.consecutive_failures != 1:
        return False
    failed = next(p for p in probes if probe_result(p, now=now, limit=limit) == ProbeResult.FAILED)
    last_check = probes[0].sent_at
    assert failed.sent_at is not None
    assert last_check is not None
    return last_check <= failed.sent_at + limit


def _checked_recently(probes: Sequence[MailboxProbe], *, now: datetime) -> bool:
    newest = probes[0].sent_at if probes else None
    half_interval = timedelta(seconds=probe_interval_seconds() / 2)
    return newest is not None and newest > now - half_interval


def _address_check(address_id: int, *, now: datetime) -> tuple[MailboxProbe | None, bool]:
    """Evaluate and probe one address under its row lock: (probe sent, new failure)."""
    limit = timedelta(seconds=probe_max_seconds())
    with transaction.atomic():
        address = (
            InboxAddress.objects.select_for_update(of=("self",))
            .select_related("inbox")
            .filter(pk=address_id)
            .first()
        )
        if address is None:
            return None, False
        probes = list(
            MailboxProbe.objects.filter(address=address, sent_at__gte=now - HISTORY).order_by(
                "-sent_at", "-pk"
            )[:HISTORY_PROBES]
        )
        if _checked_recently(probes, now=now):
            return None, False  # a duplicate run (two schedulers, a retried task)
        health = address_health(address, probes, now=now, limit=limit)
        is_new = _is_new_failure(health, probes, now=now, limit=limit)
        if is_new:
            admins_notify(health=health)
        return mailbox_probe_send(address=address, now=now), is_new


def mailbox_health_check(*, now: datetime | None = None) -> HealthCheckReport:
    """Evaluate every active address's probes, mail admins on new failures, probe again.

    Side effects per address: a new MailboxProbe and PROBE outbox row (not when another
    check ran within half an interval); on a new failure one mail per admin through core's
    outbound-mail port.
    """
    now = now or timezone.now()
    report = HealthCheckReport(probes_sent=[], new_failures=[])
    for address in _active_addresses():
        probe, is_new = _address_check(address.pk, now=now)
        if probe is not None:
            report.probes_sent.append(probe.pk)
        if is_new:
            report.new_failures.append(address.email)
    return report


@task()
def mailbox_health_check_task() -> int:
    """Scheduled: see mailbox_health_check. Returns how many probes were sent."""
    return len(mailbox_health_check().probes_sent)


# --- telling the admins ----------------------------------------------------------------------


def _admins() -> list[User]:
    return list(
        User.objects.filter(role=Role.ADMIN, is_active=True).exclude(email="").order_by("pk")
    )


def _alert_mail(admin: User, health: MailboxHealth) -> OutboundMail:
    link = f"{settings.BASE_URL}{reverse('mail:health')}"
    with translation.override(admin.language or settings.LANGUAGE_CODE):
        subject = _("Mailbox check failed: %(address)s") % {"address": health.address}
        text = _(
            "A test mail sent to %(address)s (inbox %(inbox)s) did not come back within "
            "%(minutes)s minutes. Mail to this address may not be reaching Storedesk.\n\n"
            "Mailbox health: %(link)s\n"
        ) % {
            "address": health.address,
            "inbox": health.inbox_name,
            "minutes": probe_max_seconds() // 60,
            "link": link,
        }
    return OutboundMail(to=[admin.email], subject=subject, text=text)


def admins_notify(*, health: MailboxHealth) -> int:
    """Mail every active admin about a failing address; returns how many were mailed.

    Side effects: one mail per admin through core's outbound-mail port.
    """
    admins = _admins()
    for admin in admins:
        outbound_mail_send(_alert_mail(admin, health))
    logger.warning("mail.health.failing", extra={"address": health.address, "admins": len(admins)})
    return len(admins)
