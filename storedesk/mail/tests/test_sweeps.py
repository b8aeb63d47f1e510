"""What a kill -9 leaves besides rows: attachment files without a row, task rows RUNNING.

Both sweeps run on the schedule; the mail itself is recovered by the pending sweep.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoCaptureOnCommitCallbacks
from pytest_django.fixtures import Settings

from storedesk.conversations import attachment_sweep
from storedesk.conversations.models import Attachment
from storedesk.conversations.tasks import attachment_orphans_delete_task
from storedesk.core.task_sweep import TaskAbandoned, task_results_stale_fail
from storedesk.inboxes.models import Inbox
from storedesk.mail.enums import IntakeSource, RawEmailState
from storedesk.mail.intake import raw_email_process_pending
from storedesk.mail.intake_batch import InboundMail, raw_emails_take_in
from storedesk.mail.intake_store import raw_email_receive
from storedesk.mail.models import RawEmail
from storedesk.mail.tests.factories import make_raw_email

pytestmark = pytest.mark.django_db

TWO_HOURS = 2 * 3600


def media_file(name: str, *, age_seconds: float) -> Path:
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF half written")
    old = time.time() - age_seconds
    os.utime(path, (old, old))
    return path


# --- attachment files without a row ----------------------------------------------------------


def test_only_old_files_no_attachment_names_are_deleted(
    email_inbox: Inbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = make_raw_email(attachments=[("invoice.pdf", "application/pdf", b"%PDF-1.7 real")])
    raw_emails_take_in(
        mails=[InboundMail(raw=raw, recipients=["support@shop.example"])],
        source=IntakeSource.IMAP,
    )
    attachment = Attachment.objects.get()
    kept = Path(attachment.file.path)
    os.utime(kept, (time.time() - TWO_HOURS, time.time() - TWO_HOURS))
    folder = f"attachments/{attachment.conversation_id}"
    orphans = [
        media_file(f"{folder}/invoice_killed.pdf", age_seconds=TWO_HOURS),
        media_file("attachments/987654/photo.jpg", age_seconds=TWO_HOURS),
        media_file("attachments/987655/a.pdf", age_seconds=TWO_HOURS),
    ]
    # Within the grace period: may belong to a transaction that has yet to commit.
    fresh = media_file(f"{folder}/invoice_in_flight.pdf", age_seconds=60)
    monkeypatch.setattr(attachment_sweep, "LOOKUP_CHUNK", 2)  # several lookups, one run

    deleted = attachment_orphans_delete_task.enqueue().return_value

    assert deleted == len(orphans)
    assert [path.exists() for path in orphans] == [False, False, False]
    assert kept.read_bytes() == b"%PDF-1.7 real"
    assert fresh.exists()
    assert attachment_sweep.attachment_orphans_delete() == 0


def test_grace_period_is_a_setting(settings: Settings) -> None:
    settings.ATTACHMENT_ORPHAN_GRACE_SECONDS = 30
    orphan = media_file("attachments/5/late.pdf", age_seconds=60)

    assert attachment_sweep.attachment_orphans_delete() == 1
    assert not orphan.exists()


def test_no_attachments_directory_yet_is_nothing_to_do() -> None:
    assert attachment_sweep.attachment_orphans_delete() == 0


# --- task rows a killed worker left RUNNING --------------------------------------------------


def test_running_rows_of_a_killed_worker_fail_and_the_mail_is_still_processed(
    email_inbox: Inbox,
    settings: Settings,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        raw_email = raw_email_receive(
            raw=make_raw_email(), source=IntakeSource.SMTP, recipients=["support@shop.example"]
        )
    # A worker claimed the processing task and was killed: the row stays RUNNING.
    killed = DBTaskResult.objects.get()
    killed.claim("worker-killed")
    now = timezone.now()
    DBTaskResult.objects.filter(pk=killed.pk).update(started_at=now - timedelta(minutes=20))
    running = DBTaskResult.objects.create(
        task_path="storedesk.mail.tasks.raw_email_process_pending_task",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=now,
        status=TaskResultStatus.RUNNING,
        started_at=now - timedelta(minutes=5),
    )
    RawEmail.objects.filter(pk=raw_email.pk).update(created_at=now - timedelta(minutes=21))

    assert raw_email_process_pending() == 1
    assert task_results_stale_fail(now=now) == 1

    raw_email.refresh_from_db()
    assert raw_email.state == RawEmailState.PROCESSED
    killed.refresh_from_db()
    assert (killed.status, killed.finished_at) == (TaskResultStatus.FAILED, now)
    [error] = killed.task_result.errors
    assert error.exception_class is TaskAbandoned
    assert "its worker (worker-killed) was probably killed" in error.traceback
    running.refresh_from_db()
    assert running.status == TaskResultStatus.RUNNING  # younger than TASK_STALE_SECONDS
    assert task_results_stale_fail(now=now) == 0


def test_stale_age_is_a_setting(settings: Settings) -> None:
    settings.TASK_STALE_SECONDS = 60
    now = timezone.now()
    row = DBTaskResult.objects.create(
        task_path="storedesk.mail.tasks.outbox_send_due_task",
        args_kwargs={"args": [], "kwargs": {}},
        backend_name="default",
        run_after=now,
        status=TaskResultStatus.RUNNING,
        started_at=now - timedelta(minutes=2),
    )

    assert task_results_stale_fail(now=now) == 1
    row.refresh_from_db()
    assert row.status == TaskResultStatus.FAILED
