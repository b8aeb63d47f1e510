"""What a raw mail is before it is stored: its dedupe key (from a cheap Message-ID scan) and
which of the shop's addresses it was sent to. No MIME parsing: these run on any bytes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from email.utils import parseaddr

from django.db.models.functions import Lower

from storedesk.inboxes.models import InboxAddress
from storedesk.mail.intake_cache import intake_cache

# The header scan reads at most this much: a Message-ID further in is not a header.
HEADER_SCAN_BYTES = 256 * 1024

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID_LINE = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
_FROM_LINE = re.compile(rb"^from[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)
_ANGLE_ID = re.compile(r"<([^<>]*)>")


def message_id_scan(raw: bytes) -> str:
    """The normalised Message-ID (no angle brackets, no spaces) from a cheap header scan.

    Works on any bytes: no MIME parsing, junk gives "". Only the header block is read,
    so a "Message-ID:" line in a body or attached message is not mistaken for ours.
    """
    match = _MESSAGE_ID_LINE.search(_header_block(raw))
    if match is None:
        return ""
    value = match.group(1).decode("latin-1")
    bracketed = _ANGLE_ID.search(value)
    return message_id_normalize(bracketed.group(1) if bracketed else value)


def from_address_scan(raw: bytes) -> str:
    """The From address (lower-cased, "" if none) from the same cheap scan.

    A hint only, for reading a batch's senders with one query before parsing: the parsed
    mail decides who the sender is, and an address the hint got wrong is read on its own.
    """
    match = _FROM_LINE.search(_header_block(raw))
    if match is None:
        return ""
    return parseaddr(" ".join(match.group(1).decode("latin-1").split()))[1].strip().lower()


def _header_block(raw: bytes) -> bytes:
    head = raw[:HEADER_SCAN_BYTES]
    end = _HEADER_END.search(head)
    return head[: end.start()] if end else head


def message_id_normalize(value: str) -> str:
    return "".join(value.split()).strip("<>")


def dedupe_key_for(raw: bytes, message_id: str) -> str:
    if message_id:
        return "mid:" + hashlib.sha256(message_id.encode("utf-8", "surrogateescape")).hexdigest()
    return "raw:" + hashlib.sha256(raw).hexdigest()


def address_base(address: str) -> str:
    """`support+t4q9x@shop.example` -> `support@shop.example` (lower-cased)."""
    local, at, domain = address.strip().strip("<>").lower().rpartition("@")
    if not at:
        return domain
    return f"{local.split('+', 1)[0]}@{domain}"


def inbox_addresses_match(addresses: Iterable[str]) -> dict[str, InboxAddress]:
    """Which of `addresses` are ours: address (lower-cased) -> its InboxAddress.

    Case-insensitive; a plus-address matches its base address unless the plus-address
    itself is configured.
    """
    wanted = {a.strip().strip("<>").lower() for a in addresses if a and "@" in a}
    if not wanted:
        return {}
    cache = intake_cache()
    if cache is not None:
        known = cache.addresses()
    else:
        candidates = wanted | {address_base(a) for a in wanted}
        known = {
            row.email_lower: row
            for row in InboxAddress.objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=candidates)
            .select_related("inbox")
        }
    matches: dict[str, InboxAddress] = {}
    for address in wanted:
        row = known.get(address) or known.get(address_base(address))
        if row is not None:
            matches[address] = row
    return matches


def address_is_ours(address: str) -> bool:
    return bool(inbox_addresses_match([address]))
