"""The admins' quarantine: list, raw source shown safely, re-process, recorded discard."""

from __future__ import annotations

import pytest
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.urls import reverse

from storedesk.conversations.models import Conversation
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.mail.enums import IntakeSource, RawEmailState
from storedesk.mail.intake import raw_email_process
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import RawEmail
from storedesk.mail.quarantine import SOURCE_SHOWN_BYTES
from storedesk.mail.tests.factories import make_raw_email

pytestmark = pytest.mark.django_db


def _quarantined(raw: bytes) -> RawEmail:
    """Mail to none of our addresses: intake quarantines it with the reason."""
    raw_email = raw_email_receive(raw=raw, source=IntakeSource.IMPORT, recipients=[])
    raw_email_process(raw_email=raw_email)
    raw_email.refresh_from_db()
    assert raw_email.state == RawEmailState.QUARANTINED
    return raw_email


def _lost_mail() -> RawEmail:
    return _quarantined(
        make_raw_email(
            from_="=?koi8-r?b?8NLJ18XU?= <ivan@example.ru>",
            to=["returns@shop.example"],
            subject="<script>alert(1)</script> parcel",
            body="<img src=x onerror=alert(2)>",
        )
    )


def test_agent_gets_not_found(email_inbox: Inbox, agent_client: Client) -> None:
    raw_email = _lost_mail()
    for url in (
        reverse("mail:admin_quarantine"),
        reverse("mail:admin_quarantine_detail", args=[raw_email.pk]),
    ):
        assert agent_client.get(url).status_code == 404
    for name in ("mail:admin_quarantine_reprocess", "mail:admin_quarantine_discard"):
        assert agent_client.post(reverse(name, args=[raw_email.pk])).status_code == 404
    raw_email.refresh_from_db()
    assert raw_email.state == RawEmailState.QUARANTINED


def test_list_shows_sender_subject_size_and_reason_escaped(
    email_inbox: Inbox, admin_client: Client
) -> None:
    raw_email = _lost_mail()

    page = admin_client.get(reverse("mail:admin_quarantine")).content.decode()

    assert "Привет &lt;ivan@example.ru&gt;" in page  # RFC 2047 in koi8-r, decoded
    assert "&lt;script&gt;alert(1)&lt;/script&gt; parcel" in page
    assert "<script>alert(1)" not in page
    assert "no recipient is one of our addresses" in page
    assert f'data-raw-email="{raw_email.pk}"' in page


def test_raw_source_is_shown_as_text(email_inbox: Inbox, admin_client: Client) -> None:
    raw_email = _lost_mail()

    page = admin_client.get(
        reverse("mail:admin_quarantine_detail", args=[raw_email.pk])
    ).content.decode()

    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "<img src=x" not in page
    assert f"Message-ID: &lt;{raw_email.header_message_id}&gt;" in page  # as it arrived


def test_reprocess_after_the_cause_is_fixed_opens_a_conversation(
    email_inbox: Inbox, admin_client: Client
) -> None:
    raw_email = _lost_mail()
    InboxAddress.objects.create(inbox=email_inbox, email="returns@shop.example")

    response = admin_client.post(reverse("mail:admin_quarantine_reprocess", args=[raw_email.pk]))

    conversation = Conversation.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-reprocess-result="processed"' in page
    assert reverse("conversations:detail", args=[conversation.number]) in page
    raw_email.refresh_from_db()
    assert (raw_email.state, raw_email.reason) == (RawEmailState.PROCESSED, "")


def test_reprocess_that_fails_again_says_why(email_inbox: Inbox, admin_client: Client) -> None:
    raw_email = _lost_mail()

    response = admin_client.post(reverse("mail:admin_quarantine_reprocess", args=[raw_email.pk]))

    page = response.content.decode()
    assert 'data-reprocess-result="quarantined"' in page
    assert "Still quarantined: no recipient is one of our addresses" in page
    assert not Conversation.objects.exists()


def test_discard_is_recorded_not_deleted(email_inbox: Inbox, admin_client: Client) -> None:
    raw_email = _lost_mail()

    response = admin_client.post(
        reverse("mail:admin_quarantine_discard", args=[raw_email.pk]), follow=True
    )

    raw_email.refresh_from_db()
    assert raw_email.state == RawEmailState.IGNORED
    assert raw_email.reason.startswith("discarded by admin at ")
    assert raw_email.reason.endswith("(was: no recipient is one of our addresses)")
    page = response.content.decode()
    assert "Mail discarded." in page
    assert "The quarantine is empty." in page
    # Discarding twice is not possible: it is no longer in quarantine.
    again = admin_client.post(reverse("mail:admin_quarantine_discard", args=[raw_email.pk]))
    assert again.status_code == 404


def _stored(raw: bytes) -> RawEmail:
    return RawEmail.objects.create(
        dedupe_key=f"raw:{len(raw)}-{raw[:8].hex()}",
        raw=raw,
        size=len(raw),
        source=IntakeSource.SMTP,
        envelope_from="bot@example.net",
        state=RawEmailState.QUARANTINED,
        reason="unparseable: no headers",
    )


def test_headerless_binary_mail_is_listed_with_its_envelope_sender(
    email_inbox: Inbox, admin_client: Client
) -> None:
    raw_email = _stored(b"\x00\xff\xfe<script>\r\n\r\n\x89PNG garbage")

    page = admin_client.get(reverse("mail:admin_quarantine")).content.decode()
    assert f'data-raw-email="{raw_email.pk}"' in page
    assert "bot@example.net" in page
    detail = admin_client.get(reverse("mail:admin_quarantine_detail", args=[raw_email.pk]))
    assert "\ufffd\ufffd&lt;script&gt;" in detail.content.decode()


def test_huge_mail_source_is_cut_and_says_how_much(
    email_inbox: Inbox, admin_client: Client
) -> None:
    head = b"From: a@example.com\r\nSubject: big\r\n\r\n"
    raw_email = _stored(head + b"x" * (SOURCE_SHOWN_BYTES + 1000))

    page = admin_client.get(
        reverse("mail:admin_quarantine_detail", args=[raw_email.pk])
    ).content.decode()

    assert f"{filesizeformat(len(head) + 1000)} more not shown." in page
    assert "x" * 1000 in page
