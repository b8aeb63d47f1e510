"""Every periodic job in one place: which task is enqueued, and how often.

`storedesk serve` runs a small scheduler thread that enqueues each job's task every
`interval_seconds` (the task worker then runs it like any other task). Rules for a job:

- The task takes no arguments and is idempotent: a restart, a slow worker or two
  schedulers may enqueue it twice, and the second run must find nothing to do.
- The first run comes one interval after start-up unless `run_at_start` is set, so
  restarting the server does not trigger the weekly report again.
- Add a job by appending `ScheduledJob(<app>.tasks.<service>_task, interval_seconds=...)`
  to `SCHEDULE`; import the task here, not in the scheduler.

`BACKGROUND_SERVICES` lists, by dotted path, the long-running services of the apps above core
that `storedesk serve` starts beside the worker and the scheduler (each a class constructed
without arguments, with start/request_stop/join as in core/management/background.py). Paths,
not imports, so core never imports those apps and their libraries load only when served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django_tasks.base import Task

from storedesk.chat.tasks import chat_reassign_unanswered_task
from storedesk.conversations.tasks import (
    attachment_orphans_delete_task,
    conversation_wake_due_task,
    search_index_catch_up_task,
)
from storedesk.core.tasks import task_results_stale_fail_task
from storedesk.mail.health import mailbox_health_check_task, probe_interval_seconds
from storedesk.mail.tasks import (
    mailbox_poll_all_task,
    outbox_send_due_task,
    raw_email_process_pending_task,
)


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    task: Task[[], Any]
    interval_seconds: float
    run_at_start: bool = False

    def __post_init__(self) -> None:
        if self.interval_seconds <= 0:
            raise ValueError(f"{self.name}: interval_seconds must be positive")

    @property
    def name(self) -> str:
        return f"{self.task.func.__module__}.{self.task.func.__qualname__}"


SCHEDULE: list[ScheduledJob] = [
    # Snoozed conversations reopen within a minute of their time.
    ScheduledJob(conversation_wake_due_task, interval_seconds=60, run_at_start=True),
    # Outbox retries after backoff, and rows whose immediate send task was lost.
    ScheduledJob(outbox_send_due_task, interval_seconds=30, run_at_start=True),
    # Mail stored but not yet turned into conversations (a crash between commit and enqueue).
    ScheduledJob(raw_email_process_pending_task, interval_seconds=60, run_at_start=True),
    # New IMAP mail; `storedesk fetch_mail --loop --idle` gets it sooner where that runs.
    ScheduledJob(mailbox_poll_all_task, interval_seconds=60, run_at_start=True),
    # Mailbox health: probe every active address (STOREDESK_MAIL_PROBE_INTERVAL_SECONDS).
    ScheduledJob(mailbox_health_check_task, interval_seconds=probe_interval_seconds()),
    # Chats nobody answered within the widget's answer timeout go to the next agent.
    ScheduledJob(chat_reassign_unanswered_task, interval_seconds=10, run_at_start=True),
    # SQLite's search index takes in the messages written since (search reads them meanwhile).
    ScheduledJob(search_index_catch_up_task, interval_seconds=10, run_at_start=True),
    # Attachment files a killed process wrote without committing their rows (older than an hour).
    ScheduledJob(attachment_orphans_delete_task, interval_seconds=3600),
    # Task rows a killed worker left RUNNING become FAILED (after TASK_STALE_SECONDS).
    ScheduledJob(task_results_stale_fail_task, interval_seconds=300, run_at_start=True),
]

BACKGROUND_SERVICES: list[str] = [
    # SMTP receiver on 127.0.0.1:STOREDESK_SMTP_PORT (2525); `storedesk smtp_receiver` at scale.
    "storedesk.mail.receiver.ReceiverService",
]
