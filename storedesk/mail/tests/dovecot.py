"""A private Dovecot IMAP server for tests (../shared/TEST-SERVERS.md).

One instance per test session, from a temporary directory, on a free port on 127.0.0.1.
Every user name logs in with `PASSWORD` and gets its own maildir, so each test takes a fresh
user instead of cleaning up a shared mailbox.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import cast

PASSWORD = "secret"  # noqa: S105  (the static test password of the private server)
START_TIMEOUT_SECONDS = 10.0

_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A wrong-password test would otherwise slow the next logins from 127.0.0.1 by seconds:
# the failure delay, and anvil's per-IP penalty (mode 0 is Dovecot's documented way off).
auth_failure_delay = 0
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
"""


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed, or this process may not start it (it needs root)."""


@dataclass(frozen=True, slots=True)
class DovecotServer:
    root: Path
    port: int

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    def connect(self, user: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(user, PASSWORD)
        return client

    def append(self, user: str, raw: bytes, *, folder: str = "INBOX") -> None:
        """Put a message into a folder as a mail client would (no flags: it is unseen)."""
        client = self.connect(user)
        quoted = '"' + folder + '"'  # imaplib sends names as they are; spaces need quotes
        try:
            if folder != "INBOX":
                client.create(quoted)  # "already exists" is a NO, which is fine here
            now = imaplib.Time2Internaldate(time.time())
            # typeshed says append() returns str; it returns (typ, data) like every command.
            typ, data = cast("tuple[str, list[bytes]]", client.append(quoted, "", now, raw))
            if typ != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
        finally:
            client.logout()

    def doveadm(self, *args: str) -> str:
        result = subprocess.run(  # noqa: S603  (fixed binary, arguments from the tests)
            ["doveadm", "-c", str(self.config), *args],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def stop(self) -> None:
        """SIGTERM the master without waiting: it takes ~2 s to wind down, and nothing needs
        it gone sooner (its port is private, its files are in our temporary directory)."""
        pid_file = self.root / "run" / "master.pid"
        with contextlib.suppress(OSError, ValueError):  # not running (any more)
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        shutil.rmtree(self.root, ignore_errors=True)


def dovecot_missing_reason() -> str | None:
    """Why a Dovecot cannot be started here, or None when it can."""
    if shutil.which("dovecot") is None or shutil.which("doveadm") is None:
        return "dovecot is not installed (apt-get install -y dovecot-imapd)"
    if os.geteuid() != 0:
        return "a private dovecot needs root (it switches to the `mail` user)"
    return None


def dovecot_start(root: Path) -> DovecotServer:
    """Start a private Dovecot under `root` and wait until it greets."""
    reason = dovecot_missing_reason()
    if reason is not None:
        raise DovecotUnavailable(reason)
    server = DovecotServer(root=root, port=_free_port())
    mail = pwd.getpwnam("mail")
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    # Dovecot writes the maildirs as `mail`; base_dir stays root's as dovecot requires.
    os.chown(root / "mail", mail.pw_uid, mail.pw_gid)
    root.chmod(0o755)
    server.config.write_text(_CONFIG.format(root=root, port=server.port, password=PASSWORD))
    subprocess.run(["dovecot", "-c", str(server.config)], check=True)  # noqa: S603, S607
    _wait_for_greeting(server)
    return server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_greeting(server: DovecotServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            imaplib.IMAP4("127.0.0.1", server.port, timeout=2).logout()
            return
        except OSError:
            if time.monotonic() > deadline:
                log = server.root / "dovecot.log"
                text = log.read_text() if log.exists() else ""
                server.stop()
                raise DovecotUnavailable(f"dovecot did not start: {text[-2000:]}") from None
            time.sleep(0.05)
