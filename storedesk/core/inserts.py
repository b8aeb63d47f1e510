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
"""

from __future__ import annotations

from functools import cache
from typing import TypeVar

from django.db import connections, models, router
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


def _insert(row: M, *, unique: tuple[str, ...]) -> M | None:
    model = type(row)
    if model.save is not models.Model.save or model._meta.parents or _has_save_receivers(model):
        raise TypeError(f"{model._meta.label}: row_insert would skip its save logic or parents")
    alias = router.db_for_write(model, instance=row)
    connection = connections[alias]
    fields, sql = _statement(model, alias, unique)
    params = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchone()
    if returned is None:
        return None
    row.pk = returned[0]
    row._state.adding, row._state.db = False, alias
    return row


def _has_save_receivers(model: type[models.Model]) -> bool:
    """Whether a pre_save or post_save receiver would miss rows that row_insert writes."""
    return pre_save.has_listeners(model) or post_save.has_listeners(model)


@cache
def _statement(
    model: type[models.Model], alias: str, unique: tuple[str, ...]
) -> tuple[list[models.Field], str]:  # type: ignore[type-arg]
    meta, connection = model._meta, connections[alias]
    fields = [field for field in meta.local_concrete_fields if field is not meta.auto_field]
    quote = connection.ops.quote_name
    returning, _ = connection.ops.return_insert_columns([meta.pk])
    # Identifiers quoted by the backend; the values are placeholders.
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    conflict = ""
    if unique:
        column_of = {field.name: field.column for field in fields}
        targets = ", ".join(quote(column_of[name]) for name in unique)
        conflict = f"ON CONFLICT ({targets}) DO NOTHING "
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders}) "  # noqa: S608
        f"{conflict}{returning}"
    )
    return fields, sql
