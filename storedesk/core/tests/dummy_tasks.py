"""For tests that check what was enqueued rather than run it: django_tasks' DummyBackend."""

from __future__ import annotations

from typing import Any

from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.backends.dummy import DummyBackend
from django_tasks.base import TaskResult
from pytest_django.fixtures import Settings


def dummy_backend_use(settings: Settings) -> None:
    """Tasks are recorded by the DummyBackend, not run (instead of conftest's inline runs)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def enqueued_results() -> list[TaskResult[Any]]:
    """What was enqueued since `dummy_backend_use`, in order."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    assert isinstance(backend, DummyBackend)
    return list(backend.results)
