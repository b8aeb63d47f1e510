"""What both chat sockets share: the database wrapper, frame parsing, error frames, groups."""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import SyncToAsync
from channels.db import database_sync_to_async
from django.db import connection, connections, transaction
from django.http import Http404

from storedesk.chat.errors import ChatError
from storedesk.conversations.services.timeline import live_updates_coalesced
from storedesk.core.consumers import TolerantJsonConsumer

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403

Handler = Callable[[Mapping[str, Any]], Awaitable[None]]
P = ParamSpec("P")
R = TypeVar("R")


class _KeptConnectionSyncToAsync(SyncToAsync[P, R]):
    """Channels' database_sync_to_async without closing the connection after every call.

    Channels runs close_old_connections around each call, and with CONN_MAX_AGE 0 (HTTP
    requests under ASGI each run on a thread of their own, where a kept connection would be
    left behind) that opens a new SQLite connection per call: a file handle, the WAL
    pragmas and Django's function registrations, a third of the database thread's time in
    bench/chat.py. The consumers' calls on SQLite run on one thread that lives as long as
    the process, so its connection is kept; one that failed or was left inside a transaction
    is closed and opened again on the next call, as close_old_connections would.
    """

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        _connections_drop_broken()
        try:
            return super().thread_handler(loop, *args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            _connections_drop_broken()


def _connections_drop_broken() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        left_in_transaction = conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]
        if left_in_transaction or (conn.errors_occurred and not conn.is_usable()):
            conn.close()
        conn.errors_occurred = False


def db(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`func` run for a consumer, off the event loop.

    On PostgreSQL on the thread pool (thread_sensitive=False), so different chats' database
    work runs side by side: row locks order the writers of one conversation, and chat.entry's
    `after` lets a socket notice an entry overtaken by a later one; its connections come
    from the pool, so Channels' wrapper hands them back after each call. SQLite has one
    writer anyway, so there everything stays on Channels' one database thread, which keeps
    its connection (_KeptConnectionSyncToAsync).
    """
    if connection.vendor == "sqlite":
        kept: Callable[P, Awaitable[R]] = _KeptConnectionSyncToAsync(func, thread_sensitive=True)
        return kept
    pooled: Callable[P, Awaitable[R]] = database_sync_to_async(func, thread_sensitive=False)
    return pooled


@dataclass(frozen=True)
class _Outcome:
    result: Any = None
    error: BaseException | None = None


def _write_together(writes: Sequence[Callable[[], Any]]) -> list[_Outcome]:
    """Run `writes` in one transaction, each in a savepoint of its own: one commit (and one
    pass through the channel layer for their live updates) for all of them."""
    outcomes: list[_Outcome] = []
    with transaction.atomic(), live_updates_coalesced():
        for write in writes:
            try:
                with transaction.atomic():
                    outcomes.append(_Outcome(result=write()))
            except Exception as error:  # handed to the socket that asked, as if it ran alone
                outcomes.append(_Outcome(error=error))
    return outcomes


class _WriteBatcher:
    """Group commit for the sockets' message writes on SQLite.

    SQLite has one writer, so each socket's send would wait for every earlier one's
    transaction, commit (an fsync) and after-commit publishing in turn. Instead, the sends
    that arrive while a batch is being written are written together next, each in its own
    savepoint (a failing one rolls back alone, and its error goes to its own socket), and
    each socket is answered once the batch has committed. Nothing waits for a batch to
    fill: a send that finds the writer idle is written at once, alone.
    """

    def __init__(self) -> None:
        self.waiting: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self.writer: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly

    def enqueue(self, call: Callable[[], R]) -> asyncio.Future[R]:
        """`call` queued for the next batch (batches keep the order of the queue)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.waiting.append((call, future))
        if self.writer is None:
            self.writer = asyncio.get_running_loop().create_task(self._drain())
        return future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting, []
                try:
                    outcomes = await _KeptConnectionSyncToAsync(
                        _write_together, thread_sensitive=True
                    )([call for call, _ in batch])
                except Exception as error:  # the commit itself failed: every send did
                    outcomes = [_Outcome(error=error)] * len(batch)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # the socket went away meanwhile
                        continue
                    if outcome.error is not None:
                        future.set_exception(outcome.error)
                    else:
                        future.set_result(outcome.result)
        finally:
            self.writer = None


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _WriteBatcher] = (
    weakref.WeakKeyDictionary()
)


def _batcher() -> _WriteBatcher:
    return _batchers.setdefault(asyncio.get_running_loop(), _WriteBatcher())


async def db_write(func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
    """db(func)(...) for a message write: on SQLite batched with the other sockets' writes
    (_WriteBatcher), on PostgreSQL on the thread pool like every other call."""
    if connection.vendor != "sqlite":
        return await db(func)(*args, **kwargs)
    return await _batcher().enqueue(functools.partial(func, *args, **kwargs))


class OrderedWrites:
    """One socket's message writes, committed in the order of its frames, without the socket
    waiting for each commit before it reads its next frame.

    A socket handles one frame at a time. Had each send waited for its commit, an agent
    typing in several chats would have at most one line in each batch, and lines sent
    faster than a batch commits (bench/chat.py: 10 agents, 50 lines a second each) would
    queue up behind one another. Instead a write is queued at once and the socket goes on;
    whoever asked is answered when it commits. The order holds because the write is queued
    before `start` returns: on SQLite the batcher's queue is in that order (a batch writes
    in queue order), on PostgreSQL each write begins once the socket's previous one ended.
    """

    def __init__(self) -> None:
        self.previous: asyncio.Future[Any] | None = None

    def start(self, func: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[R]:
        call = functools.partial(func, *args, **kwargs)
        if connection.vendor == "sqlite":
            return _batcher().enqueue(call)
        previous = self.previous

        async def after_previous() -> R:
            if previous is not None:
                await asyncio.wait([previous])  # its outcome is its own sender's business
            return await db(call)()

        self.previous = written = asyncio.ensure_future(after_previous())
        # Retrieved here, so an outcome nobody awaits (the socket closed) logs nothing.
        written.add_done_callback(lambda done: done.cancelled() or done.exception())
        # A closing socket cancels its answers, not the writes (the batcher's too go on).
        return asyncio.shield(written)


def count_of(value: object) -> int | None:
    """A non-negative integer from a client frame, or None (JSON true is not 1)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def text_of(value: object) -> str:
    return value if isinstance(value, str) else ""


def scope_header(scope: Mapping[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def scope_own_origin(scope: Mapping[str, Any]) -> str:
    """The origin the client connected to (same-origin pages always pass the origin check)."""
    secure = scope.get("scheme") in ("https", "wss")
    return f"{'https' if secure else 'http'}://{scope_header(scope, b'host')}"


class JsonFrames(TolerantJsonConsumer):
    """Frame parsing, error frames and group bookkeeping shared by both sockets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answering: set[asyncio.Task[None]] = set()

    def handlers(self) -> dict[str, Handler]:
        raise NotImplementedError

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        handler = self.handlers().get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_error("invalid", kind)
            return
        await self.answered(content, handler(content))

    async def answered(self, content: Mapping[str, Any], work: Awaitable[None]) -> None:
        """`work` for the frame `content`, its refusal sent back as an error frame."""
        # Which line and chat it was, so the page can mark it and stop retrying it.
        about = {"client_id": content.get("client_id"), "conversation": content.get("conversation")}
        try:
            await work
        except ChatError as error:
            await self.send_error(error.code, content.get("type"), message=error.message, **about)
        except Http404:
            await self.send_error("forbidden", content.get("type"), **about)

    def answer_later(self, content: Mapping[str, Any], work: Awaitable[None]) -> None:
        """answered(...) without holding up the next frame; dropped if the socket closes."""
        task = asyncio.ensure_future(self.answered(content, work))
        self.answering.add(task)  # held: the loop keeps tasks weakly
        task.add_done_callback(self.answering.discard)

    async def disconnect(self, code: int) -> None:
        for task in self.answering:
            task.cancel()  # the writes themselves go on; only their answers are dropped

    async def send_error(self, code: str, request: object, **extra: Any) -> None:
        frame = {"type": "error", "code": code, "request": request}
        frame.update({k: v for k, v in extra.items() if v is not None})
        await self.send_json(frame)

    async def join(self, group: str) -> None:
        if group not in self.groups:
            # Kept in self.groups so Channels discards them all on disconnect.
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)

    async def leave(self, group: str) -> None:
        if group in self.groups:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups.remove(group)
