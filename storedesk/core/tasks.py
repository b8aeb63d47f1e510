"""Enqueueing background tasks only after the transaction that asked for them commits."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks.base import Task


def enqueue_on_commit(task: Task[Any, Any], *args: int | str) -> None:
    """Enqueue `task(*args)` after commit; arguments are ids, never model instances."""
    transaction.on_commit(lambda: task.enqueue(*args))
