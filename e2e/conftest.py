"""Browser tests against the real server (`storedesk serve`) in a subprocess.

The test process and the server share one fresh database: a SQLite file (WAL) in a
temporary folder, or the PostgreSQL database named by E2E_DATABASE_URL, which is dropped and
created again. Tests build their data through the ORM here; the browser sees it through the
server. Run with `pytest e2e` (e2e/pytest.ini switches pytest-django off).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 15

VAR_DIR = Path(tempfile.mkdtemp(prefix="storedesk-e2e-"))
# Set before Django is imported, so this process and the server read the same settings.
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "storedesk.settings",
        "STOREDESK_MODE": "development",  # the server also serves /static/ itself
        "STOREDESK_VAR_DIR": str(VAR_DIR),
        "DATABASE_URL": os.environ.get("E2E_DATABASE_URL")
        or f"sqlite:///{VAR_DIR / 'e2e.sqlite3'}",
    }
)
# Playwright's sync API runs an event loop in this thread, which Django would take for async
# code and refuse the ORM. Only this process: the server keeps Django's guard.
SERVER_ENV = dict(os.environ)
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

import django  # noqa: E402  (after the environment above)
from django.test import override_settings  # noqa: E402

django.setup()
# Data made here is seen by pages when they load; live updates come from what the browsers do
# on the server. Without a layer here, services skip publishing instead of failing to (the
# sync publish cannot run inside Playwright's event loop).
override_settings(CHANNEL_LAYERS={}).enable()


def require_or_skip(reason: str) -> None:
    """A missing tool fails in CI and skips, loudly, on a developer's machine."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def _recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?", 1)[0]
    # Statements that cannot run inside a transaction, from the server's maintenance database.
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)
        ))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def e2e_database() -> None:
    from django.core.management import call_command

    if os.environ["DATABASE_URL"].startswith(("postgres://", "postgresql://")):
        _recreate_postgres_database(os.environ["DATABASE_URL"])
    call_command("migrate", interactive=False, verbosity=0)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310  (our own http URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url}/healthz:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="session")
def live_url(e2e_database: None) -> Iterator[str]:
    """The base URL of `storedesk serve`, started once for the session."""
    port = _free_port()
    log = VAR_DIR / "server.log"
    # The whole server as `make run` starts it: mail leaves through the outbox's task worker.
    command = [sys.executable, "-m", "storedesk", "serve", "--port", str(port)]
    smtp_port = str(_free_port())
    # Browser tests that send mail in over SMTP read it from here (the live_smtp_port fixture).
    os.environ["STOREDESK_E2E_SMTP_PORT"] = smtp_port
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603  (fixed command)
            command, cwd=ROOT,
            env={**SERVER_ENV, "PORT": str(port), "STOREDESK_SMTP_PORT": smtp_port},
            stdout=output, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(url, process, log)
            yield url
        finally:
            process.terminate()  # SIGTERM: serve shuts down gracefully
            try:
                process.wait(SERVER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def live_smtp_port(live_url: str) -> int:
    """The port of the server's SMTP receiver: mail sent there goes through intake."""
    return int(os.environ["STOREDESK_E2E_SMTP_PORT"])


@pytest.fixture(scope="session")
def base_url(live_url: str) -> str:
    """pytest-playwright gives it to every context, so pages can go to "/conversations/"."""
    return live_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not CHROMIUM.exists():
        require_or_skip(f"{CHROMIUM} is not installed")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Save a full-page screenshot as test-artifacts/screenshots/<test>-<lang>.png."""
    from playwright.sync_api import Page

    def take(page: Page, lang: str = "en") -> Path:
        name = re.sub(r"[^\w.-]+", "_", request.node.originalname)
        path = SCREENSHOTS / f"{name}-{lang}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        # From the top: a sticky header scrolled down lands mid-image in a full-page shot.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Kept after a failure: the database and server.log are what explains it.
    if exitstatus == 0:
        import shutil

        shutil.rmtree(VAR_DIR, ignore_errors=True)
    else:
        print(f"\ne2e database and server log kept in {VAR_DIR}")  # noqa: T201
