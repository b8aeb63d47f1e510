"""`storedesk serve`: the whole desk in one process, for `make run`.

uvicorn serves HTTP and websockets in the main thread; the task worker and the scheduler (and
later the SMTP receiver and the mail fetcher) run as background services in daemon threads of
the same process, so the in-memory channel layer reaches all of them.

Shutdown (Ctrl+C or SIGTERM): uvicorn stops accepting connections and finishes the open ones,
then every background service is asked to stop and joined with a time limit. A second Ctrl+C
while they stop exits at once.
"""

from __future__ import annotations

import gc
import signal
import socket
from argparse import ArgumentParser
from collections.abc import Callable
from types import FrameType
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.module_loading import import_string
from uvicorn.config import STARTUP_FAILURE

from storedesk.core.management.background import (
    BackgroundService,
    SchedulerService,
    ServiceGroup,
    TaskWorkerService,
)

# How long shutdown waits for a running task to finish before leaving it to die with the process.
STOP_TIMEOUT_SECONDS = 30.0
# Open HTTP requests and websockets get this long to finish before uvicorn cancels them.
GRACEFUL_HTTP_SHUTDOWN_SECONDS = 5
# The cyclic garbage collector's thresholds while serving (Python's are 700, 10, 10). Each
# websocket frame and channel layer message allocates thousands of short-lived objects, so
# with the defaults the collector made a full pass every few seconds, and a full pass visits
# every open socket's objects: 100-160 ms at 1,000 sockets, 330 ms at 5,000, with every
# socket stalled meanwhile (bench/chat.py's p99). Fewer young collections (each a few ms),
# middle ones bounded, full ones rare (CPython still waits until the objects that survived
# since the last full pass are a quarter of the old generation).
GC_THRESHOLDS = (50_000, 5, 100)


class Command(BaseCommand):
    help = "Run the web server, the task worker and the scheduler in one process."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument(
            "--port", type=int, default=None, help="Port to listen on (default: PORT, 8000)."
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not run the task worker in this process (run `storedesk db_worker` instead).",
        )

    def handle(
        self, *args: Any, host: str, port: int | None, no_worker: bool, **options: Any
    ) -> None:
        port = settings.PORT if port is None else port
        self.check_migrations()
        services = ServiceGroup(self._services(with_worker=not no_worker))
        banner = self._banner(host, port, services.services)
        # The main thread is about to serve; it should not hold a database connection open.
        connections.close_all()

        def on_started() -> None:
            # Runs inside uvicorn's event loop once the socket is bound: starting threads is
            # quick, and when the port is taken no worker ever picks up a task.
            services.start()
            # Everything loaded so far lives as long as the process; moving it out of the
            # collector's view makes the full collections during requests much cheaper.
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            self.stdout.write(banner)

        server = _Server(_uvicorn_config(host, port), on_started=on_started)
        guard = _ShutdownSignals(server)
        guard.install()
        try:
            server.run()
        except SystemExit as exit_:
            if exit_.code != STARTUP_FAILURE:
                raise
            raise CommandError(
                f"Could not listen on {host}:{port}; is another server running there? "
                f"Try another port: `make run PORT={port + 10}`."
            ) from exit_
        finally:
            guard.stopping = True
            # A second Ctrl+C during uvicorn's shutdown (force_exit) means "don't wait".
            timeout = 0.0 if server.force_exit else STOP_TIMEOUT_SECONDS
            for name in services.stop(timeout):
                self.stderr.write(f"{name} did not stop within {timeout:.0f}s.")

    def _services(self, *, with_worker: bool) -> list[BackgroundService]:
        from storedesk.schedule import BACKGROUND_SERVICES, SCHEDULE

        services: list[BackgroundService] = []
        if with_worker and TaskWorkerService.is_available():
            services.append(TaskWorkerService())
        services.append(SchedulerService(SCHEDULE))
        services += [import_string(path)() for path in BACKGROUND_SERVICES]
        return services

    def _banner(self, host: str, port: int, services: list[BackgroundService]) -> str:
        base = f"http://{_display_host(host)}:{port}"
        lines = [
            "",
            self.style.SUCCESS(f"Storedesk is running ({settings.MODE} mode)."),
            f"  Workspace         {base}/",
            f"  Customer portal   {base}/portal/",
        ]
        if settings.DEVELOPMENT:
            lines.append(f"  Dev mail capture  {base}/dev/mail/")
            lines += ["", "Demo logins (from `storedesk load_demo`):", *_demo_login_lines()]
        if port != settings.PORT:
            lines += [
                "",
                self.style.WARNING(
                    f"PORT is {settings.PORT} in the environment, so links in mail point to "
                    f"{settings.BASE_URL}. Set PORT={port} as well (make run does)."
                ),
            ]
        names = ", ".join(service.name for service in services) or "none"
        lines += ["", f"Background services: {names}.", "Press Ctrl+C to stop.", ""]
        return "\n".join(lines)


class _Server(uvicorn.Server):
    """uvicorn's server with a hook that runs once the socket is listening."""

    def __init__(self, config: uvicorn.Config, *, on_started: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._on_started()


class _ShutdownSignals:
    """Receives the SIGINT/SIGTERM that uvicorn re-raises after its graceful shutdown.

    uvicorn restores the previous handlers and re-raises the signal once HTTP has stopped.
    With Python's defaults that is a KeyboardInterrupt traceback (SIGINT) or an immediate kill
    (SIGTERM) before the background services have stopped. Installed before uvicorn starts,
    this handler swallows that re-raise; any other signal (before serving, or a second one while
    the services stop) exits at once.
    """

    def __init__(self, server: uvicorn.Server) -> None:
        self._server = server
        self.stopping = False

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._server.started and not self.stopping:
            return
        raise SystemExit(128 + signum)


def _uvicorn_config(host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        "storedesk.asgi:application",
        host=host,
        port=port,
        ws="websockets-sansio",  # the `websockets` legacy implementation is deprecated
        lifespan="off",
        timeout_graceful_shutdown=GRACEFUL_HTTP_SHUTDOWN_SECONDS,
    )


def _display_host(host: str) -> str:
    # A wildcard address is not something a browser can open.
    if host in {"", "0.0.0.0", "::"}:  # noqa: S104  (comparing, not binding)
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _demo_login_lines() -> list[str]:
    from storedesk.demo.credentials import DEMO_LOGINS

    width = max((len(label) for label, _, _ in DEMO_LOGINS), default=0)
    return [f"  {label:<{width}}  {user} / {password}" for label, user, password in DEMO_LOGINS]
