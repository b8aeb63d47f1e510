"""Background services that `storedesk serve` runs beside the web server, in one process.

Running them in the web process is what lets the in-memory channel layer reach everything on a
bare machine (see ARCHITECTURE.md, "Processes"). At scale each runs as its own process instead
(`storedesk db_worker`, and later the SMTP receiver and mail fetcher commands).

A service is anything with `start()`, `request_stop()` and `join(timeout)`. Stopping is two
steps so that every service is told to stop first and they wind down in parallel.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from typing import Protocol

from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.management.commands.db_worker import Worker

from storedesk.schedule import ScheduledJob

logger = logging.getLogger(__name__)


class BackgroundService(Protocol):
    name: str

    def start(self) -> None: ...

    def request_stop(self) -> None:
        """Ask the service to stop; returns at once."""

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the service to stop; True if it has."""


class ThreadService(ABC):
    """A service whose work is a loop in one daemon thread.

    The thread is a daemon so that a service that ignores its stop request can never keep the
    process alive; `join` says whether it stopped in time so the caller can report it.
    """

    name: str

    def __init__(self) -> None:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run_guarded, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stopping.set()

    def join(self, timeout: float) -> bool:
        if self._thread.ident is None:  # never started
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @abstractmethod
    def run(self) -> None:
        """The loop; must return soon after `self._stopping` is set."""

    def _run_guarded(self) -> None:
        try:
            self.run()
        except Exception:
            logger.exception("background.%s.crashed", self.name)
        finally:
            # Database connections are per thread; close this thread's before it ends.
            connections.close_all()


class TaskWorkerService(ThreadService):
    """django-tasks-db's own Worker loop, run in a thread instead of its own process.

    The Worker stops when `running` is cleared: after the task in hand finishes, or after its
    idle sleep (`interval` seconds). Its signal handlers are not installed: signals belong to
    the main thread, where uvicorn handles them.
    """

    name = "worker"
    restart_delay_seconds = 5.0

    def __init__(self, *, backend_name: str = DEFAULT_TASK_BACKEND_ALIAS) -> None:
        super().__init__()
        self._worker = Worker(
            queue_names=["*"],  # one process runs everything, whatever queue a task names
            excluded_queue_names=[],
            interval=1.0,
            batch=False,
            backend_name=backend_name,
            startup_delay=False,
            max_tasks=None,
            worker_id=f"serve-{get_random_string(12)}",
        )

    @staticmethod
    def is_available(backend_name: str = DEFAULT_TASK_BACKEND_ALIAS) -> bool:
        """Only the database backend needs this worker (Immediate runs inline, RQ has rqworker)."""
        return isinstance(task_backends[backend_name], DatabaseBackend)

    def request_stop(self) -> None:
        super().request_stop()
        self._worker.running = False

    def run(self) -> None:
        # Worker.run raises on unexpected database errors; a dead worker thread would silently
        # stop all background work, so log it and start the loop again after a pause.
        while not self._stopping.is_set():
            try:
                self._worker.run()
            except Exception:
                logger.exception("background.worker.crashed; restarting")
                close_old_connections()
                self._stopping.wait(self.restart_delay_seconds)


class SchedulerService(ThreadService):
    """Enqueues each job of `storedesk.schedule.SCHEDULE` every `interval_seconds`.

    Intervals are measured on the monotonic clock from start-up; a restart starts them afresh,
    which is why scheduled tasks must be idempotent. Run one scheduler per installation.
    """

    name = "scheduler"

    def __init__(self, jobs: list[ScheduledJob]) -> None:
        super().__init__()
        self.jobs = list(jobs)

    def run(self) -> None:
        now = time.monotonic()
        due_at = {
            index: now if job.run_at_start else now + job.interval_seconds
            for index, job in enumerate(self.jobs)
        }
        while not self._stopping.is_set():
            now = time.monotonic()
            for index, job in enumerate(self.jobs):
                if due_at[index] <= now:
                    self._enqueue(job)
                    due_at[index] = now + job.interval_seconds
            # With no jobs, sleep until told to stop.
            timeout = min(due_at.values()) - time.monotonic() if due_at else None
            self._stopping.wait(None if timeout is None else max(timeout, 0.0))

    def _enqueue(self, job: ScheduledJob) -> None:
        # One failing job (a broken task, a locked database) must not stop the others.
        close_old_connections()
        try:
            job.task.enqueue()
        except Exception:
            logger.exception("background.scheduler.enqueue_failed %s", job.name)
        else:
            # Routine, every few seconds: at INFO it would drown the log of `make run`.
            logger.debug("background.scheduler.enqueued %s", job.name)


class ServiceGroup:
    """Starts services together and stops whichever of them were started."""

    def __init__(self, services: list[BackgroundService]) -> None:
        self.services = list(services)
        self._started: list[BackgroundService] = []

    def start(self) -> None:
        for service in self.services:
            service.start()
            self._started.append(service)
        logger.info("background.started %s", ", ".join(s.name for s in self._started))

    def stop(self, timeout: float) -> list[str]:
        """Stop all started services; returns the names of those still running after `timeout`."""
        if not self._started:
            return []
        for service in self._started:
            service.request_stop()
        deadline = time.monotonic() + timeout
        stuck = [
            service.name
            for service in self._started
            if not service.join(max(deadline - time.monotonic(), 0.0))
        ]
        if stuck:
            logger.warning("background.stopped; still running: %s", ", ".join(stuck))
        else:
            logger.info("background.stopped")
        self._started = []
        return stuck
