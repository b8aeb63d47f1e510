"""Email through the real server: a mail comes in over SMTP, the agent sees it live and
replies, the reply leaves through the outbox, the customer's answer threads back live.
And the admin screens: quarantine re-processing and the IMAP connection test."""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
import socket
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from helpers import captured_mail, create_desk, sign_in
from playwright.sync_api import BrowserContext, Page, expect

from storedesk.accounts.tests.factories import create_admin
from storedesk.conversations.models import Conversation
from storedesk.core.devmail import devmail_dir
from storedesk.inboxes.tests.factories import create_inbox
from storedesk.mail.enums import ImapSecurity, IntakeSource, RawEmailState
from storedesk.mail.intake import raw_email_process
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import ImapAccount, RawEmail

LIVE_TIMEOUT_MS = 15_000


def _send(port: int, *, sender: str, to: str, subject: str, body: str, **headers: str) -> str:
    """Deliver a mail to the server's SMTP receiver, as the shop's MTA would; its Message-ID."""
    message = EmailMessage()
    message["From"] = f"Kim Lee <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="customer.example")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message, from_addr=sender, to_addrs=[to])
    return str(message["Message-ID"])


def _open_live(context: BrowserContext, username: str, path: str) -> Page:
    page = context.new_page()
    sign_in(page, username)
    page.goto(path)
    page.wait_for_function("window.storedeskLive && window.storedeskLive.connected")
    page.evaluate("window.__sameDocument = true")  # survives only if never reloaded
    return page


def _captured_headers(to: str, body_matching: re.Pattern[str]) -> email.message.Message:
    """The headers of the mail the dev capture took for `to` (the outbox's real bytes)."""
    mail = captured_mail(to=to, body_matching=body_matching, timeout_seconds=20)
    raw = (devmail_dir() / mail.name).read_bytes()
    return email.message_from_bytes(raw, policy=email.policy.default)


def test_mail_in_reply_out_and_the_answer_threads_back_live(
    new_context: Callable[..., BrowserContext],
    live_smtp_port: int,
    screenshot: Callable[..., Path],
) -> None:
    desk = create_desk(agent_names=["Anna Berg"])
    address = desk.inbox.addresses.get().email
    customer = f"kim-{uuid.uuid4().hex[:8]}@example.com"
    subject = f"Parcel {uuid.uuid4().hex[:6]} never arrived"
    inbox = _open_live(new_context(), desk.agents[0].username, "/conversations/")

    _send(live_smtp_port, sender=customer, to=address, subject=subject, body="Order 1234.")

    row = inbox.locator("#conversation-list .conv-row", has_text=subject)
    expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert inbox.evaluate("window.__sameDocument") is True
    screenshot(inbox, "1-arrived")

    row.locator("a").first.click()
    inbox.wait_for_function("window.storedeskLive && window.storedeskLive.connected")
    inbox.evaluate("window.__sameDocument = true")
    expect(inbox.locator("#timeline")).to_contain_text("Order 1234.")
    inbox.locator("#reply-form [data-presence]").fill("It leaves our warehouse today.")
    inbox.locator("#reply-form button[type=submit]").click()
    expect(inbox.locator("#timeline")).to_contain_text("It leaves our warehouse today.")

    sent = _captured_headers(customer, re.compile("It leaves our warehouse today"))
    our_id, reply_to = str(sent["Message-ID"]), str(sent["Reply-To"])
    assert re.fullmatch(r"<[^<>@\s]+@[^<>\s]+>", our_id)
    assert "+" in reply_to  # the conversation's reply token

    _send(
        live_smtp_port,
        sender=customer,
        to=address,
        subject=f"Re: {subject}",
        body="Thanks, I will wait for it.",
        In_Reply_To=our_id,
        References=our_id,
    )

    expect(inbox.locator("#timeline")).to_contain_text(
        "Thanks, I will wait for it.", timeout=LIVE_TIMEOUT_MS
    )
    assert inbox.evaluate("window.__sameDocument") is True
    conversation = Conversation.objects.get(subject=subject)
    assert Conversation.objects.filter(customer=conversation.customer).count() == 1
    screenshot(inbox, "2-threaded")


def _quarantined_mail(subject: str, to: str) -> RawEmail:
    """Mail to an address no inbox has yet: intake quarantines it, with the reason."""
    raw = (
        f"From: Ivan <ivan-{uuid.uuid4().hex[:6]}@example.ru>\r\nTo: {to}\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{uuid.uuid4().hex}@example.ru>\r\n\r\n"
        "<b>Where</b> is my refund?\r\n"
    ).encode()
    raw_email = raw_email_receive(raw=raw, source=IntakeSource.IMPORT, recipients=[])
    raw_email_process(raw_email=raw_email)
    raw_email.refresh_from_db()
    assert raw_email.state == RawEmailState.QUARANTINED
    return raw_email


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_admin_reprocesses_quarantined_mail_and_tests_imap(
    page: Page, screenshot: Callable[..., Path]
) -> None:
    admin = create_admin(username=f"admin-{uuid.uuid4().hex[:8]}")
    inbox = create_inbox(name=f"Refunds {uuid.uuid4().hex[:6]}")
    lost_to = f"refunds-{uuid.uuid4().hex[:6]}@shop.example"
    subject = f"Refund {uuid.uuid4().hex[:6]}"
    raw_email = _quarantined_mail(subject, lost_to)
    sign_in(page, admin.username)

    page.goto("/conversations/")
    page.locator(".profile-summary").click()
    page.locator("[data-admin-link]").click()
    page.get_by_role("link", name=inbox.name).click()
    page.fill("#addresses input[name=email]", lost_to.upper())
    page.locator("#addresses button[type=submit]", has_text="Add address").click()
    expect(page.locator(f'#addresses [data-address="{lost_to.upper()}"]')).to_be_visible()
    page.fill("#addresses input[name=email]", lost_to)
    page.locator("#addresses button[type=submit]", has_text="Add address").click()
    expect(page.locator("#addresses .field-error")).to_contain_text("already belongs to the inbox")
    screenshot(page, "1-addresses")

    page.get_by_role("link", name="Quarantine").click()
    page.get_by_role("link", name=subject).click()
    expect(page.locator("[data-raw-source]")).to_contain_text("<b>Where</b> is my refund?")
    page.get_by_role("button", name="Re-process").click()
    result = page.locator("[data-reprocess-result]")
    expect(result).to_have_attribute("data-reprocess-result", "processed")
    expect(result).to_contain_text("Conversation #")
    screenshot(page, "2-reprocessed")
    raw_email.refresh_from_db()
    assert raw_email.state == RawEmailState.PROCESSED

    port = _closed_port()
    account = ImapAccount.objects.create(
        inbox=inbox,
        host="127.0.0.1",
        port=port,
        security=ImapSecurity.NONE,
        username="refunds",
        password="not-shown",
    )
    page.get_by_role("link", name="IMAP accounts").click()
    page.locator(f'[data-account="{account.pk}"] [data-imap-test]').click()
    error = page.locator(f'[data-account="{account.pk}"] [data-imap-test-result="error"]')
    expect(error).to_contain_text(f"Connection refused by 127.0.0.1:{port}.")
    assert "not-shown" not in page.content()
    screenshot(page, "3-imap-refused")


def test_admin_sets_business_hours_and_previews_an_auto_reply(
    page: Page, screenshot: Callable[..., Path]
) -> None:
    admin = create_admin(username=f"admin-{uuid.uuid4().hex[:8]}")
    inbox = create_inbox(name=f"Orders {uuid.uuid4().hex[:6]}")
    sign_in(page, admin.username)

    page.goto("/routing/hours/")
    brand = page.locator(f'[data-brand="{inbox.brand_id}"]')
    brand.get_by_role("link", name="New schedule").click()
    page.fill("input[name=name]", "Office")
    page.check("input[name=is_default]")
    page.fill("input[name=day_0]", "09:00-12:00, 13:00-17:00")
    page.fill("input[name=day_1]", "17:00-09:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".field--error")).to_contain_text(
        "the closing time is not after the opening time"
    )
    screenshot(page, "1-hours-error")
    page.fill("input[name=day_1]", "09:00-17:00")
    page.get_by_role("button", name="Save").click()
    expect(brand).to_contain_text("Monday 09:00-12:00")
    screenshot(page, "2-hours")

    page.goto(f"/mail/admin/templates/{inbox.pk}/sv/")
    page.fill("input[name=subject]", "Tack, {{ customer_name }}")
    page.fill("textarea[name=body]", "Ärende {{ number }}: svar senast {{ expected }}.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("[data-preview-subject]")).to_have_text("[#1042] Tack, Kim Lee")
    expect(page.locator("[data-preview-body]")).to_contain_text("Ärende 1042: svar senast ")
    screenshot(page, "3-preview")
