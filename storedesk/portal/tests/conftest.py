"""Portal test actors: a brand with a web-form inbox and a signed-in customer's client."""

from __future__ import annotations

import pytest
from django.test import Client

from storedesk.brands.models import Brand
from storedesk.brands.tests.factories import create_brand
from storedesk.customers.models import Customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox


@pytest.fixture
def brand(db: None) -> Brand:
    return create_brand(name="Lamp Shop", accent_color="#0f766e")


@pytest.fixture
def web_form_inbox(brand: Brand) -> Inbox:
    return create_inbox(brand=brand, name="Contact form", channel=Channel.WEB_FORM)


def client_for(customer: Customer) -> Client:
    client = Client()
    session = client.session
    session["portal_customer_id"] = customer.pk
    session.save()
    return client


@pytest.fixture
def customer_client(customer: Customer) -> Client:
    return client_for(customer)
