"""Threads on the SQLite test database: its table locks fail at once.

The test database is in memory with a shared cache, whose locks fail at once ("database
table is locked", "database schema is locked") instead of waiting on the busy timeout as
the file database of a real install does; retrying stands in for that wait. PostgreSQL
never needs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

T = TypeVar("T")


def retrying_shared_cache_locks(read_or_write: Callable[[], T]) -> T:
    for _ in range(200):
        try:
            return read_or_write()
        except OperationalError as exc:
            if connection.vendor != "sqlite" or "locked" not in str(exc):
                raise
            time.sleep(0.01)
    raise AssertionError("still locked")
