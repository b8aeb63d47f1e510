"""Getting an IMAP folder past mail that kills the fetcher (imap_attempts.py).

A fetcher that died leaves its attempt recorded above `last_uid`; these tests start from
that record, as a restarted fetcher would (the real kill is in test_crash.py).
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from storedesk.conversations.models import Conversation
from storedesk.mail.enums import RawEmailState
from storedesk.mail.imap import mailbox_poll
from storedesk.mail.imap_attempts import attempt_begin, attempt_undo
from storedesk.mail.models import ImapAccount, ImapFolderState, RawEmail
from storedesk.mail.tests.dovecot import DovecotServer
from storedesk.mail.tests.factories import make_raw_email

pytestmark = pytest.mark.django_db


def append_mails(dovecot: DovecotServer, user: str, count: int) -> list[bytes]:
    raws = [
        make_raw_email(subject=f"Mail {n}", message_id=f"<m{n}@example.com>")
        for n in range(1, count + 1)
    ]
    for raw in raws:
        dovecot.append(user, raw)
    return raws


def crashed_state(dovecot: DovecotServer, user: str, account: ImapAccount, **fields: int) -> None:
    """The folder's row as a fetcher that died in the middle of a batch left it."""
    out = dovecot.doveadm("mailbox", "status", "-u", user, "uidvalidity", "INBOX")
    uidvalidity = int(out.split("uidvalidity=")[1].split()[0])
    ImapFolderState.objects.create(
        account=account, folder="INBOX", uidvalidity=uidvalidity, **fields
    )


def subjects_by_state() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for raw_email in RawEmail.objects.all():
        subject = bytes(raw_email.raw).split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode()
        found.setdefault(raw_email.state, set()).add(subject)
    return found


def test_first_attempt_of_a_folder_is_one_batch(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    append_mails(dovecot, user, 3)

    mailbox_poll(account=account)

    state = ImapFolderState.objects.get()
    fields = ("last_uid", "attempt_first_uid", "attempt_last_uid", "attempt_count")
    assert [getattr(state, name) for name in fields] == [3, 1, 3, 1]
    assert state.careful_until_uid == 0


def test_a_batch_that_never_finished_is_taken_in_one_mail_at_a_time(
    dovecot: DovecotServer, user: str, account: ImapAccount, caplog: pytest.LogCaptureFixture
) -> None:
    append_mails(dovecot, user, 5)
    crashed_state(dovecot, user, account, attempt_first_uid=1, attempt_last_uid=4, attempt_count=1)

    with caplog.at_level(logging.WARNING, logger="storedesk.mail.imap_attempts"):
        report = mailbox_poll(account=account)

    assert (report.new, report.folders[0].set_aside, report.errors) == (5, 0, [])
    assert subjects_by_state() == {RawEmailState.PROCESSED: {f"Mail {n}" for n in range(1, 6)}}
    retried = [
        (getattr(r, "first_uid"), getattr(r, "last_uid"))  # noqa: B009  (from `extra`)
        for r in caplog.records
        if r.msg == "mail.imap.batch_retried"
    ]
    # The unfinished batch's mail alone, each once; the mail after it in a batch again.
    assert retried == [(1, 1), (2, 2), (3, 3), (4, 4)]
    state = ImapFolderState.objects.get()
    assert (state.last_uid, state.careful_until_uid) == (5, 4)
    assert (state.attempt_first_uid, state.attempt_last_uid, state.attempt_count) == (5, 5, 1)


def test_a_mail_started_too_often_is_set_aside_unparsed_and_the_rest_arrives(
    dovecot: DovecotServer, user: str, account: ImapAccount, admin_client: Client
) -> None:
    append_mails(dovecot, user, 4)
    # Mail 1 got in; mail 2 was then started alone three times and the fetcher died each time.
    crashed_state(
        dovecot,
        user,
        account,
        last_uid=1,
        attempt_first_uid=2,
        attempt_last_uid=2,
        attempt_count=3,
        careful_until_uid=3,
    )

    report = mailbox_poll(account=account)

    assert (report.fetched, report.folders[0].set_aside, report.errors) == (3, 1, [])
    assert subjects_by_state() == {
        RawEmailState.PROCESSED: {"Mail 3", "Mail 4"},
        RawEmailState.QUARANTINED: {"Mail 2"},
    }
    poison = RawEmail.objects.get(state=RawEmailState.QUARANTINED)
    assert poison.reason == (
        "processing this message did not complete after 3 attempts; the fetcher may have "
        "crashed on it (IMAP folder 'INBOX', UID 2)"
    )
    # Never parsed: no conversation, but its delivery is stored for Re-process.
    assert poison.deliveries.get().message is None
    assert ImapFolderState.objects.get().last_uid == 4
    assert mailbox_poll(account=account).fetched == 0

    page = admin_client.get(reverse("mail:admin_quarantine")).content.decode()
    assert "the fetcher may have crashed on it" in page
    admin_client.post(reverse("mail:admin_quarantine_reprocess", args=[poison.pk]))

    poison.refresh_from_db()
    assert (poison.state, poison.reason) == (RawEmailState.PROCESSED, "")
    assert Conversation.objects.filter(subject="Mail 2", inbox=account.inbox).count() == 1


def test_the_number_of_attempts_is_a_setting(
    dovecot: DovecotServer, user: str, account: ImapAccount, settings: Settings
) -> None:
    settings.MAIL_PROCESSING_MAX_ATTEMPTS = 1
    append_mails(dovecot, user, 2)
    crashed_state(dovecot, user, account, attempt_first_uid=1, attempt_last_uid=1, attempt_count=1)

    report = mailbox_poll(account=account)

    assert (report.new, report.folders[0].set_aside) == (2, 1)
    assert subjects_by_state() == {
        RawEmailState.QUARANTINED: {"Mail 1"},
        RawEmailState.PROCESSED: {"Mail 2"},
    }


def test_mail_already_processed_is_left_alone_when_set_aside(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    append_mails(dovecot, user, 1)
    mailbox_poll(account=account)
    # As if the folder were read again (a second account on the same mailbox).
    ImapFolderState.objects.update(last_uid=0, attempt_count=3)

    report = mailbox_poll(account=account)

    assert (report.duplicates, report.folders[0].set_aside) == (1, 1)
    assert subjects_by_state() == {RawEmailState.PROCESSED: {"Mail 1"}}


def test_a_batch_another_poller_took_in_meanwhile_is_not_attempted(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    append_mails(dovecot, user, 2)
    mailbox_poll(account=account)
    stale = ImapFolderState.objects.get()
    stale.last_uid = 0  # what this poller read before the other one committed

    assert attempt_begin(stale, [1, 2]) is None

    assert stale.last_uid == 2
    fresh = ImapFolderState.objects.get()
    assert (fresh.attempt_first_uid, fresh.attempt_last_uid, fresh.attempt_count) == (1, 2, 1)


def test_an_attempt_that_ended_in_an_exception_is_not_counted(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    append_mails(dovecot, user, 3)
    crashed_state(dovecot, user, account, attempt_first_uid=1, attempt_last_uid=3, attempt_count=1)
    state = ImapFolderState.objects.get()
    attempt = attempt_begin(state, [1])
    assert attempt is not None

    attempt_undo(state, attempt)  # say the batch hit a database error and the poll ended

    state.refresh_from_db()
    assert (state.attempt_first_uid, state.attempt_last_uid, state.attempt_count) == (1, 3, 1)
    assert state.careful_until_uid == 0
    # Mail 1 alone starts on its first attempt again, not its second.
    again = attempt_begin(state, [1])
    assert again is not None
    assert again.count == 1
    assert mailbox_poll(account=account).new == 3
