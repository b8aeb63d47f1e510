"""enqueue_on_commit_gathered: one task per batch, nothing for a batch that failed."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import transaction
from django_tasks import task
from pytest_django.fixtures import Settings

from storedesk.core.tasks import enqueue_on_commit_gathered, enqueues_gathered
from storedesk.core.tests.dummy_tasks import dummy_backend_use, enqueued_results

pytestmark = pytest.mark.django_db
Capture = Callable[..., AbstractContextManager[Any]]


@task()
def ids_task(*ids: int) -> None:
    """Stands for a task that takes many ids (the outbox's send task)."""


@pytest.fixture(autouse=True)
def dummy_backend(settings: Settings) -> None:
    dummy_backend_use(settings)


def enqueued() -> list[tuple[Any, ...]]:
    return [tuple(result.args) for result in enqueued_results()]


def test_ids_gathered_in_a_block_make_one_task_after_commit(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks, enqueues_gathered():
        for row_id in (3, 1, 2):
            enqueue_on_commit_gathered(ids_task, row_id)
        assert enqueued() == []

    assert len(callbacks) == 1
    callbacks[0]()
    assert enqueued() == [(3, 1, 2)]


def test_outside_a_block_each_id_is_its_own_task(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit_gathered(ids_task, 1)
        enqueue_on_commit_gathered(ids_task, 2)

    assert enqueued() == [(1,), (2,)]


def test_a_block_left_by_an_exception_enqueues_nothing(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    def batch() -> None:
        with transaction.atomic(), enqueues_gathered():
            enqueue_on_commit_gathered(ids_task, 1)
            raise ValueError("batch failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValueError, match="batch failed"),
    ):
        batch()

    assert (callbacks, enqueued()) == ([], [])
