"""Kill -9 at random moments while mail flows in: nothing lost, nothing twice.

Real processes against a real database (the test database, shared with the children: on
PostgreSQL directly, on SQLite through a file copy of the in-memory test database): the SMTP
receiver and the worker that turns stored mail into conversations, each restarted whenever
it dies, each killed by SIGKILL at random moments and at the crash points of crash_harness.py
(inside transactions and attachment writes). A sending MTA keeps every message until it got
a 250. At the end the set of stored mail must equal the set sent, each became exactly one
message per inbox, and nothing is left half done. The same for `storedesk fetch_mail`
against a real Dovecot, whose resume point (UIDVALIDITY + UID) must come out exact; and a
mail that kills the fetcher every time it is parsed must end in the quarantine while the mail
behind it arrives.

Both tests are in xdist group "crash": with `--dist loadgroup` they share one test worker
instead of loading both at once.

Set CRASH_HARNESS_SEED to replay a run; the seed of a failing run is in its failure message.
"""

from __future__ import annotations

import imaplib
import os
import time
import uuid
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from django.db.models import Count

from storedesk.brands.tests.factories import create_brand
from storedesk.conversations.models import Attachment, Conversation, Message
from storedesk.customers.models import Customer
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import ImapSecurity, OutboundKind, RawEmailState
from storedesk.mail.identify import dedupe_key_for, message_id_scan
from storedesk.mail.imap import mailbox_poll
from storedesk.mail.intake import raw_email_reprocess
from storedesk.mail.models import (
    ImapAccount,
    ImapFolderState,
    OutboundEmail,
    RawEmail,
    RawEmailDelivery,
)
from storedesk.mail.tests.crash_harness import (
    MAX_ATTEMPTS_ENV,
    PENDING_GRACE_ENV,
    POISON_ENV,
    POISON_POINT,
)
from storedesk.mail.tests.crash_mta import Mta, Sent, free_port, messages_make, sha256
from storedesk.mail.tests.crash_run import (
    STALL_SECONDS,
    SharedDatabase,
    child_env,
    poisoned_run_end,
    polled,
    supervise,
    wait_while_moving,
)
from storedesk.mail.tests.crash_supervisor import Supervisor
from storedesk.mail.tests.dovecot import PASSWORD, DovecotServer

# Real child processes use their own connections: the test data must be committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.xdist_group("crash")]

MESSAGES = int(os.environ.get("CRASH_HARNESS_MESSAGES", "2000"))
MIN_KILLS = 50
# Per crash-point visit: each child also dies at its crash points every few hundred messages.
RECEIVER_CRASH_RATE = 0.004
WORKER_CRASH_RATE = 0.0015
# The receiver is killed after 10-60 more messages got their 250 (about 60 kills for 2,000),
# the worker after 20-80 more were processed.
RECEIVER_KILL_EVERY = (10.0, 60.0)
WORKER_KILL_EVERY = (20.0, 80.0)
PENDING_SQL = "SELECT COUNT(*) FROM mail_rawemail WHERE state = 'received'"
PROCESSED_SQL = "SELECT COUNT(*) FROM mail_rawemail WHERE state = 'processed'"


def _shop_with_two_addresses(shared_database: SharedDatabase) -> None:
    """support@ and sales@ of one store, committed where the child processes see them."""
    brand = create_brand()
    create_inbox(brand=brand, name="Support", address="support@shop.example")
    create_inbox(brand=brand, name="Sales", address="sales@shop.example")
    shared_database.publish()


def test_kill_9_while_2000_mails_come_in_loses_and_duplicates_nothing(
    shared_database: SharedDatabase,
    supervisors: list[Supervisor],
    tmp_path: Path,
    seed: int,
) -> None:
    _shop_with_two_addresses(shared_database)
    sent = messages_make(
        MESSAGES, seed=seed, support="support@shop.example", sales="sales@shop.example"
    )
    env = child_env(shared_database, tmp_path)
    port = free_port()
    mta = Mta(port, sent)
    processed = polled(lambda: shared_database.scalar(PROCESSED_SQL))
    started = time.monotonic()
    receiver = supervise(
        supervisors, ["receiver", str(port)], env=env, rate=RECEIVER_CRASH_RATE,
        progress=lambda: mta.delivered, kill_every=RECEIVER_KILL_EVERY, workdir=tmp_path,
        seed=seed,
    )
    # This many kills land on one mail's processing 3 times in a row in about one run in
    # five, and it is then rightly set aside (intake_attempts.py, tested on its own below):
    # here every mail has to come through.
    worker = supervise(
        supervisors, ["worker"], env={**env, MAX_ATTEMPTS_ENV: "1000"}, rate=WORKER_CRASH_RATE,
        progress=processed, kill_every=WORKER_KILL_EVERY, workdir=tmp_path, seed=seed + 1,
    )

    def failed() -> bool:
        return bool(receiver.counts.failures or worker.counts.failures)

    all_sent = mta.run(stall_seconds=STALL_SECONDS, give_up=failed)
    sending_seconds = time.monotonic() - started
    receiver.calm()
    # The worker keeps dying until it has processed everything it was sent.
    drained = wait_while_moving(
        lambda: failed() or shared_database.scalar(PENDING_SQL) == 0,
        lambda: shared_database.scalar(PROCESSED_SQL),
    )
    kills = receiver.counts.total + worker.counts.total
    receiver.stop()
    worker.stop()
    shared_database.collect()

    report = (
        f"seed {seed}: sent in {sending_seconds:.0f}s with {mta.retries} retries, all done "
        f"in {time.monotonic() - started:.0f}s; receiver {receiver.counts}, "
        f"worker {worker.counts}"
    )
    print(report)  # noqa: T201  (the run's figures, shown with -s)
    assert all_sent, report
    assert not mta.rejected, report
    assert not receiver.counts.failures, report
    assert not worker.counts.failures, report
    assert kills >= MIN_KILLS, report
    assert drained, report
    assert_nothing_lost_nothing_twice(sent)


def assert_nothing_lost_nothing_twice(sent: list[Sent]) -> None:
    expected = {dedupe_key_for(m.raw, message_id_scan(m.raw)): m for m in sent}
    stored = {row.dedupe_key: row for row in RawEmail.objects.all()}
    assert set(stored) == set(expected)
    assert RawEmail.objects.count() == len(sent)
    for key, row in stored.items():
        assert sha256(bytes(row.raw)) == sha256(expected[key].raw), key
    assert Counter(RawEmail.objects.values_list("state", flat=True)) == {
        RawEmailState.PROCESSED: len(sent)
    }

    deliveries = sum(len(m.recipients) for m in sent)
    assert RawEmailDelivery.objects.count() == deliveries
    assert not RawEmailDelivery.objects.filter(message__isnull=True).exists()
    # One conversation per (mail, inbox), each with that one customer message.
    mail_messages = Message.objects.filter(client_id__startswith="mail:")
    assert mail_messages.count() == deliveries
    assert Conversation.objects.count() == deliveries
    assert not mail_messages.values("conversation").annotate(n=Count("id")).filter(n__gt=1)
    assert set(RawEmailDelivery.objects.values_list("message__conversation__inbox", "inbox")) == {
        (inbox, inbox) for inbox in RawEmailDelivery.objects.values_list("inbox", flat=True)
    }
    assert Customer.objects.count() == len(sent)

    # Every stored attachment is whole; files a kill left half written are referenced by none.
    wanted = Counter({sha256(m.attachment): len(m.recipients) for m in sent if m.attachment})
    found: Counter[str] = Counter()
    for attachment in Attachment.objects.all():
        with attachment.file.open("rb") as stored_file:
            content = stored_file.read()
        assert len(content) == attachment.size
        found[sha256(content)] += 1
    assert found == wanted

    # The acknowledgement went out once per conversation, never twice.
    acknowledgements = OutboundEmail.objects.filter(kind=OutboundKind.AUTO_REPLY)
    assert acknowledgements.count() == deliveries
    assert acknowledgements.values("conversation").distinct().count() == deliveries


# --- fetching from IMAP --------------------------------------------------------------------

# 2,000 like the SMTP test: with 1,000 the faster batch intake (fewer, quicker commits)
# left room for fewer kills than FETCHER_MIN_KILLS on a quiet machine.
FETCHED_MESSAGES = 2000
APPEND_BATCH = 50
APPEND_PAUSE_SECONDS = 0.5
# The fetcher stores and processes a batch of up to imap.FETCH_BATCH_SIZE mails in one
# transaction, a few thousand statements: a low rate per statement, or no batch would ever
# commit. It is also killed after 5-40 more mails were stored, so most kills land inside
# the next batch.
FETCHER_CRASH_RATE = 0.0002
FETCHER_KILL_EVERY = (5.0, 40.0)
FETCHER_MIN_KILLS = 20
STORED_SQL = "SELECT COUNT(*) FROM mail_rawemail"


def test_kill_9_while_fetching_resumes_exactly(
    shared_database: SharedDatabase,
    supervisors: list[Supervisor],
    dovecot: DovecotServer,
    tmp_path: Path,
    seed: int,
) -> None:
    inbox = create_inbox(name="Support", address="support@shop.example")
    user = f"crash-{uuid.uuid4().hex[:12]}"
    account = ImapAccount.objects.create(
        inbox=inbox,
        host="127.0.0.1",
        port=dovecot.port,
        security=ImapSecurity.NONE,
        username=user,
        password=PASSWORD,
    )
    shared_database.publish()
    sent = messages_make(
        FETCHED_MESSAGES, seed=seed, support="support@shop.example", sales="sales@shop.example",
        prefix="imap",
    )
    started = time.monotonic()
    def stored() -> int:
        return shared_database.scalar(STORED_SQL)

    fetcher = supervise(
        supervisors, ["fetcher"], env=child_env(shared_database, tmp_path),
        rate=FETCHER_CRASH_RATE, progress=polled(stored), kill_every=FETCHER_KILL_EVERY,
        workdir=tmp_path, seed=seed,
    )
    client = dovecot.connect(user)
    try:
        for start in range(0, len(sent), APPEND_BATCH):
            for message in sent[start : start + APPEND_BATCH]:
                client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), message.raw)
            time.sleep(APPEND_PAUSE_SECONDS)
        client.select("INBOX", readonly=True)
        uidvalidity = int(client.response("UIDVALIDITY")[1][-1])
        _, data = client.uid("SEARCH", "ALL")
        highest_uid = max(int(uid) for uid in data[0].split())
    finally:
        client.logout()
    # Mail keeps flowing in (and the fetcher keeps dying) until the fetcher has caught up.
    fetched = wait_while_moving(lambda: stored() >= len(sent), stored)
    kills = fetcher.counts.total
    fetcher.stop()
    shared_database.collect()

    report = f"seed {seed}: {time.monotonic() - started:.0f}s; fetcher {fetcher.counts}"
    print(report)  # noqa: T201  (the run's figures, shown with -s)
    assert not fetcher.counts.failures, report
    assert kills >= FETCHER_MIN_KILLS, report
    assert fetched, report
    expected = {dedupe_key_for(m.raw, message_id_scan(m.raw)) for m in sent}
    assert set(RawEmail.objects.values_list("dedupe_key", flat=True)) == expected
    assert RawEmail.objects.count() == len(sent)
    state = ImapFolderState.objects.get(account=account, folder="INBOX")
    assert (state.uidvalidity, state.last_uid) == (uidvalidity, highest_uid)
    # The resume point is exact: a fresh poll finds nothing left to fetch, not even again.
    assert mailbox_poll(account=account).fetched == 0
    # The fetcher processes each batch as it stores it: every processed mail became exactly
    # one message (a mail whose processing failed stays RECEIVED for the worker).
    with_message = RawEmailDelivery.objects.filter(message__isnull=False)
    assert not RawEmailDelivery.objects.filter(
        raw_email__state=RawEmailState.PROCESSED, message__isnull=True
    ).exists()
    assert Message.objects.filter(client_id__startswith="mail:").count() == with_message.count()
    assert Conversation.objects.count() == with_message.count()


# --- a mail that kills the fetcher ---------------------------------------------------------

POISON_MESSAGES = 120
# The poison is the 31st mail: inside the first batch, neither its first nor its last.
POISON_INDEX = 30
POISON_HEADER = b"X-Parser-Crash: on this mail\r\n"


def test_mail_that_kills_the_fetcher_is_set_aside_and_the_rest_arrives(
    shared_database: SharedDatabase,
    supervisors: list[Supervisor],
    dovecot: DovecotServer,
    tmp_path: Path,
    seed: int,
) -> None:
    inbox = create_inbox(name="Support", address="support@shop.example")
    user = f"poison-{uuid.uuid4().hex[:12]}"
    account = ImapAccount.objects.create(
        inbox=inbox, host="127.0.0.1", port=dovecot.port, security=ImapSecurity.NONE,
        username=user, password=PASSWORD,
    )
    shared_database.publish()
    raws = [
        m.raw for m in messages_make(
            POISON_MESSAGES, seed=seed, support="support@shop.example",
            sales="sales@shop.example", prefix="poison",
        )
    ]
    raws[POISON_INDEX] = POISON_HEADER + raws[POISON_INDEX]
    for raw in raws:
        dovecot.append(user, raw)

    def stored() -> int:
        return shared_database.scalar(STORED_SQL)

    # Killed only by the poison: every death is that mail's.
    fetcher = supervise(
        supervisors, ["fetcher"],
        env={**child_env(shared_database, tmp_path), POISON_ENV: POISON_HEADER.decode().strip()},
        rate=0.0, progress=polled(stored), kill_every=(1e12, 1e12), workdir=tmp_path, seed=seed,
    )
    # Its first batch once, then alone MAIL_PROCESSING_MAX_ATTEMPTS times; then set aside unparsed.
    poisoned_run_end(
        shared_database, fetcher, done=lambda: stored() >= len(raws), progress=stored,
        deaths=4, label=f"seed {seed}: fetcher",
    )
    poison = RawEmail.objects.get(state=RawEmailState.QUARANTINED)
    assert bytes(poison.raw) == raws[POISON_INDEX]
    assert poison.reason == (
        "processing this message did not complete after 3 attempts; the fetcher may have "
        f"crashed on it (IMAP folder 'INBOX', UID {POISON_INDEX + 1})"
    )
    assert RawEmail.objects.filter(state=RawEmailState.PROCESSED).count() == len(raws) - 1
    assert {bytes(raw) for raw in RawEmail.objects.values_list("raw", flat=True)} == set(raws)
    assert ImapFolderState.objects.get(account=account).last_uid == len(raws)
    assert Conversation.objects.count() == len(raws) - 1

    # The admins' Re-process, in a process whose parser survives it.
    raw_email_reprocess(raw_email=poison)

    poison.refresh_from_db()
    assert poison.state == RawEmailState.PROCESSED
    assert Conversation.objects.count() == len(raws)


# --- a mail that kills the worker ------------------------------------------------------------

WORKER_POISON_MESSAGES = 40
WORKER_POISON_INDEX = 12
# The worker's sweep takes a mail again this long after it was stored and after its last
# attempt began (production: 10 s and 5 minutes).
WORKER_POISON_GRACE_SECONDS = "2"
NOT_RECEIVED_SQL = "SELECT COUNT(*) FROM mail_rawemail WHERE state <> 'received'"
NEVER = (1e12, 1e12)


def test_mail_that_kills_the_worker_is_set_aside_and_the_rest_arrives(
    shared_database: SharedDatabase,
    supervisors: list[Supervisor],
    tmp_path: Path,
    seed: int,
) -> None:
    _shop_with_two_addresses(shared_database)
    sent = messages_make(
        WORKER_POISON_MESSAGES, seed=seed, support="support@shop.example",
        sales="sales@shop.example", prefix="smtp-poison",
    )
    poison_sent = replace(
        sent[WORKER_POISON_INDEX], raw=POISON_HEADER + sent[WORKER_POISON_INDEX].raw
    )
    sent[WORKER_POISON_INDEX] = poison_sent
    env = child_env(shared_database, tmp_path)
    port = free_port()
    mta = Mta(port, sent)
    done = polled(lambda: shared_database.scalar(NOT_RECEIVED_SQL))
    # Nobody kills them: every death of the worker is the poison's (the receiver never
    # parses, so it never meets it).
    receiver = supervise(
        supervisors, ["receiver", str(port)], env=env, rate=0.0,
        progress=lambda: mta.delivered, kill_every=NEVER, workdir=tmp_path, seed=seed,
    )
    worker_env = {
        **env,
        POISON_ENV: POISON_HEADER.decode().strip(),
        PENDING_GRACE_ENV: WORKER_POISON_GRACE_SECONDS,
        "STOREDESK_MAIL_PROCESSING_ATTEMPT_TIMEOUT_SECONDS": WORKER_POISON_GRACE_SECONDS,
    }
    worker = supervise(
        supervisors, ["worker"], env=worker_env, rate=0.0, progress=done, kill_every=NEVER,
        workdir=tmp_path, seed=seed + 1,
    )

    def failed() -> bool:
        return bool(receiver.counts.failures or worker.counts.failures)

    all_sent = mta.run(stall_seconds=STALL_SECONDS, give_up=failed)
    drained = wait_while_moving(
        lambda: failed() or shared_database.scalar(PENDING_SQL) == 0,
        lambda: shared_database.scalar(NOT_RECEIVED_SQL),
    )
    receiver.stop()
    worker.stop()
    shared_database.collect()

    report = f"seed {seed}: receiver {receiver.counts}, worker {worker.counts}"
    assert all_sent, report
    assert drained, report
    assert not receiver.counts.failures, report
    assert not worker.counts.failures, report
    # Its task once, then the sweep twice; the fourth attempt sets it aside unparsed.
    assert worker.counts.points == {POISON_POINT: 3}, report
    assert (worker.counts.external, receiver.counts.total) == (0, 0), report
    poison = RawEmail.objects.get(state=RawEmailState.QUARANTINED)
    assert bytes(poison.raw) == poison_sent.raw
    assert poison.reason.startswith(
        "processing this message did not complete after 3 attempts; the worker or import "
        "processing it may have crashed on it (last attempt started "
    )
    assert poison.processing_attempts == 3
    assert not poison.deliveries.filter(message__isnull=False).exists()
    others = [m for m in sent if m is not poison_sent]
    assert RawEmail.objects.filter(state=RawEmailState.PROCESSED).count() == len(others)
    assert Conversation.objects.count() == sum(len(m.recipients) for m in others)

    # The admins' Re-process, in a process whose parser survives it.
    raw_email_reprocess(raw_email=poison)

    poison.refresh_from_db()
    assert (poison.state, poison.processing_attempts) == (RawEmailState.PROCESSED, 0)
    assert Conversation.objects.count() == sum(len(m.recipients) for m in sent)
