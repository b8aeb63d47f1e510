"""Fetching from a real IMAP server: a private Dovecot started once per test session."""

from __future__ import annotations

import imaplib
import threading
import time
from io import StringIO

import pytest
from django.core.management import call_command
from pytest_django import DjangoCaptureOnCommitCallbacks

from storedesk.conversations.models import Conversation, Message
from storedesk.inboxes.models import Inbox
from storedesk.mail.enums import ImapSecurity, IntakeSource
from storedesk.mail.imap import imap_connection_test, mailbox_poll, mailbox_poll_all
from storedesk.mail.imap_idle import mailbox_wait
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import ImapAccount, ImapFolderState, RawEmail, RawEmailDelivery
from storedesk.mail.tasks import mailbox_poll_all_task
from storedesk.mail.tests.dovecot import DovecotServer
from storedesk.mail.tests.factories import create_imap_account, make_raw_email

pytestmark = pytest.mark.django_db


def flags_by_uid(server: DovecotServer, user: str, folder: str = "INBOX") -> dict[int, bytes]:
    client = server.connect(user)
    try:
        client.select(folder, readonly=True)
        _, data = client.uid("FETCH", "1:*", "(UID FLAGS)")
    finally:
        client.logout()
    flags = {}
    for line in data:
        assert isinstance(line, bytes)
        uid = int(line.split(b"UID ", 1)[1].split()[0].rstrip(b")"))
        flags[uid] = line.split(b"FLAGS ", 1)[1]
    return flags


# --- fetching --------------------------------------------------------------------------------


def test_new_mail_is_fetched_once(dovecot: DovecotServer, user: str, account: ImapAccount) -> None:
    for subject in ("First", "Second"):
        dovecot.append(user, make_raw_email(subject=subject))

    report = mailbox_poll(account=account)

    assert (report.fetched, report.new, report.duplicates, report.errors) == (2, 2, 0, [])
    assert RawEmail.objects.filter(source=IntakeSource.IMAP).count() == 2
    assert set(RawEmailDelivery.objects.values_list("inbox_id", flat=True)) == {account.inbox_id}
    state = ImapFolderState.objects.get(account=account)
    assert (state.folder, state.last_uid) == ("INBOX", 2)
    account.refresh_from_db()
    assert account.last_error == ""
    assert account.last_checked_at is not None

    again = mailbox_poll(account=account)

    assert (again.fetched, again.new) == (0, 0)
    assert RawEmail.objects.count() == 2


def test_fetching_sets_no_flags_and_deletes_nothing(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    dovecot.append(user, make_raw_email())
    dovecot.append(user, make_raw_email())

    mailbox_poll(account=account)

    flags = flags_by_uid(dovecot, user)
    assert sorted(flags) == [1, 2]
    assert all(b"\\Seen" not in value and b"\\Deleted" not in value for value in flags.values())


def test_resumes_after_the_last_stored_message(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    dovecot.append(user, make_raw_email(subject="Before"))
    mailbox_poll(account=account)
    for n in range(3):
        dovecot.append(user, make_raw_email(subject=f"After {n}"))

    # A restarted process knows only what the database holds.
    restarted = ImapAccount.objects.get(pk=account.pk)
    report = mailbox_poll(account=restarted)

    assert (report.fetched, report.new, report.duplicates) == (3, 3, 0)
    assert RawEmail.objects.count() == 4
    assert ImapFolderState.objects.get().last_uid == 4


def test_uidvalidity_change_refetches_without_duplicate_conversations(
    dovecot: DovecotServer,
    user: str,
    account: ImapAccount,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    dovecot.append(user, make_raw_email(subject="Old"))
    with django_capture_on_commit_callbacks(execute=True):
        mailbox_poll(account=account)
    state = ImapFolderState.objects.get()
    dovecot.doveadm(
        "mailbox", "update", "--uid-validity", str(state.uidvalidity + 7), "-u", user, "INBOX"
    )
    dovecot.append(user, make_raw_email(subject="New"))

    with django_capture_on_commit_callbacks(execute=True):
        report = mailbox_poll(account=account)

    folder = report.folders[0]
    assert folder.uidvalidity_reset is True
    assert (folder.fetched, folder.new, folder.duplicates) == (2, 1, 1)
    assert sorted(Conversation.objects.values_list("subject", flat=True)) == ["New", "Old"]
    assert Message.objects.count() == 2
    state.refresh_from_db()
    assert (state.uidvalidity, state.last_uid) == (folder_uidvalidity(dovecot, user), 2)


def folder_uidvalidity(server: DovecotServer, user: str) -> int:
    out = server.doveadm("mailbox", "status", "-u", user, "uidvalidity", "INBOX")
    return int(out.split("uidvalidity=")[1].split()[0])


def test_same_mail_by_smtp_and_imap_is_stored_once(
    dovecot: DovecotServer,
    user: str,
    account: ImapAccount,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    raw = make_raw_email(subject="Twice delivered")
    with django_capture_on_commit_callbacks(execute=True):
        raw_email_receive(raw=raw, source=IntakeSource.SMTP, recipients=["support@shop.example"])
    dovecot.append(user, raw)

    with django_capture_on_commit_callbacks(execute=True):
        report = mailbox_poll(account=account)

    assert (report.fetched, report.new, report.duplicates) == (1, 0, 1)
    assert RawEmail.objects.get().source == IntakeSource.SMTP
    assert Conversation.objects.get().subject == "Twice delivered"
    assert Message.objects.count() == 1
    assert ImapFolderState.objects.get().last_uid == 1


def test_chosen_folders_are_each_fetched(
    dovecot: DovecotServer, user: str, email_inbox: Inbox
) -> None:
    account = create_imap_account(
        dovecot, user=user, inbox=email_inbox, folders=["INBOX", "Web Shop"]
    )
    dovecot.append(user, make_raw_email(subject="In inbox"))
    dovecot.append(user, make_raw_email(subject="In web shop"), folder="Web Shop")

    report = mailbox_poll(account=account)

    assert [(f.folder, f.new) for f in report.folders] == [("INBOX", 1), ("Web Shop", 1)]
    assert sorted(ImapFolderState.objects.values_list("folder", "last_uid")) == [
        ("INBOX", 1),
        ("Web Shop", 1),
    ]


def test_missing_folder_is_reported_and_the_others_still_fetched(
    dovecot: DovecotServer, user: str, email_inbox: Inbox
) -> None:
    account = create_imap_account(dovecot, user=user, inbox=email_inbox, folders=["Gone", "INBOX"])
    dovecot.append(user, make_raw_email())

    report = mailbox_poll(account=account)

    assert report.new == 1
    account.refresh_from_db()
    assert account.last_error.startswith("Gone: Cannot open folder 'Gone'")


# --- errors ----------------------------------------------------------------------------------


def test_wrong_password_gives_a_clear_error(
    dovecot: DovecotServer, user: str, email_inbox: Inbox
) -> None:
    account = create_imap_account(dovecot, user=user, inbox=email_inbox, password="wrong")  # noqa: S106
    dovecot.append(user, make_raw_email())

    report = mailbox_poll(account=account)

    account.refresh_from_db()
    assert report.error == account.last_error
    assert account.last_error.startswith(f"Login failed for {user!r} on 127.0.0.1: ")
    assert "Check the user name and password" in account.last_error
    assert account.last_checked_at is not None
    assert not RawEmail.objects.exists()
    assert not ImapFolderState.objects.exists()


def test_connection_refused_gives_a_clear_error(
    dovecot: DovecotServer, account: ImapAccount
) -> None:
    from storedesk.mail.tests.dovecot import _free_port

    account.port = _free_port()  # nothing listens there

    assert imap_connection_test(account) == (
        f"Connection refused by 127.0.0.1:{account.port}. Is the server running and the port right?"
    )


@pytest.mark.parametrize("security", [ImapSecurity.TLS, ImapSecurity.STARTTLS])
def test_tls_mismatch_gives_a_clear_error(account: ImapAccount, security: str) -> None:
    account.security = security  # the test server speaks plain IMAP only

    error = imap_connection_test(account)

    assert error is not None
    assert "TLS" in error
    if security == ImapSecurity.TLS:
        assert "Is the security setting (TLS or STARTTLS) right for this port?" in error


hook_calls: list[str] = []


def oauth_token_for(account: ImapAccount) -> str:
    """The OAuth token hook the XOAUTH2 tests name by dotted path."""
    hook_calls.append(account.username)
    return "token-for-tests"


def broken_token_hook(account: ImapAccount) -> str:
    raise RuntimeError("refresh token revoked")


def test_oauth_hook_token_is_offered_with_xoauth2(account: ImapAccount) -> None:
    account.oauth_token_hook = f"{__name__}.oauth_token_for"
    hook_calls.clear()

    error = imap_connection_test(account)

    # The test server offers no XOAUTH2, so the attempt is refused, after asking the hook.
    assert hook_calls == [account.username]
    assert error is not None
    assert error.startswith(f"Login failed for {account.username!r} on 127.0.0.1: ")


def test_failing_oauth_hook_gives_a_clear_error(account: ImapAccount) -> None:
    account.oauth_token_hook = f"{__name__}.broken_token_hook"

    report = mailbox_poll(account=account)

    assert report.error == (
        f"The OAuth token hook '{__name__}.broken_token_hook' failed: refresh token revoked"
    )
    assert not RawEmail.objects.exists()


def test_connection_test_passes_for_a_working_account(account: ImapAccount) -> None:
    assert imap_connection_test(account) is None


def test_one_failing_account_does_not_stop_the_others(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    broken = create_imap_account(dovecot, user=user, inbox=account.inbox, password="wrong")  # noqa: S106
    dovecot.append(user, make_raw_email())

    reports = mailbox_poll_all()

    assert [(r.account_id, r.new, bool(r.error)) for r in reports] == [
        (account.pk, 1, False),
        (broken.pk, 0, True),
    ]


def test_scheduled_task_polls_active_accounts(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    dovecot.append(user, make_raw_email())

    result = mailbox_poll_all_task.enqueue()

    assert result.return_value == 1
    assert RawEmail.objects.get().source == IntakeSource.IMAP


# --- waiting and the command -----------------------------------------------------------------


def test_idle_wakes_when_mail_arrives(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    dovecot.connect(user).logout()  # creates the mailbox before IDLE selects it
    timer = threading.Timer(0.5, dovecot.append, args=(user, make_raw_email()))
    started = time.monotonic()
    timer.start()

    # Timeouts far beyond the assertion: returning early can only mean IDLE saw the mail,
    # even on a loaded machine.
    mailbox_wait(account=account, idle_seconds=120, poll_seconds=120, stop=threading.Event())

    timer.join()
    assert time.monotonic() - started < 60


def test_idle_stops_promptly_when_asked(account: ImapAccount) -> None:
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()

    mailbox_wait(account=account, idle_seconds=120, poll_seconds=120, stop=stop)

    assert time.monotonic() - started < 60


def test_fetch_mail_command_fetches_once(
    dovecot: DovecotServer, user: str, account: ImapAccount
) -> None:
    dovecot.append(user, make_raw_email())
    out = StringIO()

    call_command("fetch_mail", "--account", str(account.pk), stdout=out)

    assert out.getvalue() == f"{account}: 1 fetched, 1 new, 0 already stored\n"
    assert RawEmail.objects.count() == 1


def test_imap_error_text_strips_imaplib_bytes_repr(account: ImapAccount) -> None:
    from storedesk.mail.imap import imap_error_text

    text = imap_error_text(imaplib.IMAP4.error("b'[UNAVAILABLE] Try later.'"), account=account)

    assert text == f"The server 127.0.0.1:{account.port} refused: [UNAVAILABLE] Try later."
