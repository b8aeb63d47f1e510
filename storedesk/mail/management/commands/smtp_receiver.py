"""`storedesk smtp_receiver`: the SMTP (or LMTP) receiver as a process of its own, at scale."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from storedesk.mail.receiver import STOP_GRACE_SECONDS, ReceiverService


class Command(BaseCommand):
    help = "Receive mail for the shop's addresses over SMTP (or LMTP) until stopped."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--port", type=int, default=None, help="Port (default: STOREDESK_SMTP_PORT, 2525)."
        )
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")
        parser.add_argument(
            "--lmtp-socket", default="", help="Serve LMTP on this Unix socket path instead."
        )

    def handle(
        self, *args: Any, host: str, port: int | None, lmtp: bool, lmtp_socket: str, **options: Any
    ) -> None:
        service = ReceiverService(
            host=host,
            port=settings.SMTP_PORT if port is None else port,
            lmtp=lmtp or bool(lmtp_socket),
            unix_socket=lmtp_socket,
        )
        service.start()
        if not service.is_running:
            raise CommandError(f"Could not listen on {lmtp_socket or f'{host}:{service.port}'}.")
        where = lmtp_socket or f"{host}:{service.port}"
        self.stdout.write(
            f"Receiving mail ({'LMTP' if lmtp or lmtp_socket else 'SMTP'}) on {where}."
        )
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, on_signal)
        while not stop.wait(1.0):
            pass  # wake regularly so the signal handler runs promptly
        service.request_stop()
        if not service.join(STOP_GRACE_SECONDS):
            self.stderr.write("The receiver did not stop in time.")
