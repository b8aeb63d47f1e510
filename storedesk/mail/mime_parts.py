"""Helpers for the MIME tree: repairing broken multiparts, naming attachments, TNEF.

Kept apart from mime.py so that module reads as the walk over a message.
"""

from __future__ import annotations

import io
import mimetypes
import re
import struct
import unicodedata
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser

from storedesk.mail.mime_charsets import decode_bytes, decode_header_text, raw_header_bytes

__all__ = [
    "PARSER",
    "children",
    "headers_text",
    "message_bytes",
    "part_filename",
    "payload_text",
    "raw_header_bytes",
    "raw_values",
    "repair_multipart",
    "safe_filename",
    "tnef_filenames",
]

PARSER = BytesParser(policy=policy.compat32)
# A delimiter line: "--" and a token. Used only when the declared boundary is missing
# or never appears, so a stray "--something" line in real text cannot split a good mail.
_DELIMITER = re.compile(rb"^--[^\s]{3,}[ \t]*\r?$", re.MULTILINE)
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def repair_multipart(part: Message) -> list[str]:
    """Give a multipart whose boundary is missing or wrong its parts back.

    Splits the body on anything that looks like a delimiter line; with none at all the
    body becomes a single text/plain part. Returns the defects recorded.
    """
    body = raw_header_bytes(payload_text(part))
    delimiters = list(_DELIMITER.finditer(body))
    if not delimiters:
        whole: list[Message | str] = [_text_part(body)]
        part.set_payload(whole)
        return ["multipart without any boundary line: body read as text"]
    found: list[Message | str] = []
    for current, following in zip(delimiters, [*delimiters[1:], None], strict=True):
        if current.group().rstrip().endswith(b"--") and following is None:
            break  # the close delimiter: what follows is epilogue
        end = following.start() if following is not None else len(body)
        chunk = body[current.end() : end].lstrip(b"\r\n")
        if chunk.strip():
            found.append(PARSER.parsebytes(chunk))
    part.set_payload(found or [_text_part(body)])
    return ["multipart boundary missing or mismatched: parts found by delimiter lines"]


def children(part: Message) -> list[Message]:
    """The sub-messages of a multipart or message/* part (typed: the stub allows str)."""
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def payload_text(part: Message) -> str:
    """A leaf part's undecoded payload (8-bit bytes as surrogate escapes)."""
    payload = part.get_payload()
    return payload if isinstance(payload, str) else ""


def _text_part(body: bytes) -> Message:
    return PARSER.parsebytes(b"Content-Type: text/plain\r\n\r\n" + body)


def part_filename(part: Message, fallback_charset: str | None) -> str:
    """The attachment's filename, RFC 2231 and (non-standard but common) RFC 2047 decoded."""
    name = part.get_filename() or part.get_param("name")
    if isinstance(name, tuple):  # an undecoded RFC 2231 triple
        name = decode_bytes(raw_header_bytes(name[2]), name[0]).text
    if not isinstance(name, str):
        return ""
    return decode_header_text(name, fallback=fallback_charset).text


def safe_filename(name: str, content_type: str, default_stem: str = "attachment") -> str:
    """A filename safe to store and offer for download: no paths, no control characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_FILENAME.sub("_", name).strip(" ._")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:190] + dot + ext[:9]) if dot and len(ext) < 10 else name[:200]
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = default_stem + extension
    return name


def message_bytes(message: Message) -> bytes:
    """A parsed (sub-)message back as bytes, for forwarded messages kept as .eml files."""
    out = io.BytesIO()
    try:
        BytesGenerator(out, mangle_from_=False, maxheaderlen=0).flatten(message)
    except (LookupError, UnicodeError, TypeError, ValueError):
        return b""
    return out.getvalue()


def raw_values(message: Message, name: str) -> list[str]:
    """A header's raw values. Message.get_all() would hand back 8-bit values as Header
    objects whose str() has already replaced the bytes we want to decode."""
    wanted = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == wanted]


def headers_text(message: Message) -> str:
    """A header block as text ("Name: value" lines), for DSN and returned-headers parts."""
    return "\n".join(f"{name}: {value}" for name, value in message.raw_items())


_TNEF_SIGNATURE = 0x223E9F78
_ATT_ATTACH_TITLE = 0x00018010  # attAttachTitle: the attachment's (short) filename


def tnef_filenames(data: bytes) -> list[str]:
    """Names of the files inside a winmail.dat, read from its attAttachTitle attributes.

    Only names are listed: the files themselves stay in winmail.dat, which is kept as an
    attachment. A damaged stream just ends the list.
    """
    if len(data) < 6 or struct.unpack_from("<I", data)[0] != _TNEF_SIGNATURE:
        return []
    names: list[str] = []
    offset = 6  # signature (4) and legacy key (2)
    while offset + 9 <= len(data):
        attribute, length = struct.unpack_from("<II", data, offset + 1)
        start = offset + 9
        if start + length > len(data):
            break
        if attribute == _ATT_ATTACH_TITLE:
            value = data[start : start + length].split(b"\0", 1)[0]
            if value:
                names.append(decode_bytes(value, None).text)
        offset = start + length + 2  # the value and its 2-byte checksum
    return names
