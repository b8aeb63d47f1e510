"""The background services `storedesk serve` runs: the task worker and the scheduler."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from pytest_django.fixtures import Settings

from storedesk.core.management.background import (
    SchedulerService,
    ServiceGroup,
    TaskWorkerService,
)
from storedesk.core.tests.shared_cache import retrying_shared_cache_locks
from storedesk.schedule import ScheduledJob

TICKS: list[float] = []


@task()
def tick_task() -> str:
    TICKS.append(time.monotonic())
    return "ticked"


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_scheduler_enqueues_each_interval_and_stops_promptly() -> None:
    TICKS.clear()
    services = ServiceGroup(
        [SchedulerService([ScheduledJob(tick_task, interval_seconds=0.05, run_at_start=True)])]
    )

    services.start()
    wait_until(lambda: len(TICKS) >= 3)
    started = time.monotonic()
    stuck = services.stop(timeout=5)

    assert stuck == []
    assert time.monotonic() - started < 1


def test_schedule_rejects_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="interval_seconds"):
        ScheduledJob(tick_task, interval_seconds=0)


@pytest.mark.django_db(transaction=True)
def test_worker_runs_database_tasks_and_stops(settings: Settings) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    result = tick_task.enqueue()
    services = ServiceGroup([TaskWorkerService()])

    services.start()
    # The worker thread writes meanwhile: reads may meet SQLite's shared-cache locks.
    wait_until(lambda: retrying_shared_cache_locks(_status_of(result.id)) == "SUCCESSFUL")
    stuck = services.stop(timeout=5)

    assert stuck == []
    assert DBTaskResult.objects.get(id=result.id).return_value == "ticked"


def _status_of(result_id: str) -> Callable[[], str]:
    return lambda: DBTaskResult.objects.get(id=result_id).status
