"""The load generator of bench/chat.py: many websockets in one asyncio process.

Generic over what is sent: a `Tracker` stamps each message with a marker when it is sent
and records the latency when a socket receives a frame carrying that marker. The echo
baseline and the chat run through the same code, so their figures compare.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


def fd_limit_raise(wanted: int) -> int:
    """Raise the soft limit on open files towards `wanted` (bounded by the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Opened:
    sockets: list[ClientConnection]
    failures: dict[str, int]
    seconds: float


async def sockets_open(
    urls: Sequence[str], *, concurrency: int, headers: dict[str, str] | None = None,
    headers_for: Sequence[dict[str, str]] | None = None,
) -> Opened:
    """Open one websocket per URL (with `headers`, or `headers_for[i]` for the i-th),
    `concurrency` handshakes at a time; keep the ones that opened and count why the others
    did not."""
    gate = asyncio.Semaphore(concurrency)
    failures: dict[str, int] = {}

    async def one(url: str, headers: dict[str, str] | None) -> ClientConnection | None:
        async with gate:
            try:
                # No compression: per-connection deflate state would blur memory per socket,
                # and the browser widget's frames are small anyway. Pings off: the server's
                # own keep-alive is what a browser answers.
                return await connect(
                    url, compression=None, ping_interval=None, open_timeout=60,
                    max_queue=None, additional_headers=headers,
                )
            except Exception as error:  # counted by kind, shown in the report
                name = type(error).__name__
                failures[name] = failures.get(name, 0) + 1
                return None

    started = time.perf_counter()
    per_url: list[dict[str, str] | None] = (
        list(headers_for) if headers_for is not None else [headers] * len(urls)
    )
    results = await asyncio.gather(*(one(url, h) for url, h in zip(urls, per_url, strict=True)))
    opened = [socket for socket in results if socket is not None]
    return Opened(opened, failures, time.perf_counter() - started)


async def sockets_close(sockets: Sequence[ClientConnection]) -> None:
    async def one(socket: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(socket.close(), 5)

    for start in range(0, len(sockets), 500):
        await asyncio.gather(*(one(socket) for socket in sockets[start : start + 500]))


@dataclass
class Tracker:
    """Send times by marker; latencies (ms) of the markers received, each counted once."""

    sent: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    window: asyncio.Semaphore | None = None
    send_errors: int = 0

    def stamp(self, marker: str) -> None:
        self.sent[marker] = time.perf_counter()

    def received(self, marker: str) -> None:
        started = self.sent.pop(marker, None)
        if started is None:
            return  # someone else's marker, or a duplicate
        self.latencies.append((time.perf_counter() - started) * 1000)
        if self.window is not None:
            self.window.release()

    @property
    def delivered(self) -> int:
        return len(self.latencies)


@dataclass
class Listener:
    """Where the sockets' readers report; swap `tracker` between phases (a socket allows
    one reader only)."""

    tracker: Tracker = field(default_factory=Tracker)
    frames: int = 0


def readers_start(
    sockets: Sequence[ClientConnection], markers_of: Callable[[str | bytes], Iterable[str]],
    listener: Listener,
) -> list[asyncio.Task[None]]:
    """One task per socket that feeds every marker found in its frames to the listener."""

    async def read(socket: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for frame in socket:
                listener.frames += 1
                for marker in markers_of(frame):
                    listener.tracker.received(marker)

    return [asyncio.create_task(read(socket)) for socket in sockets]


Sender = Callable[[int, str], Awaitable[Any]]  # (index, marker) -> sends one message


async def fixed_rate(send: Sender, tracker: Tracker, *, rate: float, seconds: float,
                     prefix: str, drain_seconds: float = 5.0) -> None:
    """Send `rate` messages a second for `seconds`, on schedule whatever the answers do,
    then wait up to `drain_seconds` for the last deliveries."""
    total = int(rate * seconds)
    start = time.perf_counter()
    tasks: set[asyncio.Task[None]] = set()

    async def one(index: int) -> None:
        marker = f"{prefix}{index}"
        tracker.stamp(marker)
        try:
            await send(index, marker)
        except Exception:  # a failed send is a lost message, reported as such
            tracker.send_errors += 1
            tracker.sent.pop(marker, None)

    for index in range(total):
        delay = start + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(index))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await _drain(tracker, tasks, drain_seconds)


async def saturate(send: Sender, tracker: Tracker, *, in_flight: int, seconds: float,
                   prefix: str, drain_seconds: float = 5.0) -> float:
    """Keep `in_flight` messages outstanding for `seconds`; deliveries per second."""
    tracker.window = asyncio.Semaphore(in_flight)
    tasks: set[asyncio.Task[None]] = set()

    async def one(index: int) -> None:
        marker = f"{prefix}{index}"
        tracker.stamp(marker)
        try:
            await send(index, marker)
        except Exception:
            tracker.send_errors += 1
            tracker.sent.pop(marker, None)
            assert tracker.window is not None
            tracker.window.release()

    start = time.perf_counter()
    index = 0
    while time.perf_counter() - start < seconds:
        try:
            await asyncio.wait_for(tracker.window.acquire(), timeout=1)
        except TimeoutError:
            continue
        task = asyncio.create_task(one(index))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        index += 1
    delivered_in_time = tracker.delivered
    elapsed = time.perf_counter() - start
    await _drain(tracker, tasks, drain_seconds)
    tracker.window = None
    return delivered_in_time / elapsed


async def _drain(tracker: Tracker, tasks: set[asyncio.Task[None]], seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while (tasks or tracker.sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)

