"""Live chat benchmark: thousands of visitor websockets against one server process.

    python bench/chat.py                                   # 5,000 visitors, 500 msg/s
    python bench/chat.py --visitors 500 --rate 100 --seconds 10   # a quick run

Steps (one run, one machine, the load generator beside the server):

1. Baseline: a bare ASGI websocket echo (bench/chat_echo.py) served by the same uvicorn
   with the same websocket implementation as `storedesk serve`. Open N sockets, measure
   the server's RSS before and after (memory per connection), the echo latency at the
   fixed rate and the echo rate with a fixed number of messages in flight.
2. Chat: `storedesk serve` with REDIS_URL (the Redis Pub/Sub channel layer) on a fresh database.
   N visitors each open a chat through the widget's API and hold their websocket; agents
   (signed-in sessions) reply in the assigned chats. Measure connections held, RSS per
   connection, delivery latency (agent sends -> visitor's socket receives the entry) at
   the fixed rate, and the delivery rate with the same number in flight as the echo.
3. Print the figures and the chat/echo ratios; write the "Live chat" section of
   bench/RESULTS.md (unless --no-results).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import uvloop
from chat_load import (
    Listener,
    Tracker,
    fd_limit_raise,
    fixed_rate,
    readers_start,
    saturate,
    sockets_close,
    sockets_open,
)
from chat_world import (
    CAPACITY,
    SHOP_ORIGIN,
    WIDGET_KEY,
    World,
    database_reset,
    django_setup,
    service_profile,
    world_create,
)
from harness import (
    ROOT,
    PageResult,
    free_port,
    results_write,
    rss_mb,
    running_server,
    section_markers,
)
from websockets.asyncio.client import ClientConnection

RESULTS_NAME = "bench/chat.py"
RESULTS_PATH = ROOT / "bench" / "RESULTS.md"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
# Both servers use what `storedesk serve` configures (core/management/commands/serve.py).
UVICORN_WS = "websockets-sansio"


@dataclass(frozen=True)
class Options:
    visitors: int
    agents: int
    rate: float
    seconds: float
    in_flight: int
    concurrency: int
    redis_url: str
    database_url: str
    phases: tuple[str, ...]
    profile: bool
    results: Path | None
    command: str


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--visitors", type=int, default=5000, help="concurrent visitor sockets")
    parser.add_argument("--agents", type=int, default=10,
                        help="agents replying, each in 10 chats (capacity 10)")
    parser.add_argument("--rate", type=float, default=500, help="messages a second (fixed rate)")
    parser.add_argument("--seconds", type=float, default=20, help="length of each timed phase")
    parser.add_argument("--in-flight", type=int, default=32,
                        help="messages outstanding in the throughput phases")
    parser.add_argument("--concurrency", type=int, default=100, help="handshakes at a time")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument("--database-url", default="",
                        help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--phases", default="echo,chat", help="comma-separated: echo, chat")
    parser.add_argument("--profile", action="store_true",
                        help="also time and cProfile one message's database work in process")
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args(argv)
    if args.visitors < 1 or args.agents < 1 or args.rate <= 0 or args.seconds <= 0:
        parser.error("visitors, agents, rate and seconds must be positive")
    phases = tuple(name.strip() for name in args.phases.split(",") if name.strip())
    if not phases or set(phases) - {"echo", "chat"}:
        parser.error("--phases takes echo and/or chat")
    return Options(
        visitors=args.visitors, agents=args.agents, rate=args.rate, seconds=args.seconds,
        in_flight=args.in_flight, concurrency=args.concurrency, redis_url=args.redis_url,
        database_url=args.database_url, phases=phases, profile=args.profile,
        results=None if args.no_results else RESULTS_PATH,
        command=" ".join(["python", "bench/chat.py", *argv]),
    )


@dataclass
class PhaseResult:
    label: str
    wanted: int = 0
    held: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    open_seconds: float = 0.0
    rss_idle_mb: float = 0.0
    rss_held_mb: float = 0.0
    fixed: Tracker = field(default_factory=Tracker)
    fixed_sent: int = 0
    throughput: float = 0.0
    notes: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)

    @property
    def kb_per_connection(self) -> float:
        return (self.rss_held_mb - self.rss_idle_mb) * 1024 / self.held if self.held else 0.0

    def latency(self, p: float) -> float:
        return PageResult(self.label, samples=self.fixed.latencies).percentile(p)


# --- Baseline: the echo --------------------------------------------------------------------


def echo_markers(frame: str | bytes) -> Iterable[str]:
    return (frame if isinstance(frame, str) else frame.decode(),)


async def echo_measure(options: Options, port: int, pid: int) -> PhaseResult:
    result = PhaseResult("echo", wanted=options.visitors)
    result.rss_idle_mb = rss_mb(pid)
    url = f"ws://127.0.0.1:{port}/echo"
    opened = await sockets_open([url] * options.visitors, concurrency=options.concurrency)
    result.held, result.failures, result.open_seconds = (
        len(opened.sockets), opened.failures, opened.seconds,
    )
    await asyncio.sleep(1)
    result.rss_held_mb = rss_mb(pid)
    sockets = opened.sockets
    busy = Tracker()
    listener = Listener(busy)
    readers = readers_start(sockets, echo_markers, listener)

    async def send(index: int, marker: str) -> None:
        await sockets[index % len(sockets)].send(marker)

    # In the chat's order (see chat_measure).
    result.throughput = await saturate(
        send, busy, in_flight=options.in_flight, seconds=options.seconds, prefix="s"
    )
    listener.tracker = result.fixed
    await fixed_rate(send, result.fixed, rate=options.rate, seconds=options.seconds, prefix="f")
    result.fixed_sent = int(options.rate * options.seconds)
    for reader in readers:
        reader.cancel()
    await sockets_close(sockets)
    return result


def echo_run(options: Options, log_dir: Path) -> PhaseResult:
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "chat_echo:application", "--app-dir", "bench",
        "--host", "127.0.0.1", "--port", str(port), "--ws", UVICORN_WS, "--lifespan", "off",
        "--log-level", "warning",
    ]
    with running_server(command, os.environ, port, log_dir / "echo.log") as process:
        return uvloop.run(echo_measure(options, port, process.pid))


# --- The chat: data, server, visitors and agents -------------------------------------------

def entry_markers(frame: str | bytes) -> Iterable[str]:
    """The text of entries a visitor receives (the bench sends its marker as the text)."""
    text = frame if isinstance(frame, str) else frame.decode()
    if '"entry"' not in text:  # state, typing and read frames: not worth parsing
        return ()
    message = json.loads(text)
    return (message["entry"]["text"],) if message.get("type") == "entry" else ()


async def visitors_hello(sockets: Sequence[ClientConnection], tokens: Sequence[str]) -> int:
    """Say hello on every socket and wait for "ready"; the number that got it."""

    async def one(socket: ClientConnection, token: str) -> bool:
        try:
            await socket.send(json.dumps({"type": "hello", "widget": WIDGET_KEY,
                                          "token": token, "after": 0}))
            while True:
                frame = json.loads(await asyncio.wait_for(socket.recv(), 60))
                if frame.get("type") == "ready":
                    return True
        except Exception:  # counted as not held
            return False

    ready = 0
    for start in range(0, len(sockets), 200):
        batch = zip(sockets[start : start + 200], tokens[start : start + 200], strict=True)
        ready += sum(await asyncio.gather(*(one(socket, token) for socket, token in batch)))
    return ready


async def chat_measure(options: Options, world: World, port: int, pid: int) -> PhaseResult:
    result = PhaseResult("chat", wanted=options.visitors)
    base = f"ws://127.0.0.1:{port}"
    agent_ids = sorted(world.agent_cookies)
    agents = await sockets_open(
        [f"{base}/ws/chat/agent/"] * len(agent_ids), concurrency=10,
        headers_for=[{"Cookie": f"sessionid={world.agent_cookies[a]}",
                      "Origin": f"http://127.0.0.1:{port}"} for a in agent_ids],
    )
    if len(agents.sockets) != len(agent_ids):
        raise SystemExit(f"agents could not connect: {agents.failures}")
    agent_socket = dict(zip(agent_ids, agents.sockets, strict=True))
    drains = readers_start(agents.sockets, lambda frame: (), Listener())
    await asyncio.sleep(2)
    result.rss_idle_mb = rss_mb(pid)
    opened = await sockets_open([f"{base}/ws/chat/visitor/"] * options.visitors,
                                concurrency=options.concurrency,
                                headers={"Origin": SHOP_ORIGIN})
    ready = await visitors_hello(opened.sockets, world.tokens[: len(opened.sockets)])
    result.held, result.failures, result.open_seconds = ready, opened.failures, opened.seconds
    if ready < len(opened.sockets):
        result.failures["no ready after hello"] = len(opened.sockets) - ready
    await asyncio.sleep(2)
    result.rss_held_mb = rss_mb(pid)
    listener = Listener(result.fixed)
    readers = readers_start(opened.sockets, entry_markers, listener)

    async def send(index: int, marker: str) -> None:
        conversation, agent = world.chats[index % len(world.chats)]
        await agent_socket[agent].send(json.dumps({
            "type": "send", "conversation": conversation, "client_id": marker, "text": marker,
        }))

    # Throughput first: closed-loop, so it leaves no backlog behind. A fixed rate above what
    # the server sustains does (frames queue in the server), so it comes last.
    prefix = f"m{os.getpid()}x"
    busy = listener.tracker = Tracker()
    result.throughput = await saturate(send, busy, in_flight=options.in_flight,
                                       seconds=options.seconds, prefix=prefix + "s",
                                       drain_seconds=30)
    listener.tracker = result.fixed
    await fixed_rate(send, result.fixed, rate=options.rate, seconds=options.seconds,
                     prefix=prefix + "f", drain_seconds=30)
    result.fixed_sent = int(options.rate * options.seconds)
    for task in readers + drains:
        task.cancel()
    await sockets_close(opened.sockets + agents.sockets)
    return result


def chat_run(options: Options, log_dir: Path) -> PhaseResult:
    port = free_port()
    database_url = options.database_url or f"sqlite:///{log_dir / 'chat.sqlite3'}"
    env = {
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "storedesk.settings",
        "STOREDESK_MODE": "development",
        "STOREDESK_DEBUG": "false",
        "STOREDESK_ALLOWED_HOSTS": "127.0.0.1",
        "STOREDESK_LOG_LEVEL": "WARNING",
        "STOREDESK_SECRET_KEY": secrets.token_urlsafe(40),
        "STOREDESK_VAR_DIR": str(log_dir),
        "PORT": str(port),
    }
    database_reset(database_url)
    django_setup(env)
    print(f"  setting up {options.visitors:,} visitor sessions and their chats ...", flush=True)
    started = time.perf_counter()
    world = world_create(visitors=options.visitors, agents=options.agents)
    print(f"  {len(world.chats):,} chats with {len(world.agent_cookies)} agents "
          f"in {time.perf_counter() - started:.0f}s", flush=True)
    profile = service_profile(world, rounds=100) if options.profile else []
    print("\n".join(profile))
    server_env = {**os.environ, **env, "REDIS_URL": options.redis_url,
                  # A fresh namespace: groups left in Redis by an earlier run stay out of it.
                  "STOREDESK_REDIS_PREFIX": f"chatbench{os.getpid()}"}
    command = [sys.executable, "-m", "storedesk", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--no-worker"]
    with running_server(command, server_env, port, log_dir / "chat.log") as process:
        result = uvloop.run(chat_measure(options, world, port, process.pid))
    result.profile = profile
    result.notes.append(f"server: `python -m storedesk serve --no-worker`, database "
                        f"{database_url.split('://')[0]}, Redis Pub/Sub channel layer")
    return result


# --- Reporting -----------------------------------------------------------------------------


def phase_lines(result: PhaseResult) -> list[str]:
    failures = ", ".join(f"{name} {count}" for name, count in result.failures.items()) or "none"
    lost = result.fixed_sent - result.fixed.delivered
    return [
        f"{result.label}: {result.held:,}/{result.wanted:,} sockets held "
        f"(opened in {result.open_seconds:.1f}s; failures: {failures})",
        f"  RSS {result.rss_idle_mb:.0f} MB idle -> {result.rss_held_mb:.0f} MB held: "
        f"{result.kb_per_connection:.1f} KB per connection",
        f"  fixed rate: {result.fixed.delivered:,}/{result.fixed_sent:,} delivered "
        f"({lost} lost, {result.fixed.send_errors} send errors); "
        f"p50 {result.latency(50):.1f} ms, p99 {result.latency(99):.1f} ms, "
        f"max {max(result.fixed.latencies, default=float('nan')):.1f} ms",
        f"  throughput: {result.throughput:,.0f} messages/s delivered",
        *(f"  {note}" for note in result.notes),
    ]


def report_markdown(options: Options, results: dict[str, PhaseResult]) -> str:
    begin, end = section_markers(RESULTS_NAME)
    echo, chat = results.get("echo"), results.get("chat")

    def cells(name: str, value: Callable[[PhaseResult], float], fmt: str) -> str:
        shown = [format(value(r), fmt) if r else "n/a" for r in (echo, chat)]
        ratio = f"{value(chat) / value(echo):.2f}" if echo and chat and value(echo) else "n/a"
        return f"| {name} | {shown[0]} | {shown[1]} | {ratio} |"

    def delivered(result: PhaseResult) -> float:
        return result.fixed.delivered / result.fixed_sent if result.fixed_sent else 0.0

    lines = [
        begin,
        "## Live chat (`bench/chat.py`)",
        "",
        "One server process; the load generator (one asyncio process, `websockets` client)",
        "shares the machine. The baseline is a bare ASGI websocket echo served by the same",
        "uvicorn with the same websocket implementation (`bench/chat_echo.py`). In the chat,",
        "agents send over the agent socket (`/ws/chat/agent/`) and the latency is from the",
        "send to the visitor's socket receiving the entry, through the service (a database",
        "write), the Redis Pub/Sub channel layer and the visitor consumer (which forwards the",
        "entry the `chat.entry` event carries, without a database read).",
        "Targets: 5,000 visitors held; p99 < 100 ms at 500 msg/s; delivery rate >= 1/4 of echo.",
        "",
        f"- Command: `{options.command}`",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} CPUs, "
        f"{platform.machine()}, Python {platform.python_version()}; load average at the end "
        f"{os.getloadavg()[0]:.1f} (the machine is shared)",
        f"- Visitors {options.visitors:,}, agents {options.agents} (capacity {CAPACITY}), "
        f"fixed rate {options.rate:g} msg/s for {options.seconds:g}s, "
        f"throughput with {options.in_flight} messages in flight",
        *(f"- {note}" for r in results.values() for note in r.notes),
        "",
        "| measure | echo (baseline) | chat | chat / echo |",
        "|---|---:|---:|---:|",
        cells("sockets held", lambda r: r.held, ",.0f"),
        cells("server RSS per socket, KB", lambda r: r.kb_per_connection, ".1f"),
        cells(f"delivered at {options.rate:g} msg/s, share", delivered, ".3f"),
        cells(f"p50 latency at {options.rate:g} msg/s, ms", lambda r: r.latency(50), ".1f"),
        cells(f"p99 latency at {options.rate:g} msg/s, ms", lambda r: r.latency(99), ".1f"),
        cells("throughput, msg/s delivered", lambda r: r.throughput, ",.0f"),
        "",
        "```",
        *(line for r in results.values() for line in phase_lines(r)),
        "```",
        *(["", "Where a message's time goes (in process, the server's database work; "
           "`--profile`):", "", "```", *chat.profile, "```"] if chat and chat.profile else []),
        "",
        end,
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    options = parse_options(argv)
    limit = fd_limit_raise(2 * options.visitors + 1024)
    print(f"Open-file limit: {limit}")
    log_dir = Path(tempfile.mkdtemp(prefix="storedesk-chat-bench-"))
    results: dict[str, PhaseResult] = {}
    if "echo" in options.phases:
        results["echo"] = echo_run(options, log_dir)
        print("\n".join(phase_lines(results["echo"])))
    if "chat" in options.phases:
        results["chat"] = chat_run(options, log_dir)
        print("\n".join(phase_lines(results["chat"])))
    if options.results is not None:
        results_write(options.results, report_markdown(options, results), RESULTS_NAME)
        print(f"Wrote {options.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
