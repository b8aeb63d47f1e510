"""The steps a planned conversation is made of; play.py turns each into one service call.

Agents are named by username and everything else by value, so a plan needs no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from storedesk.demo.threads import FileKind


@dataclass(frozen=True)
class Open:
    subject: str
    text: str
    file: FileKind
    cc: tuple[str, ...]
    demo_key: str


@dataclass(frozen=True)
class Receive:
    text: str


@dataclass(frozen=True)
class Reply:
    agent: str
    text: str
    file: FileKind = FileKind.NONE


@dataclass(frozen=True)
class Note:
    agent: str
    text: str


@dataclass(frozen=True)
class Assign:
    agent: str
    actor: str


@dataclass(frozen=True)
class SetTags:
    tags: tuple[str, ...]
    actor: str


@dataclass(frozen=True)
class SetPriority:
    priority: str
    actor: str


@dataclass(frozen=True)
class Transition:
    status: str
    actor: str | None  # None: the system (closing after a quiet period)


@dataclass(frozen=True)
class BlockSender:
    actor: str


@dataclass(frozen=True)
class Snooze:
    hours: float  # from the moment the demo is loaded
    actor: str


Action = (
    Open | Receive | Reply | Note | Assign | SetTags | SetPriority | Transition | BlockSender
    | Snooze
)
