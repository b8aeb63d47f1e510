"""The admins' inbox and address screens: who may see them, validation, the writes."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from storedesk.brands.tests.factories import create_brand
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.inboxes.tests.factories import create_inbox

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def _pages(inbox: Inbox) -> list[str]:
    return [
        reverse("inboxes:list"),
        reverse("inboxes:new"),
        reverse("inboxes:edit", args=[inbox.pk]),
    ]


def test_agent_gets_not_found_and_changes_nothing(email_inbox: Inbox, agent_client: Client) -> None:
    for url in _pages(email_inbox):
        assert agent_client.get(url).status_code == 404
    address = email_inbox.addresses.get()
    for url in (
        reverse("inboxes:address_add", args=[email_inbox.pk]),
        reverse("inboxes:address_remove", args=[address.pk]),
    ):
        assert agent_client.post(url, {"email": "new@shop.example"}).status_code == 404
    assert list(InboxAddress.objects.values_list("email", flat=True)) == ["support@shop.example"]


def test_signed_out_visitor_is_sent_to_sign_in(email_inbox: Inbox, client: Client) -> None:
    response = client.get(reverse("inboxes:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_admin_sees_every_page(email_inbox: Inbox, admin_client: Client) -> None:
    for url in _pages(email_inbox):
        assert admin_client.get(url).status_code == 200
    assert "support@shop.example" in admin_client.get(reverse("inboxes:list")).content.decode()


def test_admin_creates_an_inbox(admin_client: Client) -> None:
    brand = create_brand()
    response = admin_client.post(
        reverse("inboxes:new"),
        {
            "brand": brand.pk,
            "channel": Channel.EMAIL,
            "name": "  Billing ",
            "signature": "The billing team",
            "languages": ["en", "sv"],
            "is_active": "on",
        },
    )
    inbox = Inbox.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inboxes:edit", args=[inbox.pk])
    assert (inbox.name, inbox.brand, inbox.languages, inbox.is_active) == (
        "Billing",
        brand,
        ["en", "sv"],
        True,
    )


def test_invalid_inbox_form_shows_errors_and_creates_nothing(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("inboxes:new"), {"brand": "999", "channel": "fax", "name": " ", "languages": []}
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "Choose at least one language." in page
    assert "Select a valid choice. fax is not one of the available choices." in page
    assert Inbox.objects.count() == 0


def test_admin_edits_an_inbox(email_inbox: Inbox, admin_client: Client) -> None:
    response = admin_client.post(
        reverse("inboxes:edit", args=[email_inbox.pk]),
        {"name": "Help", "signature": "— Shop", "languages": ["ru"]},
    )
    email_inbox.refresh_from_db()
    assert response.status_code == 302
    assert (email_inbox.name, email_inbox.signature, email_inbox.languages) == (
        "Help",
        "— Shop",
        ["ru"],
    )
    assert email_inbox.is_active is False  # an unticked box


def test_alias_added_and_made_primary(email_inbox: Inbox, admin_client: Client) -> None:
    url = reverse("inboxes:address_add", args=[email_inbox.pk])
    response = admin_client.post(url, {"email": " Help@Shop.example "}, headers=HTMX)
    assert response.status_code == 200
    alias = InboxAddress.objects.get(email="Help@Shop.example")
    assert alias.is_primary is False

    admin_client.post(reverse("inboxes:address_primary", args=[alias.pk]), headers=HTMX)

    primaries = InboxAddress.objects.filter(is_primary=True).values_list("email", flat=True)
    assert list(primaries) == ["Help@Shop.example"]


@pytest.mark.parametrize("typed", ["support@shop.example", "SUPPORT@shop.EXAMPLE"])
def test_taken_address_names_its_inbox(
    email_inbox: Inbox, admin_client: Client, typed: str
) -> None:
    other = create_inbox(brand=email_inbox.brand, name="Sales", address="sales@shop.example")
    url = reverse("inboxes:address_add", args=[other.pk])

    response = admin_client.post(url, {"email": typed}, headers=HTMX)

    assert response.status_code == 422
    assert (
        "The address support@shop.example already belongs to the inbox" in response.content.decode()
    )
    assert InboxAddress.objects.count() == 2


def test_taken_address_without_htmx_renders_the_page(
    email_inbox: Inbox, admin_client: Client
) -> None:
    other = create_inbox(brand=email_inbox.brand, name="Sales", address="sales@shop.example")
    response = admin_client.post(
        reverse("inboxes:address_add", args=[other.pk]), {"email": "support@shop.example"}
    )
    assert response.status_code == 422
    assert "already belongs to the inbox" in response.content.decode()


@pytest.mark.parametrize("typed", ["not an address", "a@b@c", "<script>@x.example", ""])
def test_malformed_address_is_refused(email_inbox: Inbox, admin_client: Client, typed: str) -> None:
    url = reverse("inboxes:address_add", args=[email_inbox.pk])
    response = admin_client.post(url, {"email": typed}, headers=HTMX)
    assert response.status_code == 422
    assert "<script>@" not in response.content.decode()
    assert InboxAddress.objects.count() == 1


def test_last_address_of_an_active_inbox_stays(email_inbox: Inbox, admin_client: Client) -> None:
    address = email_inbox.addresses.get()
    response = admin_client.post(reverse("inboxes:address_remove", args=[address.pk]), headers=HTMX)
    assert response.status_code == 422
    assert "needs at least one address" in response.content.decode()
    assert InboxAddress.objects.filter(pk=address.pk).exists()


def test_removing_the_primary_promotes_an_alias(email_inbox: Inbox, admin_client: Client) -> None:
    primary = email_inbox.addresses.get()
    admin_client.post(
        reverse("inboxes:address_add", args=[email_inbox.pk]), {"email": "help@shop.example"}
    )
    response = admin_client.post(reverse("inboxes:address_remove", args=[primary.pk]))
    assert response.status_code == 302
    assert list(InboxAddress.objects.values_list("email", "is_primary")) == [
        ("help@shop.example", True)
    ]
