"""`storedesk fetch_mail`: fetch IMAP mail once, or keep fetching (polling or IDLE)."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from storedesk.mail.imap import PollReport, mailbox_poll
from storedesk.mail.imap_idle import mailbox_watch
from storedesk.mail.models import ImapAccount

STOP_GRACE_SECONDS = 30.0


class Command(BaseCommand):
    help = "Fetch new mail from the active IMAP accounts (once, or until stopped with --loop)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--account", type=int, default=None, help="Only this account's ID.")
        parser.add_argument("--loop", action="store_true", help="Keep fetching until stopped.")
        parser.add_argument(
            "--idle",
            action="store_true",
            help="With --loop: wait with IMAP IDLE where the server offers it (implies --loop).",
        )
        parser.add_argument(
            "--interval", type=float, default=60.0, help="Seconds between polls (default 60)."
        )
        parser.add_argument(
            "--idle-seconds",
            type=float,
            default=600.0,
            help="Longest IDLE wait before a full poll of every folder (default 600).",
        )

    def handle(
        self,
        *args: Any,
        account: int | None,
        loop: bool,
        idle: bool,
        interval: float,
        idle_seconds: float,
        **options: Any,
    ) -> None:
        accounts = self._accounts(account)
        if not (loop or idle):
            for row in accounts:
                self._write_report(row, mailbox_poll(account=row))
            return
        self._run_until_stopped(accounts, idle=idle, interval=interval, idle_seconds=idle_seconds)

    def _accounts(self, account_id: int | None) -> list[ImapAccount]:
        rows = ImapAccount.objects.filter(is_active=True).order_by("pk")
        if account_id is not None:
            rows = rows.filter(pk=account_id)
            if not rows.exists():
                raise CommandError(f"No active IMAP account with ID {account_id}.")
        return list(rows)

    def _write_report(self, account: ImapAccount, report: PollReport) -> None:
        line = (
            f"{account}: {report.fetched} fetched, {report.new} new, "
            f"{report.duplicates} already stored"
        )
        self.stdout.write(line)
        for error in report.errors:
            self.stderr.write(f"{account}: {error}")

    def _run_until_stopped(
        self, accounts: list[ImapAccount], *, idle: bool, interval: float, idle_seconds: float
    ) -> None:
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, on_signal)
        # One thread per account: an IDLE wait blocks on that account's connection.
        threads = [
            threading.Thread(
                target=mailbox_watch,
                kwargs={
                    "account": row,
                    "idle": idle,
                    "idle_seconds": idle_seconds,
                    "poll_seconds": interval,
                    "stop": stop,
                },
                name=f"imap-{row.pk}",
                daemon=True,
            )
            for row in accounts
        ]
        for thread in threads:
            thread.start()
        self.stdout.write(f"Fetching mail for {len(threads)} account(s); stop with SIGTERM.")
        while not stop.wait(1.0):
            if not any(thread.is_alive() for thread in threads):
                break  # every account was deactivated
        for thread in threads:
            thread.join(STOP_GRACE_SECONDS)
            if thread.is_alive():
                self.stderr.write(f"{thread.name} did not stop in time.")
