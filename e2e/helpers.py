"""What browser tests build and do: data through the ORM (shared with the server), sign-in.

Imported by test modules after conftest.py has set Django up. Names are unique per call,
because all tests of a session share one database.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from playwright.sync_api import Page

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import PASSWORD, create_agent, create_team
from storedesk.conversations.models import Conversation
from storedesk.conversations.selectors import timeline_sequences_after
from storedesk.conversations.tests.factories import create_conversation
from storedesk.core.devmail import CapturedMail, captured_mail_list
from storedesk.customers.models import Customer
from storedesk.customers.services import magic_link_create
from storedesk.customers.tests.factories import create_customer
from storedesk.inboxes.enums import Channel
from storedesk.inboxes.models import Inbox
from storedesk.inboxes.tests.factories import create_inbox

_counter = itertools.count(1)


@dataclass(frozen=True)
class Desk:
    """A team with its own inbox and agents."""

    inbox: Inbox
    agents: list[User]


def create_desk(*, agent_names: Sequence[str]) -> Desk:
    suffix = uuid.uuid4().hex[:8]
    agents = [
        create_agent(username=f"{name.split()[0].lower()}-{suffix}", display_name=name)
        for name in agent_names
    ]
    team = create_team(name=f"Team {suffix}", members=agents)
    return Desk(inbox=create_inbox(team=team, name=f"Support {suffix}"), agents=agents)


def create_customer_conversation(*, inbox: Inbox, subject: str, text: str) -> Conversation:
    n = next(_counter)
    customer = create_customer(email=f"kim{n}-{uuid.uuid4().hex[:8]}@example.com", name="Kim Lee")
    return create_conversation(inbox=inbox, customer=customer, subject=subject, text=text)


def stored_sequences(conversation: Conversation) -> list[int]:
    """Every timeline sequence an agent sees, as stored (the server's side of the truth)."""
    return timeline_sequences_after(conversation=conversation, after=0)


def shown_sequences(page: Page) -> list[int]:
    """The timeline sequences the page shows, in page order."""
    values: list[str] = page.eval_on_selector_all(
        "#timeline [data-sequence]", "entries => entries.map(e => e.dataset.sequence)"
    )
    return [int(value) for value in values]


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def wait_for_htmx_idle(page: Page) -> None:
    """Until no htmx request or swap is under way (a control swapped in but not yet
    processed by htmx ignores a change made to it)."""
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def create_web_form_inbox(*, inbox: Inbox) -> Inbox:
    """A web-form inbox for `inbox`'s brand and team, so the brand's contact form works."""
    return create_inbox(
        brand=inbox.brand, team=inbox.team, name=f"Web form {uuid.uuid4().hex[:8]}",
        channel=Channel.WEB_FORM,
    )


def captured_mail(
    *, to: str, body_matching: re.Pattern[str] | None = None, timeout_seconds: float = 5.0
) -> CapturedMail:
    """The newest mail the server captured for `to` (its .eml files under DEVMAIL_DIR),
    whose body matches `body_matching` when given (other mail to the same customer, such as
    an agent's reply leaving the outbox, may arrive around it).

    The server writes the file before it answers, so this normally returns at once; the
    short poll only covers a slow file system.
    """
    deadline = time.monotonic() + timeout_seconds
    while True:
        for mail in captured_mail_list():
            matches = body_matching is None or body_matching.search(mail.body)
            if to.lower() in mail.to.lower() and matches:
                return mail
        if time.monotonic() > deadline:
            raise AssertionError(f"no mail captured for {to}")
        time.sleep(0.05)


def sign_in_customer(page: Page, customer: Customer) -> None:
    """Sign a customer in to the portal with a fresh magic link (no mail, no rate limit)."""
    token = magic_link_create(customer=customer)
    page.goto(f"/portal/signin/{token}/")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/portal/requests/")
