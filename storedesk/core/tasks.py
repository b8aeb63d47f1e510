"""Enqueueing background tasks only after the transaction that asked for them commits, and
the periodic sweep of task rows a killed worker left RUNNING."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_tasks import task
from django_tasks.base import Task


def enqueue_on_commit(task: Task[Any, Any], *args: int | str) -> None:
    """Enqueue `task(*args)` after commit; arguments are ids, never model instances."""
    transaction.on_commit(lambda: task.enqueue(*args))


@task()
def task_results_stale_fail_task() -> int:
    """Mark task rows a killed worker left RUNNING as FAILED (core/task_sweep.py)."""
    # Imported when run: this module loads early, before django_tasks_db's models may.
    from storedesk.core.task_sweep import task_results_stale_fail

    return task_results_stale_fail()
