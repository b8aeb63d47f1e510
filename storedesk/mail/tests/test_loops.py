"""automatic_kind and bounce_details over the shared corpus and generated headers."""

from __future__ import annotations

from pathlib import Path

import pytest

from storedesk.core.tests.shared_data import shared_data_dir, shared_data_files
from storedesk.mail.enums import RawEmailKind
from storedesk.mail.loops import Bounce, automatic_kind, bounce_details
from storedesk.mail.mime import ParsedEmail, parse_email


def parse_file(folder: str, name: str) -> ParsedEmail:
    return parse_email((shared_data_dir() / "emails" / folder / name).read_bytes())


@pytest.mark.parametrize("path", shared_data_files("emails/autoreply"))
def test_corpus_auto_replies(path: Path) -> None:
    parsed = parse_email(path.read_bytes())

    assert automatic_kind(parsed) == RawEmailKind.AUTO_REPLY
    assert bounce_details(parsed) is None


BOUNCES = {
    "flanker-bounce-delayed.eml": Bounce(
        recipient="foo@example.com",
        status="4.0.0",
        action="failed",
        diagnostic="426 connection timed out",
        original_message_id="",
        is_permanent=False,  # a 4.x.x status is transient even when the MTA gave up
    ),
    "flanker-bounce-mailbox-full.eml": Bounce(
        recipient="user@aol.com",
        status="5.2.2",
        action="failed",
        diagnostic="552 5.2.2 E4.12 user MAILBOX FULL",
        original_message_id="4E326A95.3010907@example.com",
        is_permanent=True,
    ),
    "flanker-bounce-no-mx.eml": Bounce(
        recipient="user@example.com",
        status="4.4.4",
        action="delayed",
        diagnostic="454 4.4.4 [internal] no MX or A for domain",
        original_message_id="19E44CA63F984902B7D654F8FF40F89D@bo",
        is_permanent=False,
    ),
    "sisimai-lhost-exim-01.eml": Bounce(
        recipient="kijitora@example.ed.jp",
        status="5.7.0",
        action="failed",
        diagnostic=(
            "host mx.example.jp [192.0.2.20]: 550 5.7.0 <shironeko@example.jp>... "
            "Please use the smtp server of your ISP."
        ),
        original_message_id="E1P1ce6-000Egt-GZ@e1.example.org",
        is_permanent=True,
    ),
    "sisimai-lhost-gmail-01.eml": Bounce(
        recipient="userunknown@example.jp",
        status="5.1.1",
        action="failed",
        diagnostic="550 5.1.1 <userunknown@example.jp>... User Unknown",
        original_message_id="D992C2C3-F175-4C4D-97E2-53A90E4E5BF5@gmail.com",
        is_permanent=True,
    ),
    "sisimai-lhost-office365-01.eml": Bounce(
        recipient="kijitora@example.com",
        status="5.1.10",
        action="failed",
        diagnostic=(
            "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
            "Recipient not found by SMTP address lookup"
        ),
        original_message_id="FFFFFFFF.EEEEEEEE@example.ed.jp",
        is_permanent=True,
    ),
    # Original-Recipient (what we sent to) rather than the alias it expanded to.
    "sisimai-lhost-postfix-01.eml": Bounce(
        recipient="kijitora@example.org",
        status="5.1.1",
        action="failed",
        diagnostic=(
            'procmail: Couldn\'t create "/var/spool/mail/neko" id: r.example.org: No such user'
        ),
        original_message_id="",
        is_permanent=True,
    ),
    "sisimai-rfc3464-01.eml": Bounce(
        recipient="userunknown@bouncehammer.jp",
        status="5.1.1",
        action="failed",
        diagnostic="550 5.1.1 <userunknown@bouncehammer.jp>... User Unknown",
        original_message_id="E1C50F1B-1C83-4820-BC36-AC6FBFBE8568@example.org",
        is_permanent=True,
    ),
}


@pytest.mark.parametrize(("name", "expected"), BOUNCES.items(), ids=list(BOUNCES))
def test_corpus_bounces(name: str, expected: Bounce) -> None:
    parsed = parse_file("bounce", name)

    assert automatic_kind(parsed) == RawEmailKind.BOUNCE
    assert bounce_details(parsed) == expected


def test_every_bounce_file_is_covered() -> None:
    names = {path.name for path in (shared_data_dir() / "emails" / "bounce").glob("*.eml")}

    assert names == {*BOUNCES, "sisimai-arf-01.eml", "sisimai-is-not-bounce-01.eml"}


def test_malformed_dsn_is_a_transient_bounce() -> None:
    parsed = parse_file("malformed", "mail-parser-mail_malformed_2.eml")

    assert automatic_kind(parsed) == RawEmailKind.BOUNCE
    bounce = bounce_details(parsed)
    assert bounce is not None
    assert (bounce.recipient, bounce.status, bounce.is_permanent) == (
        "abh@netpar.com.br",
        "4.2.2",
        False,
    )
    assert bounce.original_message_id == "004801d1fc84$01c934ac$b247f0b7$@infospacemail.com"


def test_abuse_report_is_automatic_but_not_a_bounce() -> None:
    # An ARF complaint says a recipient objected, not that an address failed: no
    # conversation, no auto-reply, and no address flagged as bouncing.
    parsed = parse_file("bounce", "sisimai-arf-01.eml")

    assert automatic_kind(parsed) == RawEmailKind.AUTO_REPLY
    assert bounce_details(parsed) is None
    assert "Feedback-Type: abuse" in parsed.feedback_report


def test_not_a_bounce() -> None:
    parsed = parse_file("bounce", "sisimai-is-not-bounce-01.eml")

    assert automatic_kind(parsed) is None
    assert bounce_details(parsed) is None


def message(
    *headers: str, sender: str = "anna@customer.example", body: str = "Hello"
) -> ParsedEmail:
    head = "\r\n".join([f"From: {sender}", "To: support@shop.example", "Subject: Hi", *headers])
    return parse_email(f"{head}\r\n\r\n{body}\r\n".encode())


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: auto-replied; owner-email=x@y.example",
        "Precedence: bulk",
        "Precedence: junk",
        "Precedence: list",
        "Precedence: auto_reply",
        "List-Id: News <news.shop.example>",
        "List-Unsubscribe: <mailto:leave@list.example>",
        "X-Auto-Response-Suppress: All",
        "X-Autoreply: yes",
        "X-Autorespond: Out of office",
        "X-Autoresponder: true",
        "X-Apple-Action: VACATION",
        "X-Mailer: Unix Vacation 1.2",
        "Return-Path: <>",
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=x",
    ],
)
def test_automatic_headers(header: str) -> None:
    assert automatic_kind(message(header)) == RawEmailKind.AUTO_REPLY


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example", "postmaster@customer.example"])
def test_machine_senders(sender: str) -> None:
    assert automatic_kind(message(sender=sender)) == RawEmailKind.AUTO_REPLY


@pytest.mark.parametrize(
    "header", ["Auto-Submitted: no", "Precedence: first-class", "X-Mailer: Thunderbird 128"]
)
def test_personal_mail(header: str) -> None:
    assert automatic_kind(message(header)) is None


def test_our_own_addresses_and_message_ids() -> None:
    from_us = message(sender="Support <Support@Shop.example>")
    our_id = message("Message-ID: <abc.123@storedesk.invalid>")

    assert (
        automatic_kind(from_us, our_addresses=["support@shop.example"]) == RawEmailKind.AUTO_REPLY
    )
    assert automatic_kind(from_us) is None
    assert (
        automatic_kind(our_id, our_message_id_domain="storedesk.invalid") == RawEmailKind.AUTO_REPLY
    )
    assert automatic_kind(our_id, our_message_id_domain="other.invalid") is None


def test_qmail_text_bounce() -> None:
    body = (
        "Hi. This is the qmail-send program at mx.customer.example.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<nobody@customer.example>:\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\n"
        "Message-ID: <reply-7@storedesk.invalid>\nSubject: Your order\n"
    )
    parsed = parse_email(
        b"From: MAILER-DAEMON@mx.customer.example\r\nSubject: failure notice\r\n"
        b"Return-Path: <>\r\n\r\n" + body.encode()
    )

    assert automatic_kind(parsed) == RawEmailKind.BOUNCE
    assert bounce_details(parsed) == Bounce(
        recipient="nobody@customer.example",
        status="5.1.1",
        action="failed",
        diagnostic="Sorry, no mailbox here by that name. (#5.1.1)",
        original_message_id="reply-7@storedesk.invalid",
        is_permanent=True,
    )
