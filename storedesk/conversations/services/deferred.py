"""Rows that nobody reads back before commit, inserted together at the end of a block.

Mail intake batches (`storedesk.mail.intake_batch`) open a conversation per mail, and each
opening writes rows that no later step of the batch reads: the requester's Participant,
the CREATED event, the acknowledgement's outbox row. Inside `inserts_deferred` they are
collected and written with one INSERT per table when the outermost block ends, still
inside the caller's transaction, so they commit (or roll back) with everything else.

Blocks nest like savepoints: an inner block that ends by an exception drops its rows (the
savepoint around it rolled back the rows they point at); one that ends normally hands them
to the block around it. Enter the block inside the atomic block it belongs to, so an
exception leaves the block before the savepoint rolls back. Outside any block,
`insert_or_defer` inserts at once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Model

from storedesk.core.inserts import rows_insert

_M = TypeVar("_M", bound=Model)


@dataclass
class _Frame:
    rows: list[Model] = field(default_factory=list)
    # Run once the rows have their primary keys (e.g. enqueue a task for a row).
    after: list[Callable[[], None]] = field(default_factory=list)


_frames: ContextVar[tuple[_Frame, ...]] = ContextVar("inserts_deferred", default=())


@contextlib.contextmanager
def inserts_deferred() -> Iterator[None]:
    """Collect `insert_or_defer` rows inside; the outermost block inserts them at its end."""
    frame = _Frame()
    outer = _frames.get()
    token = _frames.set((*outer, frame))
    try:
        yield
    finally:
        _frames.reset(token)
    # Not reached when the block raised: its rows are dropped with their savepoint.
    if outer:
        outer[-1].rows += frame.rows
        outer[-1].after += frame.after
    else:
        _flush(frame)


def insert_or_defer(row: _M, *, after: Callable[[_M], None] | None = None) -> _M:
    """Insert `row` now, or at the end of the open `inserts_deferred` block (then its pk is
    None until then). `after(row)` runs once the row has its primary key."""
    frames = _frames.get()
    if not frames:
        row.save(force_insert=True)
        if after is not None:
            after(row)
        return row
    frames[-1].rows.append(row)
    if after is not None:
        frames[-1].after.append(lambda: after(row))
    return row


def rows_deferred(model: type[_M]) -> list[_M]:
    """The rows of `model` waiting in the open blocks (for counts that must include them)."""
    return [row for frame in _frames.get() for row in frame.rows if isinstance(row, model)]


def _flush(frame: _Frame) -> None:
    by_model: dict[type[Model], list[Model]] = {}
    for row in frame.rows:
        by_model.setdefault(type(row), []).append(row)
    for rows in by_model.values():
        rows_insert(rows)
    for callback in frame.after:
        callback()
