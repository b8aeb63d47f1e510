"""The kill -9 harness for the mail intake (docs/subsystems/email.md, "Crash safety").

Run as a program, this module is one of the processes under test, against the database in
DATABASE_URL:

    python -m storedesk.mail.tests.crash_harness zygote

It sets Django up once and forks, on each order, one child of a role: `receiver PORT`
(`storedesk smtp_receiver`), `worker` (`storedesk db_worker` plus the pending sweep) or
`fetcher` (`storedesk fetch_mail --loop`).

With CRASH_HARNESS_RATE > 0 a child kills itself with SIGKILL, with that probability, at the
points a crash hurts most (`crash_points_install`): right after an INSERT or UPDATE of the
intake's tables, inside the open transaction; halfway through writing an attachment file;
after the raw mail committed but before the SMTP 250 went out; after an IMAP batch (mails
and resume point) committed. Nothing of this is in production code: it is patched in here,
in the child process only.

Imported, it gives the tests the other actors: `Supervisor` (restarts a child whenever it
dies and SIGKILLs it at random moments), `Mta` (a sending MTA that keeps each message until
it got a 250) and the message generator.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import json
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from django.core.files.base import File

# Environment of the children.
CRASH_RATE_ENV = "CRASH_HARNESS_RATE"
CRASH_SEED_ENV = "CRASH_HARNESS_SEED"
READY_FILE_ENV = "CRASH_HARNESS_READY_FILE"
CRASH_MARK = "CRASH-POINT "
# Statements after which a child may die, inside the transaction that ran them.
CRASH_TABLES = (
    "mail_rawemail",
    "mail_rawemaildelivery",
    "mail_outboundemail",
    "mail_imapfolderstate",
    "conversations_conversation",
    "conversations_message",
    "conversations_attachment",
    "customers_customer",
    "django_tasks_database_dbtaskresult",
)
# The harness sweeps for orphaned mail more often than the production schedule (60 s).
SWEEP_SECONDS = 1.0
# Imported once in the zygote, so a forked child starts serving in milliseconds.
PRELOADED = (
    "aiosmtpd.controller",
    "storedesk.mail.intake",
    "storedesk.mail.imap",
    "storedesk.mail.imap_idle",
    "storedesk.mail.tasks",
    "storedesk.mail.receiver",
    "storedesk.mail.management.commands.smtp_receiver",
    "storedesk.mail.management.commands.fetch_mail",
    "django_tasks_db.management.commands.db_worker",
)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Children run a little nicer so the test workers beside them are not starved.
NICE_ENV = "CRASH_HARNESS_NICE"
CHILD_NICENESS = 5


# --- the child processes -------------------------------------------------------------------


class _Crasher:
    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.random = random.Random(seed)  # noqa: S311  (fault injection, not security)

    def maybe(self, point: str) -> None:
        if self.rate and self.random.random() < self.rate:
            crash(point)


def crash(point: str) -> None:
    """Die like kill -9 does: no cleanup, no commit, no flush of anything but this line."""
    sys.stderr.write(f"{CRASH_MARK}{point}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def crash_points_install(crasher: _Crasher) -> None:
    """Patch the crash points into this process (see the module docstring)."""
    from django.core.files.storage import FileSystemStorage
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.signals import connection_created

    import storedesk.mail.imap as imap
    import storedesk.mail.receiver as receiver

    def statement_hook(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        result = execute(sql, params, many, context)
        words = sql.lstrip().split(None, 3)
        verb = words[0].upper() if words else ""
        if verb in ("INSERT", "UPDATE"):
            table = (words[2] if verb == "INSERT" else words[1]).strip('"`').lower()
            if table in CRASH_TABLES:
                atomic = context["connection"].in_atomic_block
                where = "in a transaction" if atomic else "autocommit"
                crasher.maybe(f"after {verb} {table} ({where})")
        return result

    def on_connect(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
        if statement_hook not in connection.execute_wrappers:
            connection.execute_wrappers.append(statement_hook)

    connection_created.connect(on_connect, weak=False)

    # `_save` is the storage's one write path; it is not in the stubs.
    storage_save: Callable[[FileSystemStorage, str, Any], str] = getattr(  # noqa: B009
        FileSystemStorage, "_save"
    )

    def save_halfway(self: FileSystemStorage, name: str, content: Any) -> str:
        # Attachments are rarer than statements: a higher rate, so some runs die mid-file.
        if crasher.rate and crasher.random.random() < crasher.rate * 20:
            content = _HalfThenCrash(content)
        return storage_save(self, name, content)

    setattr(FileSystemStorage, "_save", save_halfway)  # noqa: B010  (not in the stubs)
    _crash_after(crasher, receiver, "raw_email_receive", "receiver: committed, before 250")
    _crash_after(crasher, imap, "raw_emails_take_in", "fetcher: batch committed, before more")


def _crash_after(crasher: _Crasher, module: ModuleType, name: str, point: str) -> None:
    """Wrap the function `module` calls by `name`: maybe die right after it returned."""
    func: Callable[..., Any] = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        crasher.maybe(point)
        return result

    setattr(module, name, wrapped)


class _HalfThenCrash(File):  # type: ignore[type-arg]
    """Hands the storage the first half of the bytes, then dies mid-file."""

    def __init__(self, content: Any) -> None:
        super().__init__(content.file, content.name)
        content.seek(0)
        self.data = content.read()

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield self.data[: len(self.data) // 2]
        crash("attachment file half written")


def _zygote_main() -> None:
    """Set Django up once, then fork a child for each order read from stdin (one JSON line:
    argv, env, stderr path); answers each with the child's pid.

    A forked child is a process of its own, killed alone; forking spares each restart the
    seconds Django's start-up takes, so a run can afford hundreds of kills. Nothing before
    the fork opens a database connection or a thread.
    """
    os.nice(int(os.environ.get(NICE_ENV, CHILD_NICENESS)))
    import django

    django.setup()
    for module in PRELOADED:
        importlib.import_module(module)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    for line in sys.stdin:
        order = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _forked(order)
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


def _forked(order: dict[str, Any]) -> NoReturn:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # Die with the zygote (which ends with the test): no child outlives an aborted run.
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    devnull = os.open(os.devnull, os.O_RDWR)
    stderr = os.open(order["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(stderr, 2)
    os.environ.update(order["env"])
    code = 0
    try:
        _role_main(order["argv"][0], order["argv"][1:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        sys.stderr.flush()
        os._exit(code)


def _role_main(role: str, args: list[str]) -> None:
    rate = float(os.environ.get(CRASH_RATE_ENV, "0"))
    crash_points_install(_Crasher(rate, int(os.environ.get(CRASH_SEED_ENV, "0"))))
    from django.core.management import call_command

    ready = os.environ.get(READY_FILE_ENV, "")
    if role == "receiver":
        _ready_when(ready, lambda: _port_open(int(args[0])))
        call_command("smtp_receiver", port=int(args[0]), verbosity=0)
    elif role == "worker":
        threading.Thread(target=_sweep, daemon=True, name="sweep").start()
        _ready_when(ready, lambda: True)
        call_command("db_worker", interval=0.1, startup_delay=False, reload=False, verbosity=0)
    elif role == "fetcher":
        _ready_when(ready, lambda: True)
        call_command("fetch_mail", loop=True, interval=0.2, verbosity=0)
    else:
        raise SystemExit(f"unknown role {role!r}")


def _sweep() -> None:
    """What the scheduler's raw_email_process_pending_task does, every second."""
    from django.db import DatabaseError, close_old_connections

    from storedesk.mail.intake import raw_email_process_pending

    while True:
        try:
            raw_email_process_pending(limit=500)
        except DatabaseError:
            close_old_connections()  # the next round retries, as the scheduler would
        except BaseException:
            # A bug, not a crash: end the child so the supervisor reports it with this trace.
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        time.sleep(SWEEP_SECONDS)


def _ready_when(path: str, check: Callable[[], bool]) -> None:
    """Touch `path` once `check()` holds (checked in a thread: the caller goes on serving)."""
    if not path:
        return

    def wait() -> None:
        while not check():
            time.sleep(0.02)
        Path(path).write_text(str(os.getpid()))

    threading.Thread(target=wait, daemon=True).start()


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


# --- the supervisor: restarts and kills ---------------------------------------------------


@dataclass
class KillCounts:
    external: int = 0
    points: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.external + sum(self.points.values())


class Supervisor:
    """Keeps one child running and SIGKILLs it at random moments.

    A kill comes once `progress()` (seconds, messages delivered, messages processed) has
    advanced by a random amount in `kill_every` since the child was ready: counting work
    rather than seconds keeps the number of kills per message the same on a fast machine and
    on a loaded one, while the moment within the work in flight stays random.

    Ends of the child are classified: our SIGKILL, a crash point's SIGKILL (its stderr says
    which point), or a failure (any other end while not stopping), which the test reports.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        env: dict[str, str],
        workdir: Path,
        seed: int,
        progress: Callable[[], float],
        kill_every: tuple[float, float],
    ) -> None:
        self.name, self.argv, self.env, self.workdir = name, argv, env, workdir
        self.random = random.Random(seed)  # noqa: S311  (fault injection, not security)
        self.progress, self.kill_every = progress, kill_every
        self.counts = KillCounts()
        self.starts = 0
        self._stop = threading.Event()
        self._calm = threading.Event()
        self._zygote: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._run, name=f"supervise-{name}", daemon=True)

    def start(self) -> None:
        self._zygote = subprocess.Popen(  # noqa: S603  (our own interpreter and module)
            [sys.executable, "-m", __name__, "zygote"],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._thread.start()

    def calm(self) -> None:
        """No more kills: the running child is killed once more, the next one runs in peace."""
        self._calm.set()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)
        if self._zygote is not None:
            self._zygote.communicate(timeout=30)  # closes its stdin: it exits

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                calm = self._calm.is_set()
                pid, ready, stderr_path = self._spawn(calm)
                killed_by_us = self._watch(pid, ready, calm)
                if not killed_by_us:
                    self._classify(stderr_path)
        except Exception as exc:  # the test must see it, not wait for its timeout
            self.counts.failures.append(f"{self.name} supervisor failed: {exc!r}")

    def _spawn(self, calm: bool) -> tuple[int, Path, Path]:
        assert self._zygote is not None
        assert self._zygote.stdin is not None
        assert self._zygote.stdout is not None
        self.starts += 1
        ready = self.workdir / f"{self.name}-{self.starts}.ready"
        stderr_path = self.workdir / f"{self.name}-{self.starts}.err"
        env = {
            READY_FILE_ENV: str(ready),
            CRASH_SEED_ENV: str(self.random.randrange(2**31)),
        }
        if calm:
            env[CRASH_RATE_ENV] = "0"
        order = {"argv": self.argv, "env": env, "stderr": str(stderr_path)}
        self._zygote.stdin.write(json.dumps(order) + "\n")
        self._zygote.stdin.flush()
        return int(self._zygote.stdout.readline()), ready, stderr_path

    def _watch(self, pid: int, ready: Path, calm: bool) -> bool:
        deadline: float | None = None
        while _alive(pid):
            now = self.progress()
            if self._stop.is_set():
                _terminate(pid)
                return True
            if deadline is None and ready.exists() and not calm:
                deadline = now + self.random.uniform(*self.kill_every)
            if self._calm.is_set() and not calm:
                deadline = now  # restart in calm mode
            if deadline is not None and now >= deadline:
                os.kill(pid, signal.SIGKILL)
                self.counts.external += 1
                while _alive(pid):
                    time.sleep(0.005)
                return True
            time.sleep(0.02)
        return False

    def _classify(self, stderr_path: Path) -> None:
        text = stderr_path.read_text(errors="replace")
        lines = text.splitlines()
        marks = [line[len(CRASH_MARK) :] for line in lines if line.startswith(CRASH_MARK)]
        if marks:
            self.counts.points[marks[-1]] = self.counts.points.get(marks[-1], 0) + 1
        else:
            self.counts.failures.append(f"{self.name} ended by itself: {text[-3000:]}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _terminate(pid: int) -> None:
    """SIGTERM, as a service manager stops a process; SIGKILL if it does not stop in time."""
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


# --- the sending MTA -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    raw: bytes
    recipients: tuple[str, ...]
    attachment: bytes = b""


class Mta:
    """Delivers every message like a real MTA: kept until a 250, retried on any 4xx or lost
    connection; a 5xx is a permanent failure the test reports."""

    def __init__(self, port: int, messages: list[Sent], *, connections: int = 4) -> None:
        self.port = port
        self.queue = list(reversed(messages))
        self.lock = threading.Lock()
        self.retries = 0
        self.delivered = 0
        self.last_delivery = time.monotonic()
        self.rejected: list[str] = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(connections)]

    def run(self, *, stall_seconds: float, give_up: Callable[[], bool]) -> bool:
        """Send everything; True when all got their 250.

        Gives up when no message got through for `stall_seconds`, or `give_up()` says so.
        """
        self.stall_seconds, self.give_up = stall_seconds, give_up
        for thread in self.threads:
            thread.start()
        for thread in self.threads:
            thread.join()
        return not self.queue

    def _stalled(self) -> bool:
        return time.monotonic() - self.last_delivery > self.stall_seconds or self.give_up()

    def _run(self) -> None:
        while not self._stalled():
            with self.lock:
                if not self.queue:
                    return
                message = self.queue.pop()
            delivered = self._deliver(message)
            with self.lock:
                if delivered:
                    self.delivered += 1
                    self.last_delivery = time.monotonic()
                else:
                    self.queue.append(message)
                    self.retries += 1
            if not delivered:
                time.sleep(0.05)

    def _deliver(self, message: Sent) -> bool:
        try:
            with smtplib.SMTP("127.0.0.1", self.port, timeout=20) as client:
                client.sendmail("mta@relay.example", list(message.recipients), message.raw)
        except smtplib.SMTPResponseException as exc:
            return self._permanent(exc.smtp_code, exc.smtp_error)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            return self._permanent(code, text)
        except (OSError, smtplib.SMTPException):
            return False  # refused, reset, timed out, disconnected: try again later
        return True

    def _permanent(self, code: int, text: bytes | str) -> bool:
        if code >= 500:
            self.rejected.append(f"{code} {text!r}")
            return True  # a real MTA bounces it; the test fails on `rejected`
        return False


# --- the messages --------------------------------------------------------------------------


def messages_make(
    count: int, *, seed: int, support: str, sales: str, prefix: str = "crash"
) -> list[Sent]:
    """`count` distinct messages, each from its own sender: a tenth also to `sales`, 3% with
    an attachment (40-120 KB), 2% without a Message-ID (deduplicated by their bytes)."""
    rng = random.Random(seed)  # noqa: S311  (test data)
    sent = []
    for n in range(count):
        message = EmailMessage(policy=SMTP_POLICY)
        message["From"] = f"Customer {n} <{prefix}-{n}@customers.example>"
        recipients = (support, sales) if rng.random() < 0.1 else (support,)
        message["To"] = ", ".join(recipients)
        message["Subject"] = f"Order {seed}-{n}: where is it?"
        if rng.random() >= 0.02:
            message["Message-ID"] = f"<{prefix}-{seed}-{n}@customers.example>"
        body = "My parcel is late. " * rng.randint(5, 80)
        message.set_content(f"Hello,\n\nmessage {n}.\n{body}\n")
        attachment = b""
        if rng.random() < 0.03:
            attachment = rng.randbytes(rng.randint(40_000, 120_000))
            message.add_attachment(
                attachment, maintype="application", subtype="pdf", filename=f"invoice-{n}.pdf"
            )
        sent.append(Sent(raw=message.as_bytes(), recipients=recipients, attachment=attachment))
    return sent


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


if __name__ == "__main__":
    _zygote_main()
