"""The kill -9 harness for the mail intake (docs/subsystems/email.md, "Crash safety").

Run as a program, this module is one of the processes under test, against the database in
DATABASE_URL:

    python -m storedesk.mail.tests.crash_harness zygote

It sets Django up once and forks, on each order, one child of a role: `receiver PORT`
(`storedesk smtp_receiver`), `worker` (`storedesk db_worker` plus the pending sweep),
`fetcher` (`storedesk fetch_mail --loop`) or `importer ADDRESS PATH` (`storedesk import_mail`
run again and again, as an admin would rerun an import that died).

With CRASH_HARNESS_RATE > 0 a child kills itself with SIGKILL, with that probability, at the
points a crash hurts most (`crash_points_install`): right after an INSERT or UPDATE of the
intake's tables, inside the open transaction; halfway through writing an attachment file;
after the raw mail committed but before the SMTP 250 went out; after an IMAP batch (mails
and resume point) committed. With CRASH_HARNESS_POISON set it also dies whenever it parses a
mail containing those bytes (a mail that crashes the parser). Nothing of this is in
production code: it is patched in here, in the child process only, like the limits
CRASH_HARNESS_MAX_ATTEMPTS and CRASH_HARNESS_PENDING_GRACE.

The tests' side of the harness: crash_supervisor.py (restarts a child whenever it dies and
SIGKILLs it at random moments) and crash_mta.py (a sending MTA that keeps each message until
it got a 250, and the messages it sends).
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import random
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

from django.core.files.base import File

# Environment of the children.
CRASH_RATE_ENV = "CRASH_HARNESS_RATE"
CRASH_SEED_ENV = "CRASH_HARNESS_SEED"
READY_FILE_ENV = "CRASH_HARNESS_READY_FILE"
# A child given this dies whenever it parses a mail whose bytes contain it (a parser that
# crashes the process on one particular mail).
POISON_ENV = "CRASH_HARNESS_POISON"
POISON_POINT = "parsing the poison mail"
# The limits a child runs with, when given: MAIL_PROCESSING_MAX_ATTEMPTS (how many unfinished
# attempts set a mail aside), and intake_attempts.PENDING_GRACE_SECONDS (how long the sweep
# leaves a mail to the attempt or task that has it), so that a test of several deaths of
# the worker takes seconds rather than production's 10 s a death.
MAX_ATTEMPTS_ENV = "CRASH_HARNESS_MAX_ATTEMPTS"
PENDING_GRACE_ENV = "CRASH_HARNESS_PENDING_GRACE"
CRASH_MARK = "CRASH-POINT "
# The importer role imports its files again this long after an import ended.
IMPORT_AGAIN_SECONDS = 0.2
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
    import storedesk.mail.intake as intake
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
    poison = os.environ.get(POISON_ENV, "").encode()
    if poison:
        _crash_when_parsing(intake, poison)


def _crash_after(crasher: _Crasher, module: ModuleType, name: str, point: str) -> None:
    """Wrap the function `module` calls by `name`: maybe die right after it returned."""
    func: Callable[..., Any] = getattr(module, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = func(*args, **kwargs)
        crasher.maybe(point)
        return result

    setattr(module, name, wrapped)


def _crash_when_parsing(intake: ModuleType, poison: bytes) -> None:
    parse: Callable[[bytes], Any] = intake.parse_email

    def parse_or_die(raw: bytes) -> Any:
        if poison in raw:
            crash(POISON_POINT)
        return parse(raw)

    setattr(intake, "parse_email", parse_or_die)  # noqa: B010  (patched like the others)


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
    _limits_apply()
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
    elif role == "importer":
        _ready_when(ready, lambda: True)
        while True:
            call_command("import_mail", args[1], inbox=args[0], verbosity=0)
            time.sleep(IMPORT_AGAIN_SECONDS)
    else:
        raise SystemExit(f"unknown role {role!r}")


def _limits_apply() -> None:
    from django.conf import settings

    import storedesk.mail.intake_attempts as intake_attempts

    if os.environ.get(MAX_ATTEMPTS_ENV):
        settings.MAIL_PROCESSING_MAX_ATTEMPTS = int(os.environ[MAX_ATTEMPTS_ENV])
    if os.environ.get(PENDING_GRACE_ENV):
        grace = float(os.environ[PENDING_GRACE_ENV])
        setattr(intake_attempts, "PENDING_GRACE_SECONDS", grace)  # noqa: B010  (an int constant)


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


if __name__ == "__main__":
    _zygote_main()
