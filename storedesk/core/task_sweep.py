"""Task rows a killed worker left RUNNING, marked FAILED so they stop looking alive.

django-tasks-db claims a row by setting it RUNNING and has no lease or heartbeat (it offers
only `prune_db_task_results`, for finished rows), so the row of a worker killed mid-task
stays RUNNING for ever. Nothing re-runs such a task: every task must be idempotent and each
app's own sweep redoes the work (the mail's `raw_email_process_pending` processes mail whose
task died). This sweep only makes the record honest, for whoever reads the task table.

A row counts as abandoned once it has been RUNNING for `TASK_STALE_SECONDS` (default 15
minutes), longer than any of our tasks runs. If its worker was merely slow and finishes
later, django-tasks-db overwrites the row with its real outcome.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

SWEEP_LIMIT = 500


class TaskAbandoned(Exception):  # noqa: N818  (the name a failed row's error shows)
    """Recorded as the error of a task whose worker died while running it."""


def task_stale_seconds() -> int:
    return settings.TASK_STALE_SECONDS


def task_results_stale_fail(*, now: datetime | None = None) -> int:
    """Mark rows RUNNING for longer than `task_stale_seconds()` FAILED; returns how many.

    Side effects: each such row gets status FAILED, `finished_at` now and a TaskAbandoned
    error naming its start and workers, and a `core.task.abandoned` log line. At most
    SWEEP_LIMIT rows per run (the next run takes the rest); idempotent.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=task_stale_seconds())
    rows = list(
        DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        .order_by("started_at")
        .values_list("id", "task_path", "started_at", "worker_ids")[:SWEEP_LIMIT]
    )
    failed = 0
    for row_id, task_path, started_at, worker_ids in rows:
        assert started_at is not None  # `started_at__lt` leaves out rows without one
        error = (
            f"{TaskAbandoned.__name__}: still running {now - started_at} after it started "
            f"at {started_at.isoformat()}; its worker ({', '.join(worker_ids) or 'unknown'}) "
            "was probably killed. Marked failed by the stale-task sweep."
        )
        # Conditional: a worker that finishes right now keeps its real outcome.
        failed += DBTaskResult.objects.filter(pk=row_id, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=f"{TaskAbandoned.__module__}.{TaskAbandoned.__qualname__}",
            traceback=error,
        )
        logger.error(
            "core.task.abandoned",
            extra={"task_id": str(row_id), "task_path": task_path, "started_at": started_at},
        )
    return failed
