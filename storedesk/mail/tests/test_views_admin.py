"""The admins' IMAP-account and auto-reply screens, the IMAP test against a real Dovecot."""

from __future__ import annotations

import socket
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from storedesk.inboxes.models import Inbox
from storedesk.mail.enums import ImapSecurity
from storedesk.mail.models import ImapAccount
from storedesk.mail.tests.dovecot import PASSWORD, DovecotServer
from storedesk.mail.tests.factories import create_imap_account
from storedesk.routing.models import AutoReplyTemplate

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _account_data(inbox: Inbox, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "inbox": inbox.pk,
        "host": "imap.shop.example",
        "port": 993,
        "security": ImapSecurity.TLS,
        "username": "support@shop.example",
        "password": "s3cret-Pässword",
        "folders": "INBOX\nWeb Shop\nINBOX",
        "is_active": "on",
    }
    data.update(changes)
    return data


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed again: nothing listens there now


def test_agent_gets_not_found(email_inbox: Inbox, agent_client: Client) -> None:
    account = ImapAccount.objects.create(inbox=email_inbox, host="h", username="u", password="p")
    pages = [
        reverse("mail:admin_imap_list"),
        reverse("mail:admin_imap_new"),
        reverse("mail:admin_imap_edit", args=[account.pk]),
        reverse("mail:admin_templates"),
        reverse("mail:admin_template_edit", args=[email_inbox.pk, "en"]),
    ]
    for url in pages:
        assert agent_client.get(url).status_code == 404
    assert agent_client.post(reverse("mail:admin_imap_test", args=[account.pk])).status_code == 404
    response = agent_client.post(
        _template_url(email_inbox), {"subject": "x", "body": "{{ number }}"}
    )
    assert response.status_code == 404
    assert not AutoReplyTemplate.objects.exists()


def test_admin_creates_an_account_and_the_password_is_never_shown(
    email_inbox: Inbox, admin_client: Client
) -> None:
    response = admin_client.post(reverse("mail:admin_imap_new"), _account_data(email_inbox))

    account = ImapAccount.objects.get()
    assert response.status_code == 302
    assert (account.host, account.folders, account.password) == (
        "imap.shop.example",
        ["INBOX", "Web Shop"],
        "s3cret-Pässword",
    )
    for url in (
        reverse("mail:admin_imap_edit", args=[account.pk]),
        reverse("mail:admin_imap_list"),
    ):
        assert "s3cret" not in admin_client.get(url).content.decode()


def test_empty_password_keeps_the_stored_one(email_inbox: Inbox, admin_client: Client) -> None:
    account = ImapAccount.objects.create(
        inbox=email_inbox, host="old.example", username="u", password="kept"
    )
    url = reverse("mail:admin_imap_edit", args=[account.pk])

    admin_client.post(url, _account_data(email_inbox, password="", host="new.example"))

    account.refresh_from_db()
    assert (account.host, account.password) == ("new.example", "kept")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"password": ""}, "Enter the password."),
        ({"host": "imap.example.com/x"}, "Enter a host name such as imap.example.com."),
        ({"port": 70000}, "Ensure this value is less than or equal to 65535."),
        ({"security": "ssl3"}, "Select a valid choice. ssl3 is not one of the available choices."),
    ],
)
def test_invalid_account_is_explained_and_not_saved(
    email_inbox: Inbox, admin_client: Client, changes: dict[str, object], error: str
) -> None:
    data = _account_data(email_inbox, **changes)
    response = admin_client.post(reverse("mail:admin_imap_new"), data)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert not ImapAccount.objects.exists()


# --- the connection test, against real servers -----------------------------------------------


def _test_connection(admin_client: Client, account: ImapAccount) -> str:
    response = admin_client.post(reverse("mail:admin_imap_test", args=[account.pk]), headers=HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _user() -> str:
    return f"shop-{uuid.uuid4().hex[:12]}"


def test_connection_test_succeeds(
    dovecot: DovecotServer,
    email_inbox: Inbox,
    admin_client: Client,
) -> None:
    account = create_imap_account(dovecot, user=_user(), inbox=email_inbox)
    page = _test_connection(admin_client, account)
    assert 'data-imap-test-result="ok"' in page
    assert "Connected, logged in and opened INBOX." in page


def test_connection_test_reports_a_wrong_password(
    dovecot: DovecotServer,
    email_inbox: Inbox,
    admin_client: Client,
) -> None:
    account = create_imap_account(dovecot, user=_user(), inbox=email_inbox, password=PASSWORD + "x")
    page = _test_connection(admin_client, account)
    assert 'data-imap-test-result="error"' in page
    assert "Login failed for" in page
    assert "Check the user name and password" in page


def test_connection_test_reports_a_missing_folder(
    dovecot: DovecotServer,
    email_inbox: Inbox,
    admin_client: Client,
) -> None:
    account = create_imap_account(dovecot, user=_user(), inbox=email_inbox, folders=["Nowhere"])
    assert "Cannot open folder &#x27;Nowhere&#x27;" in _test_connection(admin_client, account)


def test_connection_test_reports_tls_on_a_plain_port(
    dovecot: DovecotServer,
    email_inbox: Inbox,
    admin_client: Client,
) -> None:
    account = create_imap_account(
        dovecot, user=_user(), inbox=email_inbox, security=ImapSecurity.TLS
    )
    page = _test_connection(admin_client, account)
    assert f"TLS with 127.0.0.1:{dovecot.port} failed" in page


def test_connection_test_reports_a_refused_connection(
    email_inbox: Inbox, admin_client: Client
) -> None:
    port = _closed_port()
    account = ImapAccount.objects.create(
        inbox=email_inbox,
        host="127.0.0.1",
        port=port,
        security=ImapSecurity.NONE,
        username="u",
        password="p",
    )
    page = _test_connection(admin_client, account)
    assert f"Connection refused by 127.0.0.1:{port}." in page


def test_connection_test_reports_an_unknown_host(email_inbox: Inbox, admin_client: Client) -> None:
    # .invalid never resolves (RFC 2606).
    account = ImapAccount.objects.create(
        inbox=email_inbox, host="imap.storedesk.invalid", username="u", password="p"
    )
    assert "Unknown host &#x27;imap.storedesk.invalid&#x27;" in _test_connection(
        admin_client, account
    )


# --- auto-reply texts ------------------------------------------------------------------------


def _template_url(inbox: Inbox, language: str = "en") -> str:
    return reverse("mail:admin_template_edit", args=[inbox.pk, language])


def test_built_in_text_is_offered_with_placeholders_and_previewed(
    email_inbox: Inbox, admin_client: Client
) -> None:
    page = admin_client.get(_template_url(email_inbox, "sv")).content.decode()
    assert "{{ number }}" in page  # the editable text keeps placeholders
    assert "data-preview-body" in page
    assert "1042" in page


def test_preview_fills_the_typed_text_and_saves_nothing(
    email_inbox: Inbox, admin_client: Client
) -> None:
    body = "Hi {{ customer_name }}, case {{ number }} of {{brand}}. {{ unknown }} {% load x %}"
    response = admin_client.post(
        _template_url(email_inbox), {"subject": "Got it", "body": body, "preview": "1"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    brand = email_inbox.brand.name
    assert f"Hi Kim Lee, case 1042 of {brand}. {{{{ unknown }}}} {{% load x %}}" in page
    assert "[#1042] Got it" in page
    assert not AutoReplyTemplate.objects.exists()


def test_saved_text_is_used_then_reset(email_inbox: Inbox, admin_client: Client) -> None:
    url = _template_url(email_inbox, "ru")
    admin_client.post(url, {"subject": "Получено", "body": "Номер {{ number }}"})

    template = AutoReplyTemplate.objects.get()
    assert (template.inbox, template.language, template.body) == (
        email_inbox,
        "ru",
        "Номер {{ number }}",
    )
    listing = admin_client.get(reverse("mail:admin_templates")).content.decode()
    assert "Own text" in listing

    admin_client.post(url, {"reset": "1"})
    assert not AutoReplyTemplate.objects.exists()


def test_text_without_the_number_is_refused(email_inbox: Inbox, admin_client: Client) -> None:
    response = admin_client.post(_template_url(email_inbox), {"subject": "Hi", "body": "Thanks!"})
    assert response.status_code == 422
    assert "Keep {{ number }} in the text" in response.content.decode()
    assert not AutoReplyTemplate.objects.exists()


def test_unknown_language_is_not_found(email_inbox: Inbox, admin_client: Client) -> None:
    assert admin_client.get(_template_url(email_inbox, "de")).status_code == 404
