"""Creating and filling the inbox benchmark's database: reference data by the ORM,
the bulk by INSERT ... SELECT, indexes rebuilt after."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from harness import ROOT, database_name, step, with_database
from inbox_sql import (
    CONVERSATIONS_SQL,
    CUSTOMERS_SQL,
    EMAIL_DOMAINS,
    EVENTS_SQL,
    FIRST_NAMES,
    LAST_NAMES,
    MESSAGES_SQL,
    PARTICIPANTS_SQL,
    TAGS,
    TAGS_SQL,
    functions_sql,
)
from psycopg import sql

RESULTS_PATH = ROOT / "bench" / "RESULTS.md"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/storedesk_bench"
# Reference data made through the ORM. The benchmark agent works in BENCH_TEAM only.
BRANDS = [("Nordic Home", "nordic-home"), ("Pixel Toys", "pixel-toys"), ("Green Garden", "garden")]
CHANNELS = ["email", "web_form", "chat", "phone"]
TEAMS = ["Front line", "Billing", "Shipping", "Returns"]
BENCH_TEAM = "Shipping"
BENCH_AGENT = "bench-agent"
AGENTS_PER_TEAM = 10

# Reference data made through the ORM. The benchmark agent works in BENCH_TEAM only.


# --- Options and small helpers -------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    database_url: str
    conversations: int
    messages_per_conversation: int
    customers: int
    reuse: bool
    requests: int
    warmup: int
    explain: bool
    server: str
    results: Path
    command: str


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--messages-per-conversation", type=int, default=3)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it already has these rows"
    )
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per page first")
    parser.add_argument(
        "--explain", action="store_true",
        help="print every query of each page with EXPLAIN ANALYZE (in-process, before the run)",
    )
    parser.add_argument(
        "--server", choices=["auto", "serve", "uvicorn"], default="auto",
        help="`storedesk serve --no-worker` (auto, when it exists) or plain uvicorn",
    )
    parser.add_argument("--results", type=Path, default=RESULTS_PATH)
    args = parser.parse_args(argv)
    if args.conversations < 1 or args.messages_per_conversation < 1 or args.customers < 2:
        parser.error("need at least one conversation and message, and two customers")
    return Options(
        database_url=args.database_url,
        conversations=args.conversations,
        messages_per_conversation=args.messages_per_conversation,
        customers=args.customers,
        reuse=args.reuse,
        requests=args.requests,
        warmup=args.warmup,
        explain=args.explain,
        server=args.server,
        results=args.results,
        command=" ".join(["python", "bench/inbox.py", *argv]),
    )


# --- Database: create, migrate, fill -------------------------------------------------------


def database_prepare(options: Options) -> bool:
    """Create (or keep, with --reuse) the bench database; True when it must be filled."""
    name = database_name(options.database_url)
    admin_url = with_database(options.database_url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and options.reuse and database_is_filled(options):
            print(f"Reusing {name}: it already holds the requested rows.")
            return False
        if exists:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def database_is_filled(options: Options) -> bool:
    expected = {
        "conversations_conversation": options.conversations,
        "conversations_message": options.conversations * options.messages_per_conversation,
        "customers_customer": options.customers,
    }
    try:
        with psycopg.connect(options.database_url) as conn:
            for table, rows in expected.items():
                query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                row = conn.execute(query).fetchone()
                if row is None or row[0] != rows:
                    return False
            agent = conn.execute(
                "SELECT 1 FROM accounts_user WHERE username = %s", (BENCH_AGENT,)
            ).fetchone()
            return agent is not None
    except psycopg.Error:
        return False


def django_setup(options: Options, secret_key: str) -> None:
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storedesk.settings")
    os.environ["STOREDESK_MODE"] = "development"
    os.environ["STOREDESK_DEBUG"] = "false"
    os.environ["STOREDESK_SECRET_KEY"] = secret_key
    os.environ["STOREDESK_ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["STOREDESK_LOG_LEVEL"] = "WARNING"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@dataclass(frozen=True)
class ReferenceData:
    team_ids: list[int]
    inboxes: list[tuple[int, int, str, int, str]]  # id, brand id, channel, team index, brand name
    agents: list[tuple[int, int, int, str]]  # team index, position, id, first name
    tag_ids: list[int]


def reference_data_create() -> ReferenceData:
    """Brands, teams, inboxes, agents and tags: few rows, so through the ORM."""
    from django.contrib.auth.hashers import make_password

    from storedesk.accounts.enums import Role
    from storedesk.accounts.models import Team, User
    from storedesk.brands.models import Brand
    from storedesk.conversations.models import Tag
    from storedesk.inboxes.models import Inbox

    teams = [Team.objects.create(name=name) for name in TEAMS]
    brands = [Brand.objects.create(name=name, slug=slug) for name, slug in BRANDS]
    inboxes = []
    for b, brand in enumerate(brands):
        for c, channel in enumerate(CHANNELS):
            team_index = (b + c) % len(teams)
            inbox = Inbox.objects.create(
                brand=brand, name=channel.replace("_", " ").title(), channel=channel,
                team=teams[team_index],
            )
            inboxes.append((inbox.pk, brand.pk, channel, team_index, brand.name))
    password = make_password(secrets.token_urlsafe(16))  # nobody signs in with it
    agents = []
    for t, team in enumerate(teams):
        for position in range(AGENTS_PER_TEAM):
            first = FIRST_NAMES[(t * AGENTS_PER_TEAM + position) % len(FIRST_NAMES)]
            user = User.objects.create(
                username=f"agent-{t}-{position}", email=f"agent-{t}-{position}@desk.example",
                first_name=first, last_name=LAST_NAMES[position], password=password,
            )
            team.members.add(user)
            agents.append((t, position, user.pk, first))
    for i in range(2):
        User.objects.create(
            username=f"admin-{i}", email=f"admin-{i}@desk.example", role=Role.ADMIN,
            password=password,
        )
    bench_team = teams[TEAMS.index(BENCH_TEAM)]
    bench_agent = User.objects.create(
        username=BENCH_AGENT, email="bench-agent@desk.example", display_name="Bench Agent",
        password=password,
    )
    bench_team.members.add(bench_agent)
    tags = [Tag.objects.create(name=name) for name in TAGS]
    return ReferenceData(
        team_ids=[team.pk for team in teams], inboxes=inboxes, agents=agents,
        tag_ids=[tag.pk for tag in tags],
    )


# Deterministic pseudo-random numbers in [0, 1) from (row id, salt), and the text templates,
# as session-local SQL functions that PostgreSQL inlines into the INSERT ... SELECTs.


BULK_TABLES = [
    "conversations_conversation",
    "conversations_message",
    "conversations_conversationevent",
    "conversations_participant",
    "conversations_conversation_tags",
]
IDENTITY_TABLES = [
    *BULK_TABLES, "customers_customer", "customers_customeridentity",
]


@dataclass
class DroppedSchema:
    """What was dropped for the load, to re-create after it."""

    indexes: list[str] = field(default_factory=list)  # CREATE [UNIQUE] INDEX statements
    unique_constraints: list[tuple[str, str, str]] = field(default_factory=list)  # table, name
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)  # table, name, def


def drop_secondary_schema(conn: psycopg.Connection[Any], tables: Sequence[str]) -> DroppedSchema:
    dropped = DroppedSchema()
    for table in tables:
        for name, definition in conn.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'f'""",
            (table,),
        ).fetchall():
            dropped.foreign_keys.append((table, name, definition))
    for table in tables:
        for name, index_sql, deferrable in conn.execute(
            """SELECT conname, pg_get_indexdef(conindid), condeferrable FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'u'""",
            (table,),
        ).fetchall():
            if deferrable:
                raise SystemExit(f"{name}: deferrable unique constraints are not handled")
            dropped.unique_constraints.append((table, name, index_sql))
        for (index_sql,) in conn.execute(
            """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index AS i
               WHERE i.indrelid = %s::regclass AND NOT EXISTS (
                   SELECT 1 FROM pg_constraint AS c
                   WHERE c.conrelid = i.indrelid AND c.conindid = i.indexrelid)""",
            (table,),
        ).fetchall():
            dropped.indexes.append(index_sql)
    for table, name, _definition in dropped.foreign_keys:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for table, name, _index_sql in dropped.unique_constraints:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for index_sql in dropped.indexes:
        name = index_sql.split(" INDEX ", 1)[1].split(" ON ", 1)[0]
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return dropped


def recreate_secondary_schema(url: str, dropped: DroppedSchema) -> None:
    """Indexes on two connections (GIN, the slowest, first), then constraints on top."""
    unique_indexes = [index_sql for _table, _name, index_sql in dropped.unique_constraints]
    statements = [*dropped.indexes, *unique_indexes]
    statements.sort(key=lambda statement: " USING gin " not in statement)

    def build(statement: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute(statement.encode())

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(build, statement) for statement in statements]:
            future.result()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for table, name, _index_sql in dropped.unique_constraints:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {}").format(
                    sql.Identifier(table), sql.Identifier(name), sql.Identifier(name)
                )
            )
        for table, name, definition in dropped.foreign_keys:
            conn.execute(
                sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    sql.Identifier(table), sql.Identifier(name)
                )
                + sql.SQL(definition)
            )


def database_fill(options: Options) -> dict[str, int]:
    from django.core.management import call_command
    from django.db import connection

    fill_started = time.perf_counter()
    print(f"Filling {database_name(options.database_url)}:")
    with step("migrate"):
        call_command("migrate", verbosity=0)
    with step("brands, teams, inboxes, agents and tags (ORM)"):
        reference = reference_data_create()
    connection.close()

    with psycopg.connect(options.database_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET work_mem = '256MB'")
        conn.execute(functions_sql())
        reference_tables_create(conn, reference)
        with step("drop secondary indexes and foreign keys"):
            dropped = drop_secondary_schema(conn, BULK_TABLES)
        params: dict[str, Any] = {
            "now": datetime.now(UTC),
            "conversations": options.conversations,
            "messages": options.messages_per_conversation,
            "customers": options.customers,
            "inboxes": len(reference.inboxes),
            "teams": len(reference.team_ids),
            "agents_per_team": AGENTS_PER_TEAM,
            "tags": len(reference.tag_ids),
            "first": FIRST_NAMES,
            "last": LAST_NAMES,
            "domains": EMAIL_DOMAINS,
        }
        for label, statements in [
            (f"{options.customers:,} customers with email identities", CUSTOMERS_SQL),
            (f"{options.conversations:,} conversations", CONVERSATIONS_SQL),
            ("messages", MESSAGES_SQL),
            ("events", EVENTS_SQL),
            ("participants", PARTICIPANTS_SQL),
            ("tags", TAGS_SQL),
        ]:
            with step(label):
                for statement in statements.split(";\n\n"):
                    conn.execute(statement.encode(), params, prepare=False)
        with step("re-create indexes and foreign keys"):
            recreate_secondary_schema(options.database_url, dropped)
        with step("identity sequences and the conversation counter"):
            for table in IDENTITY_TABLES:
                conn.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence({t}, 'id'), "
                        "(SELECT coalesce(max(id), 0) + 1 FROM {i}), false)"
                    ).format(t=sql.Literal(table), i=sql.Identifier(table))
                )
            conn.execute(
                "UPDATE conversations_conversationcounter SET value = "
                "(SELECT coalesce(max(number), 1000) FROM conversations_conversation) WHERE id = 1"
            )
        with step("VACUUM ANALYZE"):
            conn.execute("VACUUM (ANALYZE)")
    print(f"Filled in {time.perf_counter() - fill_started:.0f}s.")
    return row_counts(options.database_url)


def reference_tables_create(conn: psycopg.Connection[Any], reference: ReferenceData) -> None:
    """Temporary lookup tables for the fill's joins (k and position are 0-based or 1-based
    to match how the SQL draws them)."""
    conn.execute(
        "CREATE TEMP TABLE bench_inbox (k int PRIMARY KEY, id bigint, brand_id bigint, "
        "channel text, team_k int, brand_name text)"
    )
    conn.execute("CREATE TEMP TABLE bench_team (k int PRIMARY KEY, id bigint)")
    conn.execute(
        "CREATE TEMP TABLE bench_agent (team_k int, position int, id bigint, first_name text, "
        "PRIMARY KEY (team_k, position))"
    )
    conn.execute("CREATE TEMP TABLE bench_tag (k int PRIMARY KEY, id bigint)")
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO bench_inbox VALUES (%s, %s, %s, %s, %s, %s)",
            [(k + 1, *inbox) for k, inbox in enumerate(reference.inboxes)],
        )
        cursor.executemany(
            "INSERT INTO bench_team VALUES (%s, %s)", list(enumerate(reference.team_ids))
        )
        cursor.executemany("INSERT INTO bench_agent VALUES (%s, %s, %s, %s)", reference.agents)
        cursor.executemany(
            "INSERT INTO bench_tag VALUES (%s, %s)", list(enumerate(reference.tag_ids))
        )
    conn.execute("ANALYZE bench_inbox, bench_team, bench_agent, bench_tag")


def row_counts(url: str) -> dict[str, int]:
    tables = [*IDENTITY_TABLES]
    with psycopg.connect(url) as conn:
        counts = {}
        for table in tables:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()
            counts[table] = int(row[0]) if row else 0
        return counts
