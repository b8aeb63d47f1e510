"""Enqueueing background tasks only after the transaction that asked for them commits, and
the periodic sweep of task rows a killed worker left RUNNING."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django_tasks import task
from django_tasks.base import Task

# The arguments gathered per task by the innermost open `enqueues_gathered` block.
_gathered: ContextVar[dict[Task[Any, Any], list[int]] | None] = ContextVar(
    "enqueues_gathered", default=None
)


def enqueue_on_commit(task: Task[Any, Any], *args: int | str) -> None:
    """Enqueue `task(*args)` after commit; arguments are ids, never model instances."""
    transaction.on_commit(lambda: task.enqueue(*args))


@contextlib.contextmanager
def enqueues_gathered() -> Iterator[None]:
    """Gather the ids `enqueue_on_commit_gathered` is given inside, per task, and enqueue
    each task once with all of them after commit.

    For batches: a hundred mails' acknowledgements become one task row (with the database
    backend, one INSERT and commit instead of a hundred) and one worker run that sends them
    over one SMTP connection. Enter it inside the transaction; a block left by an exception
    enqueues nothing (the rows the ids name roll back with it).
    """
    gathered: dict[Task[Any, Any], list[int]] = {}
    token = _gathered.set(gathered)
    try:
        yield
    finally:
        _gathered.reset(token)
    for gathered_task, ids in gathered.items():
        enqueue_on_commit(gathered_task, *ids)


def enqueue_on_commit_gathered(task: Task[Any, Any], row_id: int) -> None:
    """enqueue_on_commit(task, row_id), or gathered into the open `enqueues_gathered` block;
    `task` must take any number of ids. An id whose row a savepoint rolled back meanwhile
    reaches the task all the same, which must skip ids it finds no row for."""
    gathered = _gathered.get()
    if gathered is None:
        enqueue_on_commit(task, row_id)
    else:
        gathered.setdefault(task, []).append(row_id)


@task()
def task_results_stale_fail_task() -> int:
    """Mark task rows a killed worker left RUNNING as FAILED (core/task_sweep.py)."""
    # Imported when run: this module loads early, before django_tasks_db's models may.
    from storedesk.core.task_sweep import task_results_stale_fail

    return task_results_stale_fail()
