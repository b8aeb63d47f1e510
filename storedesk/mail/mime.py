"""Raw RFC 5322 bytes into a `ParsedEmail`, whatever the sender's software got wrong.

The stdlib parser builds the MIME tree with the compat32 policy: it never raises on
junk, is markedly faster than policy.default (whose header objects we would not use),
and leaves header values raw, so we decode RFC 2047 words and undeclared 8-bit bytes
ourselves, leniently (mime_charsets). Everything else is a single walk over the tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from django.conf import settings

from storedesk.core.sanitize import sanitize_html
from storedesk.mail import mime_parts
from storedesk.mail.mime_charsets import codec_for, decode_bytes, decode_header_text
from storedesk.mail.mime_html import html_to_text
from storedesk.mail.mime_quotes import quoted_start as find_quoted_start

__all__ = [
    "DroppedAttachment",
    "HeaderMap",
    "ParsedAttachment",
    "ParsedEmail",
    "UnparseableEmail",
    "parse_email",
]

_MSGID = re.compile(r"<([^<>\s]+)>")
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_WHITESPACE = re.compile(r"\s+")
_KNOWN_CTE = frozenset({"", "7bit", "8bit", "binary", "base64", "quoted-printable"})
_MAX_DEPTH = 40  # nesting beyond this is an attack on the parser, not a real mail


class UnparseableEmail(Exception):
    """Nothing usable could be recovered; the raw bytes go to quarantine with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes = field(repr=False)
    content_id: str = ""  # without angle brackets; what cid: URLs in the HTML refer to
    is_inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True, slots=True)
class DroppedAttachment:
    filename: str
    size: int
    reason: str


class HeaderMap(Mapping[str, str]):
    """Decoded headers with case-insensitive names; `[name]` is the first occurrence."""

    __slots__ = ("_values",)

    def __init__(self, items: list[tuple[str, str]]) -> None:
        values: dict[str, list[str]] = {}
        for name, value in items:
            values.setdefault(name.strip().lower(), []).append(value)
        self._values = values

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()][0]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get_all(self, name: str) -> list[str]:
        return list(self._values.get(name.lower(), ()))


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: str
    from_name: str
    reply_to: list[str]
    to: list[str]
    cc: list[str]
    date: datetime | None
    headers: HeaderMap
    text: str
    html: str
    quoted_start: int | None
    attachments: list[ParsedAttachment]
    dropped_attachments: list[DroppedAttachment]
    tnef_files: list[str]
    defects: list[str]
    charset_repairs: bool
    # For loops.py: the top-level type, and the machine-readable parts of a report.
    content_type: str = "text/plain"
    report_type: str = ""  # multipart/report's report-type, e.g. "delivery-status"
    delivery_status: str = ""  # message/delivery-status fields, blocks separated by "\n\n"
    original_headers: str = ""  # headers of the returned message in a report
    feedback_report: str = ""  # message/feedback-report fields (RFC 5965 abuse reports)

    @property
    def forwarded(self) -> list[ParsedAttachment]:
        """Attached messages (message/rfc822): .eml attachments named after their subject."""
        return [a for a in self.attachments if a.content_type == "message/rfc822"]


@dataclass
class _Walk:
    """What one walk over the MIME tree collects."""

    limit: int
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    dropped: list[DroppedAttachment] = field(default_factory=list)
    tnef_files: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    delivery_status: list[str] = field(default_factory=list)
    feedback_report: list[str] = field(default_factory=list)
    original_headers: list[str] = field(default_factory=list)
    body_charset: str | None = None
    repaired: bool = False


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw message bytes. Raises `UnparseableEmail` only when nothing is usable."""
    if not raw or not raw.strip():
        raise UnparseableEmail("empty message")
    defects: list[str] = []
    stripped = raw.lstrip(b"\r\n")
    if len(stripped) != len(raw):
        defects.append("blank lines before the headers removed")
    message = mime_parts.PARSER.parsebytes(stripped)
    if not message.keys():
        raise UnparseableEmail("no headers found")
    walk = _Walk(limit=settings.MAIL_MAX_ATTACHMENT_BYTES)
    walk.defects.extend(defects)
    _walk_part(message, walk, depth=0, in_report=False)
    return _build(message, walk)


def _build(message: Message, walk: _Walk) -> ParsedEmail:
    headers, header_repairs = _decode_headers(message, walk.body_charset)
    text, html = _body(walk)
    from_name, from_address = _first_address(message, "From", walk.body_charset)
    return ParsedEmail(
        message_id=_first_message_id(headers.get("Message-ID", "")),
        in_reply_to=_message_ids(headers.get("In-Reply-To", "")),
        references=_message_ids(headers.get("References", "")),
        subject=_WHITESPACE.sub(" ", headers.get("Subject", "")).strip(),
        from_address=from_address,
        from_name=from_name,
        reply_to=_addresses(message, "Reply-To"),
        to=_addresses(message, "To"),
        cc=_addresses(message, "Cc"),
        date=_date(headers.get("Date", ""), walk.defects),
        headers=headers,
        text=text,
        html=html,
        quoted_start=find_quoted_start(text),
        attachments=walk.attachments,
        dropped_attachments=walk.dropped,
        tnef_files=walk.tnef_files,
        defects=list(dict.fromkeys(walk.defects)),
        charset_repairs=walk.repaired or header_repairs,
        content_type=message.get_content_type(),
        report_type=(str(message.get_param("report-type") or "")).lower(),
        delivery_status="\n\n".join(walk.delivery_status),
        original_headers="\n\n".join(walk.original_headers),
        feedback_report="\n\n".join(walk.feedback_report),
    )


def _walk_part(part: Message, walk: _Walk, *, depth: int, in_report: bool) -> None:
    walk.defects.extend(type(defect).__name__ for defect in part.defects)
    if depth > _MAX_DEPTH:
        walk.defects.append("MIME nesting too deep: inner parts ignored")
        return
    content_type = part.get_content_type()
    if part.get_content_maintype() == "multipart":
        if not part.is_multipart():
            walk.defects.extend(mime_parts.repair_multipart(part))
        in_report = in_report or content_type == "multipart/report"
        for child in mime_parts.children(part):
            _walk_part(child, walk, depth=depth + 1, in_report=in_report)
    elif content_type == "message/delivery-status":
        walk.delivery_status.append(_report_text(part))
    elif content_type == "message/feedback-report":
        walk.feedback_report.append(_report_text(part))
    elif content_type in ("text/rfc822-headers", "message/rfc822-headers"):
        walk.original_headers.append(_report_text(part))
    elif content_type == "message/rfc822" and mime_parts.children(part):
        inner = mime_parts.children(part)[0]
        if in_report:
            # The returned copy in a bounce or abuse report: only its headers matter.
            walk.original_headers.append(mime_parts.headers_text(inner))
        else:
            _add_forwarded(inner, walk)
    else:
        _leaf(part, content_type, walk)


def _leaf(part: Message, content_type: str, walk: _Walk) -> None:
    filename = mime_parts.part_filename(part, walk.body_charset)
    disposition = part.get_content_disposition()
    if content_type in ("text/plain", "text/html") and not filename and disposition != "attachment":
        text = _part_text(part, walk)
        (walk.html if content_type == "text/html" else walk.plain).append(text)
        return
    payload = _payload_bytes(part, walk)
    content_id = _first_message_id(str(part.get("Content-ID", "")))
    name = mime_parts.safe_filename(filename, content_type)
    if content_type == "application/ms-tnef" or name.lower() == "winmail.dat":
        walk.tnef_files.extend(mime_parts.tnef_filenames(payload))
    if len(payload) > walk.limit:
        reason = f"larger than the limit of {walk.limit} bytes"
        walk.dropped.append(DroppedAttachment(filename=name, size=len(payload), reason=reason))
        return
    is_inline = bool(content_id) and disposition != "attachment"
    walk.attachments.append(
        ParsedAttachment(name, content_type, payload, content_id=content_id, is_inline=is_inline)
    )


def _add_forwarded(inner: Message, walk: _Walk) -> None:
    content = mime_parts.message_bytes(inner)
    if not content.strip():
        return
    raw_subject = next(iter(mime_parts.raw_values(inner, "Subject")), "")
    subject = decode_header_text(raw_subject, fallback=walk.body_charset).text
    stem = _WHITESPACE.sub(" ", subject).strip()[:150] or "forwarded message"
    name = mime_parts.safe_filename(stem + ".eml", "message/rfc822")
    if len(content) > walk.limit:
        reason = f"larger than the limit of {walk.limit} bytes"
        walk.dropped.append(DroppedAttachment(filename=name, size=len(content), reason=reason))
        return
    walk.attachments.append(ParsedAttachment(name, "message/rfc822", content))


def _payload_bytes(part: Message, walk: _Walk) -> bytes:
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    if cte not in _KNOWN_CTE and not cte.startswith(("x-uue", "uue")):
        walk.defects.append(f"unknown transfer encoding {cte!r}: body taken as is")
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _part_text(part: Message, walk: _Walk) -> str:
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    raw = mime_parts.payload_text(part)
    if cte == "base64" and not _looks_like_base64(raw):
        # Mislabelled plain text ("Content-Transfer-Encoding: base64" on "Hello"):
        # decoding it would turn readable text into garbage.
        walk.defects.append("text part marked base64 is not base64: taken as is")
        data = mime_parts.raw_header_bytes(raw)
    else:
        data = _payload_bytes(part, walk)
    charset = part.get_param("charset")
    label = charset if isinstance(charset, str) else None
    if codec_for(label) is None and part.get_content_subtype() == "html":
        meta = _META_CHARSET.search(data, 0, 4096)
        label = meta.group(1).decode("ascii") if meta else label
    walk.body_charset = walk.body_charset or (label if codec_for(label) else None)
    decoded = decode_bytes(data, label)
    if decoded.repaired:
        walk.repaired = True
    if decoded.defect:
        walk.defects.append(decoded.defect)
    return decoded.text


def _looks_like_base64(value: str) -> bool:
    compact = "".join(value.split())
    return len(compact) % 4 != 1 and _BASE64.fullmatch(compact) is not None


def _report_text(part: Message) -> str:
    blocks = mime_parts.children(part)
    if blocks:
        return "\n\n".join(mime_parts.headers_text(block) for block in blocks)
    return decode_bytes(mime_parts.raw_header_bytes(mime_parts.payload_text(part)), None).text


def _body(walk: _Walk) -> tuple[str, str]:
    html_source = "".join(walk.html)
    text = "\n\n".join(p for p in walk.plain if p.strip())
    if not text and html_source:
        text = html_to_text(html_source)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").lstrip("\n").rstrip()
    html = sanitize_html(html_source.replace("\x00", "")) if html_source else ""
    return text, html


def _decode_headers(message: Message, fallback: str | None) -> tuple[HeaderMap, bool]:
    items: list[tuple[str, str]] = []
    repaired = False
    for name, value in message.raw_items():
        decoded = decode_header_text(str(value), fallback=fallback)
        repaired = repaired or decoded.repaired
        items.append((name, decoded.text.replace("\x00", "")))
    return HeaderMap(items), repaired


def _raw_address_pairs(message: Message, name: str, fallback: str | None) -> list[tuple[str, str]]:
    # Addresses are split before RFC 2047 decoding: a decoded display name may hold
    # the commas and angle brackets that separate addresses.
    values = [
        decode_bytes(mime_parts.raw_header_bytes(v), None, fallback=fallback).text
        for v in mime_parts.raw_values(message, name)
    ]
    try:
        pairs = getaddresses([_WHITESPACE.sub(" ", v) for v in values])
    except (ValueError, TypeError, IndexError):
        return []
    return [(n, a.strip().lower()) for n, a in pairs if "@" in a]


def _addresses(message: Message, name: str) -> list[str]:
    return list(dict.fromkeys(a for _n, a in _raw_address_pairs(message, name, None)))


def _first_address(message: Message, name: str, fallback: str | None) -> tuple[str, str]:
    pairs = _raw_address_pairs(message, name, fallback)
    if not pairs:
        return "", ""
    display, address = pairs[0]
    decoded = decode_header_text(display, fallback=fallback).text
    return _WHITESPACE.sub(" ", decoded).strip().strip("\"'").strip(), address


def _message_ids(value: str) -> list[str]:
    found = _MSGID.findall(value)
    if not found and value.strip():
        found = value.split()  # ids without brackets, as some clients write them
    return list(dict.fromkeys(found))


def _first_message_id(value: str) -> str:
    ids = _message_ids(value)
    return ids[0] if ids else ""


def _date(value: str, defects: list[str]) -> datetime | None:
    if not value.strip():
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        defects.append("unreadable Date header")
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
