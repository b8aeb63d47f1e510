"""`storedesk import_mail`: maildirs, mbox files and .eml folders through the one intake."""

from __future__ import annotations

import mailbox
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Model
from pytest_django.fixtures import Settings

from storedesk.conversations.models import Conversation, ConversationEvent, Message
from storedesk.core.tests.shared_data import shared_data_dir
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.mail.enums import IntakeSource, RawEmailKind, RawEmailState
from storedesk.mail.models import OutboundEmail, RawEmail, RawEmailDelivery
from storedesk.mail.tests.factories import make_raw_email

pytestmark = pytest.mark.django_db

REAL_FILES = (
    "charsets/flanker-bilingual-simple.eml",  # a personal mail: a new conversation
    "autoreply/sisimai-rfc3834-01.eml",  # an out-of-office reply: a new conversation
    "bounce/flanker-bounce-no-mx.eml",
    "malformed/flanker-no-ctype.eml",  # broken but usable: a new conversation
)
COUNTED_MODELS: tuple[type[Model], ...] = (
    RawEmail,
    RawEmailDelivery,
    Conversation,
    Message,
    ConversationEvent,
    Customer,
    OutboundEmail,
)
REQUEST_ID = "<request-1@customer.example>"


def _maildir(root: Path) -> Path:
    """A maildir with the new request (in new/) and an auto-reply (in cur/)."""
    box = mailbox.Maildir(root / "Maildir", create=True)
    box.add(make_raw_email(message_id=REQUEST_ID, subject="Parcel missing"))
    reply = mailbox.MaildirMessage(
        make_raw_email(
            from_="Robin <robin@example.org>",
            subject="Out of office",
            body="I am away until Monday.",
            headers=[("Auto-Submitted", "auto-replied")],
        )
    )
    reply.set_subdir("cur")
    box.add(reply)
    return root / "Maildir"


def _mbox(root: Path) -> Path:
    """An mbox with the customer's reply to the request, a bounce and a mail without sender."""
    path = root / "archive.mbox"
    box = mailbox.mbox(path, create=True)
    box.add(make_raw_email(in_reply_to=REQUEST_ID, subject="Re: Parcel missing", body="Any news?"))
    box.add(
        make_raw_email(
            from_="MAILER-DAEMON@mx.example.net",
            subject="Undelivered Mail Returned to Sender",
            body="Your message could not be delivered: 550 5.1.1 user unknown",
        )
    )
    box.add(b"Subject: who sent this?\nMessage-ID: <anonymous-1@example.net>\n\nNo From.\n")
    box.flush()
    box.close()
    return path


def _eml_folder(root: Path) -> Path:
    """Nested .eml files: real ones from the shared corpus, a malformed one, a broken link."""
    folder = root / "export"
    (folder / "nested").mkdir(parents=True)
    for index, name in enumerate(REAL_FILES):
        target = folder / ("nested" if index % 2 else "") / f"{index}-{Path(name).name}"
        target.write_bytes((shared_data_dir() / "emails" / name).read_bytes())
    (folder / "nested" / "malformed.eml").write_bytes(b"garbage without any header lines")
    (folder / "notes.txt").write_text("not mail, ignored")
    (folder / "gone.eml").symlink_to(folder / "missing-target.eml")
    return folder


@pytest.fixture
def paths(tmp_path: Path) -> list[str]:
    return [str(_maildir(tmp_path)), str(_mbox(tmp_path)), str(_eml_folder(tmp_path))]


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_mail", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _row_counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in COUNTED_MODELS}


def _summary(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("  ")]


FIRST_RUN = [
    "  conversations created:   5",
    "  replies threaded:        1",
    "  duplicates skipped:      0",
    "  auto-replies recognised: 2 (kept as messages, counted above)",
    "  bounces recognised:      2",
    "  quarantined:             2",
    "    1 x no sender address",
    "    1 x unparseable: no headers found",
    "  unreadable, skipped:     1",
]


def test_imports_every_kind_of_source(email_inbox: Inbox, paths: list[str]) -> None:
    out, err = _run("--inbox", "Support@Shop.example", *paths)

    assert _summary(out)[:-1] == FIRST_RUN[:-1] + ["  unreadable, skipped:     1"]
    assert out.startswith("Read 11 messages in ")
    gone = str(Path(paths[2]) / "gone.eml")
    assert _summary(out)[-1] == f"    {gone}: No such file or directory"
    assert err == f"Skipped {gone}: No such file or directory\n"
    assert RawEmail.objects.filter(source=IntakeSource.IMPORT).count() == 10
    assert RawEmail.objects.filter(state=RawEmailState.RECEIVED).count() == 0
    assert RawEmail.objects.filter(kind=RawEmailKind.BOUNCE).count() == 2
    assert Conversation.objects.filter(inbox=email_inbox).count() == 5
    request = Message.objects.get(channel_metadata__message_id=REQUEST_ID.strip("<>"))
    assert request.conversation.messages.count() == 2


def test_second_run_creates_nothing(email_inbox: Inbox, paths: list[str]) -> None:
    _run("--inbox", "support@shop.example", *paths)
    before = _row_counts()

    out, _ = _run("--inbox", "support@shop.example", *paths)

    assert _row_counts() == before
    assert _summary(out)[:7] == [
        "  conversations created:   0",
        "  replies threaded:        0",
        "  duplicates skipped:      10",
        "  auto-replies recognised: 0 (kept as messages, counted above)",
        "  bounces recognised:      0",
        "  quarantined:             0",
        "  unreadable, skipped:     1",
    ]


def test_unknown_inbox_lists_the_addresses(email_inbox: Inbox, paths: list[str]) -> None:
    InboxAddress.objects.create(inbox=email_inbox, email="help@shop.example")
    before = _row_counts()

    with pytest.raises(CommandError) as raised:
        _run("--inbox", "sales@shop.example", *paths)

    assert str(raised.value) == (
        "sales@shop.example is not an inbox address. Inbox addresses:\n"
        "  help@shop.example\n"
        "  support@shop.example"
    )
    assert _row_counts() == before


def test_missing_path_is_a_usage_error(email_inbox: Inbox, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file or directory: .*nowhere"):
        _run("--inbox", "support@shop.example", str(tmp_path / "nowhere"))

    assert RawEmail.objects.count() == 0


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def test_draws_a_bar_on_a_terminal(email_inbox: Inbox, tmp_path: Path) -> None:
    out = _Terminal()

    call_command("import_mail", "--inbox", "support@shop.example", str(_mbox(tmp_path)), stdout=out)

    bar, summary = out.getvalue().split("\n", 1)
    assert bar.startswith("\r[")
    assert bar.endswith(f"] 3/3  {bar.rsplit('  ', 1)[1]}")
    assert bar.rsplit("  ", 1)[1].endswith(" msg/s")
    assert summary.startswith("Read 3 messages in ")


def test_sends_no_acknowledgements(email_inbox: Inbox, paths: list[str]) -> None:
    _run("--inbox", "support@shop.example", *paths)

    assert OutboundEmail.objects.count() == 0


def test_skips_a_message_over_the_size_limit(
    email_inbox: Inbox, tmp_path: Path, settings: Settings
) -> None:
    settings.MAIL_MAX_MESSAGE_BYTES = 2000
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "small.eml").write_bytes(make_raw_email(body="short"))
    (folder / "large.eml").write_bytes(make_raw_email(body="long " * 1000))

    out, err = _run("--inbox", "support@shop.example", str(folder))

    assert "  conversations created:   1" in _summary(out)
    assert (
        err == f"Skipped {folder / 'large.eml'}: larger than the 2000 byte limit for one message\n"
    )
    assert RawEmail.objects.count() == 1
