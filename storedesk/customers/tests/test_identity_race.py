"""Two writers creating the customer of one new address end with one customer."""

from __future__ import annotations

import threading
import time

import pytest
from django import db
from django.db import connection, transaction

from storedesk.customers.models import Customer, CustomerIdentity
from storedesk.customers.services import customer_email_arrived, customer_get_or_create_by_email


@pytest.mark.django_db
def test_a_writer_that_read_the_address_as_unknown_takes_the_existing_customer() -> None:
    """Mail intake reads a batch's senders first; another writer may create one meanwhile."""
    existing = customer_get_or_create_by_email(email="sam@example.net", name="Sam")

    with transaction.atomic():
        found = customer_email_arrived(
            email="sam@example.net", name="Samuel", read={"sam@example.net": None}
        )
        assert Customer.objects.count() == 1  # its own new row went again, in the transaction

    assert found.pk == existing.pk
    assert CustomerIdentity.objects.get(value="sam@example.net").customer_id == existing.pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent writers (SQLite's IMMEDIATE transactions serialise them whole)",
)
def test_the_second_of_two_concurrent_creators_waits_and_takes_the_firsts_customer() -> None:
    first_created, first_may_commit = threading.Event(), threading.Event()
    customers: dict[str, int] = {}

    def create(name: str, hold: bool) -> None:
        try:
            with transaction.atomic():
                customers[name] = customer_get_or_create_by_email(
                    email="kim@example.net", name=name
                ).pk
                if hold:
                    first_created.set()
                    first_may_commit.wait(10)
        finally:
            db.connection.close()

    first = threading.Thread(target=create, args=("first", True))
    first.start()
    assert first_created.wait(10)
    second = threading.Thread(target=create, args=("second", False))
    second.start()
    time.sleep(0.5)  # the second reads no identity, inserts one and waits on the first's
    assert "second" not in customers
    first_may_commit.set()
    first.join(20)
    second.join(20)

    assert customers["second"] == customers["first"]
    assert list(Customer.objects.values_list("name", flat=True)) == ["first"]
