from __future__ import annotations

import pytest
from django.core.mail import send_mail
from django.test import Client, override_settings
from django.urls import reverse

from storedesk.core.devmail import captured_mail_list


@override_settings(EMAIL_BACKEND="storedesk.core.devmail.CaptureEmailBackend")
def test_devmail_lists_and_shows_captured_mail() -> None:
    send_mail(
        "Your sign-in link", "Open http://127.0.0.1:8000/portal/signin/abc/ to sign in.",
        "desk@shop.example", ["kim@example.com"],
    )
    (captured,) = captured_mail_list()

    listing = Client().get(reverse("core:devmail"))
    detail = Client().get(reverse("core:devmail_detail", kwargs={"name": captured.name}))

    assert listing.status_code == 200
    assert "Your sign-in link" in listing.content.decode()
    assert "kim@example.com" in listing.content.decode()
    assert detail.status_code == 200
    assert '<a href="http://127.0.0.1:8000/portal/signin/abc/"' in detail.content.decode()


@pytest.mark.parametrize("name", ["missing.eml", "..%2Fsecret_key"])
def test_devmail_unknown_message_is_404(name: str) -> None:
    assert Client().get(f"/dev/mail/{name}/").status_code == 404
