"""Which conversation an inbound mail continues, in layers from strongest to weakest.

1. Message-IDs: In-Reply-To, then References from the newest, naming one of our outbound
   mails (its conversation) or an earlier mail delivered to this inbox (its message's).
2. A reply token in a recipient's plus-address (support+T4Q9X@shop.example).
3. `[#1042]` in the subject, only when the sender takes part in conversation 1042: a
   number is easy to guess, a Message-ID or token is not.

Only conversations of the inbox's brand count; a merged conversation resolves to the one it
was merged into. None means a new conversation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Q

from storedesk.conversations.models import Conversation, Message, Participant
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox
from storedesk.mail.models import OutboundEmail, RawEmail, RawEmailDelivery, ReplyToken

if TYPE_CHECKING:
    from storedesk.mail.mime import ParsedEmail

# Merges are rarely chained; the bound only guards against a cycle in bad data.
MERGE_HOPS_MAX = 10
_SUBJECT_NUMBER = re.compile(r"\[#(\d{1,12})\]")
_Finder = Callable[["ParsedEmail", Inbox, Customer], "int | None"]


def thread_find(*, parsed: ParsedEmail, inbox: Inbox, customer: Customer) -> Conversation | None:
    """The conversation of `inbox`'s brand this mail continues, or None. Reads only."""
    finders: tuple[_Finder, ...] = (_by_message_ids, _by_reply_token, _by_subject_number)
    for finder in finders:
        conversation_id = finder(parsed, inbox, customer)
        if conversation_id is not None:
            return _merge_target(conversation_id, inbox)
    return None


def message_id_variants(ids: Iterable[str]) -> list[str]:
    """Each id bare and in angle brackets, so rows stored either way match."""
    variants = []
    for value in ids:
        bare = value.strip().strip("<>")
        if bare:
            variants += [bare, f"<{bare}>"]
    return variants


def _referenced_ids(parsed: ParsedEmail) -> list[str]:
    """The ids a reply names, the direct parent first (In-Reply-To, then References reversed)."""
    ordered: list[str] = []
    for value in [*parsed.in_reply_to, *reversed(parsed.references)]:
        bare = value.strip().strip("<>")
        if bare and bare not in ordered:
            ordered.append(bare)
    return ordered


def _by_message_ids(parsed: ParsedEmail, inbox: Inbox, customer: Customer) -> int | None:
    ids = _referenced_ids(parsed)
    if not ids:
        return None
    variants = message_id_variants(ids)
    found: dict[str, int] = {}
    outbound = _outbound_conversations(inbox, variants)
    earlier = _inbound_conversations(inbox, variants)
    # Earlier inbound rows first so our own outbound rows win a tie on the same id.
    for message_id, conversation_id in [*earlier, *outbound]:
        if conversation_id is not None:
            found[message_id.strip("<>")] = conversation_id
    return next((found[i] for i in ids if i in found), None)


def _outbound_conversations(inbox: Inbox, message_ids: list[str]) -> list[tuple[str, int]]:
    """(Message-ID, conversation) of our own mails with these ids, in `inbox`'s brand.

    Driven by the ids' unique index, the brand compared here: as a join filtered by brand,
    PostgreSQL without statistics read every conversation of the brand for each reply
    (bench/ingest.py: PostgreSQL slowed from 110 to 65 mails a second over 20,000).
    """
    rows = _rows_for_ids(
        f"""SELECT o.header_message_id, o.conversation_id, c.brand_id
        FROM {OutboundEmail._meta.db_table} o
        JOIN {Conversation._meta.db_table} c ON c.id = o.conversation_id
        WHERE o.header_message_id IN ({{ids}})""",  # noqa: S608 (table names and placeholders)
        message_ids,
    )
    return [(message_id, pk) for message_id, pk, brand in rows if brand == inbox.brand_id]


def _inbound_conversations(inbox: Inbox, message_ids: list[str]) -> list[tuple[str, int]]:
    """(Message-ID, conversation) of the mails with these ids that reached `inbox`.

    Driven by the mails' Message-ID index, the inbox compared here: with the inbox in the
    query, planners without fresh statistics (SQLite never has any; PostgreSQL before
    autovacuum's analyze) started from the inbox and read every delivery it ever had, so
    each reply cost more than the last.
    """
    rows = _rows_for_ids(
        f"""SELECT r.header_message_id, m.conversation_id, d.inbox_id
        FROM {RawEmail._meta.db_table} r
        JOIN {RawEmailDelivery._meta.db_table} d ON d.raw_email_id = r.id
        JOIN {Message._meta.db_table} m ON m.id = d.message_id
        WHERE r.header_message_id IN ({{ids}})""",  # noqa: S608 (table names and placeholders)
        message_ids,
    )
    return [(message_id, pk) for message_id, pk, inbox_id in rows if inbox_id == inbox.pk]


def _rows_for_ids(sql: str, message_ids: list[str]) -> list[tuple[str, int, int]]:
    """Rows of `sql` with `{ids}` the placeholders for `message_ids`. Raw SQL: each reply runs
    these, and Django's compiling of the same lookups cost more than running them."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(ids=", ".join(["%s"] * len(message_ids))), message_ids)
        rows: list[tuple[str, int, int]] = cursor.fetchall()
    return rows


def _plus_tags(addresses: Iterable[str]) -> set[str]:
    tags = set()
    for address in addresses:
        local, at, _domain = address.strip().strip("<>").rpartition("@")
        if at and "+" in local:
            tag = local.split("+", 1)[1]
            if tag:
                tags |= {tag, tag.upper(), tag.lower()}
    return tags


def _by_reply_token(parsed: ParsedEmail, inbox: Inbox, customer: Customer) -> int | None:
    tags = _plus_tags([*parsed.to, *parsed.cc])
    if not tags:
        return None
    return (
        ReplyToken.objects.filter(token__in=tags, conversation__brand_id=inbox.brand_id)
        .values_list("conversation_id", flat=True)
        .first()
    )


def _by_subject_number(parsed: ParsedEmail, inbox: Inbox, customer: Customer) -> int | None:
    match = _SUBJECT_NUMBER.search(parsed.subject or "")
    if match is None:
        return None
    # The requester, or anyone added as a participant (CC).
    takes_part = Q(customer=customer) | Q(
        pk__in=Participant.objects.filter(customer=customer).values("conversation_id")
    )
    return (
        Conversation.objects.filter(number=int(match.group(1)), brand_id=inbox.brand_id)
        .filter(takes_part)
        .values_list("pk", flat=True)
        .first()
    )


def _merge_target(conversation_id: int, inbox: Inbox) -> Conversation | None:
    conversation = _conversation(conversation_id)
    hops = 0
    while conversation is not None and conversation.merged_into_id is not None:
        hops += 1
        if hops > MERGE_HOPS_MAX:
            return None
        conversation = _conversation(conversation.merged_into_id)
    if conversation is None or conversation.brand_id != inbox.brand_id:
        return None
    return conversation


def _conversation(pk: int) -> Conversation | None:
    # Raw, as _rows_for_ids: compiling the ORM's lookup cost five times running it.
    sql = f"SELECT * FROM {Conversation._meta.db_table} WHERE id = %s"  # noqa: S608 (table)
    return next(iter(Conversation.objects.raw(sql, [pk])), None)
