"""`row_insert`: Model.save(force_insert=True) for rows written on a hot path.

Building an INSERT is most of what saving a new row costs in Python: Django compiles the
statement anew for every row (quoting each column, assembling placeholders) before the
fields prepare their values. A chat line and a mail's message are one such row each, and on
SQLite that compilation was about a fifth of a chat line's time on the database thread
(bench/chat.py). `row_insert` compiles the statement once per model and database and
prepares the values exactly as Django's compiler does (`pre_save` and `get_db_prep_save` of
each field), so defaults, auto_now and JSON adaptation behave the same.

What it leaves out, so it is only for models that need none of it: an overridden save(),
pre_save and post_save receivers and multi-table inheritance (it refuses a model with any
of these), database defaults and expressions as values. Used for messages, conversations,
customers and their email identities, raw emails and their deliveries, and outbound mail.

`row_insert_unless_taken` is the same INSERT with ON CONFLICT DO NOTHING on one unique
constraint: where a duplicate is expected (mail stored twice, a customer created by two
mails at once), the constraint still decides, and no savepoint is needed to recover from
its IntegrityError (a SAVEPOINT and a RELEASE per mail in intake).

`rows_insert` writes several rows of a model with one multi-row INSERT, as bulk_create
does, minus bulk_create's compiling of every value of every row (a mail batch's deferred
events, requesters and acknowledgements: 5% of the intake's time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=models.Model)


def row_insert(row: M) -> M:
    """Insert `row` (a new instance), set its primary key and mark it saved; returns it."""
    inserted = _insert(row, unique=())
    assert inserted is not None  # noqa: S101 (no ON CONFLICT clause: a conflict raises)
    return inserted


def row_insert_unless_taken(row: M, *, unique: tuple[str, ...]) -> M | None:
    """row_insert, or None (nothing written, `row` unsaved) when a row with the same values
    in `unique`, the fields of one of the model's unique constraints, exists.

    On PostgreSQL a conflict with a row another transaction has not committed yet waits for
    it, as the IntegrityError would: a None means the other row is there to be read.
    """
    return _insert(row, unique=unique)


def rows_insert(rows: Sequence[M]) -> None:
    """row_insert for rows of one model, with one INSERT per batch of rows the database
    takes at once; sets each row's primary key (the database returns them in order)."""
    if not rows:
        return
    model = type(rows[0])
    _refuse_save_logic(model)
    alias = router.db_for_write(model, instance=rows[0])
    connection = connections[alias]
    statement = _statement(model, alias, ())
    batch_size = connection.ops.bulk_batch_size(statement.fields, rows)
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        params = [value for row in batch for value in _values(row, statement, connection)]
        with connection.cursor() as cursor:
            cursor.execute(statement.sql(len(batch)), params)
            returned = cursor.fetchall()
        for row, (pk,) in zip(batch, returned, strict=True):
            _saved(row, pk, alias)


def _insert(row: M, *, unique: tuple[str, ...]) -> M | None:
    model = type(row)
    _refuse_save_logic(model)
    alias = router.db_for_write(model, instance=row)
    connection = connections[alias]
    statement = _statement(model, alias, unique)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql(1), _values(row, statement, connection))
        returned = cursor.fetchone()
    if returned is None:
        return None
    return _saved(row, returned[0], alias)


def _refuse_save_logic(model: type[models.Model]) -> None:
    if model.save is not models.Model.save or model._meta.parents or _has_save_receivers(model):
        raise TypeError(f"{model._meta.label}: row_insert would skip its save logic or parents")


def _has_save_receivers(model: type[models.Model]) -> bool:
    """Whether a pre_save or post_save receiver would miss rows that row_insert writes."""
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


def _values(
    row: models.Model, statement: _Statement, connection: BaseDatabaseWrapper
) -> list[Any]:
    # As Django's compiler prepares them: defaults, auto_now and JSON adaptation alike.
    fields = statement.fields
    return [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]


def _saved(row: M, pk: object, alias: str) -> M:
    row.pk = pk
    row._state.adding, row._state.db = False, alias
    return row


@dataclass(frozen=True)
class _Statement:
    fields: list[models.Field]  # type: ignore[type-arg]
    head: str  # INSERT INTO table (columns) VALUES
    row: str  # (%s, %s, ...)
    tail: str  # ON CONFLICT ... RETURNING ...

    def sql(self, rows: int) -> str:
        return f"{self.head} {', '.join([self.row] * rows)} {self.tail}"


@cache
def _statement(model: type[models.Model], alias: str, unique: tuple[str, ...]) -> _Statement:
    meta, connection = model._meta, connections[alias]
    fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
    quote = connection.ops.quote_name
    returning, _ = connection.ops.return_insert_columns([meta.pk])
    # Identifiers quoted by the backend; the values are placeholders.
    columns = ", ".join(quote(field.column) for field in fields)
    conflict = ""
    if unique:
        column_of = {field.name: field.column for field in fields}
        targets = ", ".join(quote(column_of[name]) for name in unique)
        conflict = f"ON CONFLICT ({targets}) DO NOTHING "
    return _Statement(
        fields=fields,
        head=f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES",  # noqa: S608
        row="(" + ", ".join(["%s"] * len(fields)) + ")",
        tail=f"{conflict}{returning}",
    )
