"""`storedesk import_mail --inbox ADDRESS PATH...`: mail from maildirs, mbox files, .eml folders."""

from __future__ import annotations

import logging
import time
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from storedesk.inboxes.models import InboxAddress
from storedesk.mail.importer import (
    ImportCounts,
    MailSource,
    Outcome,
    inbox_address_find,
    inbox_address_list,
    mail_import_batches,
    mail_sources_find,
)

BAR_WIDTH = 30
TTY_REDRAW_SECONDS = 0.1
PLAIN_LINE_SECONDS = 5.0
# The intake logs every message (INFO) and quarantine (WARNING); during an import that
# buries the bar, and the summary lists the same. `-v 2` shows them all.
QUIET_LOGGER = "storedesk"


@contextmanager
def _log_level(name: str, level: int) -> Iterator[None]:
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(max(level, logger.getEffectiveLevel()))
    try:
        yield
    finally:
        logger.setLevel(previous)


class Progress:
    """A one-line `\\r` bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, out: OutputWrapper, total: int) -> None:
        self.out, self.total = out, total
        self.is_tty = out.isatty()
        self.done = 0
        self.started = self.shown = time.monotonic()

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        every = TTY_REDRAW_SECONDS if self.is_tty else PLAIN_LINE_SECONDS
        if now - self.shown >= every or (self.is_tty and self.done == self.total):
            self.shown = now
            self._draw(now)

    def clear(self) -> None:
        """Wipe the bar so a message can take the line; the next step redraws it."""
        if self.is_tty:
            self.out.write("\r" + " " * (BAR_WIDTH + 50) + "\r", ending="")

    def finish(self) -> None:
        if self.is_tty:
            self.out.write("")

    def _draw(self, now: float) -> None:
        rate = self.done / max(now - self.started, 1e-6)
        counts = f"{self.done}/{self.total}  {rate:.1f} msg/s"
        if not self.is_tty:
            self.out.write(f"imported {counts}")
            return
        filled = BAR_WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        self.out.write(f"\r[{bar}] {counts}", ending="")
        self.out.flush()


class Command(BaseCommand):
    help = (
        "Import mail from maildirs, mbox files or folders of .eml files into an email inbox, "
        "through the same intake as received mail. Running it again imports nothing twice."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--inbox", required=True, metavar="ADDRESS", help="An address of the inbox."
        )
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            metavar="PATH",
            help="A maildir, an mbox file, an .eml file or a folder searched recursively.",
        )

    def handle(self, *args: Any, inbox: str, paths: list[Path], **options: Any) -> None:
        address = self._address(inbox)
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        started = time.monotonic()
        quiet = logging.INFO if options["verbosity"] > 1 else logging.ERROR
        with _log_level(QUIET_LOGGER, quiet):
            counts = self._import(mail_sources_find(paths), address)
        self._summary(counts, seconds=time.monotonic() - started)

    def _address(self, email: str) -> InboxAddress:
        address = inbox_address_find(email)
        if address is None:
            known = "\n  ".join(inbox_address_list()) or "(none configured)"
            raise CommandError(f"{email} is not an inbox address. Inbox addresses:\n  {known}")
        return address

    def _import(self, sources: list[MailSource], address: InboxAddress) -> ImportCounts:
        counts = ImportCounts()
        progress = Progress(self.stdout, total=sum(s.count() for s in sources))
        for source in sources:
            for item, result in mail_import_batches(items=source.items(), address=address):
                counts.add(item.label, result)
                if result.outcome == Outcome.UNREADABLE:
                    progress.clear()
                    self.stderr.write(f"Skipped {item.label}: {result.reason}")
                progress.step()
        progress.finish()
        return counts

    def _summary(self, counts: ImportCounts, *, seconds: float) -> None:
        got = counts.outcomes
        lines = [
            f"Read {counts.total} messages in {seconds:.1f}s.",
            f"  conversations created:   {got[Outcome.CREATED]}",
            f"  replies threaded:        {got[Outcome.THREADED]}",
            f"  duplicates skipped:      {got[Outcome.DUPLICATE]}",
            f"  auto-replies recognised: {counts.auto_replies} (kept as messages, counted above)",
            f"  bounces recognised:      {got[Outcome.BOUNCE]}",
            f"  quarantined:             {got[Outcome.QUARANTINED]}",
        ]
        lines += [f"    {n} x {reason}" for reason, n in sorted(counts.quarantine_reasons.items())]
        if got[Outcome.PROBE]:
            lines.append(f"  health probes ignored:   {got[Outcome.PROBE]}")
        if got[Outcome.PENDING]:
            lines.append(f"  left for the worker:     {got[Outcome.PENDING]}")
        lines.append(f"  unreadable, skipped:     {got[Outcome.UNREADABLE]}")
        lines += [f"    {entry}" for entry in counts.unreadable]
        self.stdout.write("\n".join(lines))
