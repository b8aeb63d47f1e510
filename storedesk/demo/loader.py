"""`demo_load`: the whole demo world, loaded through the services, safe to run again.

Idempotency: stores, teams, agents, inboxes and customers are found by natural keys, and
each planned conversation by the demo key its first message carries in
channel_metadata. A conversation is created in one transaction, so a run that was
interrupted leaves whole conversations behind, and the next run adds only the missing
ones (the plan does not depend on the database, so they come out the same).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Min
from django.test.utils import override_settings
from django.utils import timezone

from storedesk.brands.models import Brand
from storedesk.chat.services import chat_widget_ensure
from storedesk.chat.views.pages import DEMO_WIDGET_KEY
from storedesk.customers.models import Customer
from storedesk.demo.knowledge import knowledge_load
from storedesk.demo.people import customers_build
from storedesk.demo.plan import DEMO_CONVERSATION_COUNT, demo_plan
from storedesk.demo.play import Cast, demo_keys_loaded, plan_play
from storedesk.demo.world import world_build
from storedesk.knowledge.models import ArticleTranslation
from storedesk.knowledge.search.semantic import embedding_schedule

# While loading, reply deliveries go to the in-memory dummy backend: the demo's replies
# were "sent" weeks ago, so nobody is mailed and no task rows are left in the queue.
QUIET_TASKS = {
    "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
}
# And no live updates: a bulk load of weeks-old history is not news for open agent pages
# (with Redis, thousands of events would reach them), and publishing costs a third of the
# load time. Without a configured layer, core.realtime.publish_now does nothing.
QUIET_CHANNEL_LAYERS: dict[str, object] = {}


@dataclass(frozen=True)
class DemoSummary:
    brands: int
    inboxes: int
    agents: int
    teams: int
    customers: int
    conversations_created: int
    conversations_total: int
    seconds: float

    def describe(self) -> str:
        return (
            f"Demo: {self.brands} brands, {self.inboxes} inboxes, {self.teams} teams, "
            f"{self.agents} agents, {self.customers} customers; "
            f"{self.conversations_created} of {self.conversations_total} conversations created "
            f"({self.conversations_total - self.conversations_created} were already there) "
            f"in {self.seconds:.1f}s."
        )


@contextmanager
def _quietly() -> Iterator[None]:
    # override_settings fires setting_changed, on which django-tasks and channels drop
    # their cached backends and layers.
    with override_settings(TASKS=QUIET_TASKS, CHANNEL_LAYERS=QUIET_CHANNEL_LAYERS):
        yield


def demo_load(*, now: datetime | None = None) -> DemoSummary:
    started = time.monotonic()
    now = now or timezone.now()
    with _quietly():
        with transaction.atomic():
            world = world_build()
            customers = customers_build()
            # The widget on /demo-shop/; messages left offline go to the support inbox.
            chat_widget_ensure(
                inbox=world.inboxes["chat"],
                key=DEMO_WIDGET_KEY,
                offline_inbox=world.inboxes["support"],
            )
        cast = Cast(world=world, customers=customers, now=now)
        loaded = demo_keys_loaded()
        missing = [plan for plan in demo_plan(now=now) if plan.key not in loaded]
        for plan in missing:
            plan_play(plan, cast)
        _customers_since_first_contact(customers.values())
        knowledge_load(world.brands, author=world.agents.get("admin"))
    _knowledge_embed(world.brands.values())
    return DemoSummary(
        brands=len(world.brands),
        inboxes=len(world.inboxes),
        agents=len(world.agents),
        teams=len(world.teams),
        customers=len(customers),
        conversations_created=len(missing),
        conversations_total=DEMO_CONVERSATION_COUNT,
        seconds=time.monotonic() - started,
    )


def _knowledge_embed(brands: Iterable[Brand]) -> None:
    """Have the worker embed the demo's articles for semantic search (with the extra): the
    quiet load dropped the tasks their saves enqueued. A translation embedded before is
    skipped by the task."""
    for translation in ArticleTranslation.objects.filter(brand__in=list(brands)):
        embedding_schedule(translation)


def _customers_since_first_contact(customers: Iterable[Customer]) -> None:
    """Date each demo customer from their first conversation, not from today.

    A direct .update() of created_at on the loader's own customers, like the
    conversation timestamps in play.py.
    """
    ids = [customer.pk for customer in customers]
    rows = (
        Customer.objects.filter(pk__in=ids)
        .annotate(first_contact=Min("participations__created_at"))
        .values_list("pk", "created_at", "first_contact")
    )
    for pk, created_at, first_contact in rows:
        if first_contact is not None and first_contact < created_at:
            Customer.objects.filter(pk=pk).update(created_at=first_contact)
