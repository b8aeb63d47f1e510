"""Charset handling for inbound mail: bodies, RFC 2047 headers and raw 8-bit headers.

Real mail lies about its charset all the time, so every decode here ends in text: a
declared charset is mapped to the superset that senders actually use, an unknown or
missing one falls back to UTF-8 and then to Windows-1252, and what still fails is
replaced. Callers learn through `Decoded.repaired` that the text is not byte-exact.
"""

from __future__ import annotations

import binascii
import codecs
import re
from dataclasses import dataclass

# Labels mapped to the codec senders really mean. Mail clients label GBK/GB18030 text
# "gb2312", Big5-HKSCS text "big5", Windows-949 text "ks_c_5601-1987", and Windows-1252
# text "iso-8859-1" (WHATWG's encoding standard does the same for the web).
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc-cn": "gb18030",
    "cn-gb": "gb18030",
    "csgb2312": "gb18030",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601-1989": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "windows-949": "cp949",
    "iso-2022-jp": "iso2022_jp_2",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
}
# Labels that mean "plain ASCII or nothing declared". Any other unknown label (x-unknown,
# DEFAULT_CHARSET...) is handled the same way but recorded as a defect.
UNDECLARED = frozenset({"", "us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968"})
# Codecs in which pure-ASCII bytes may still need decoding (escape sequences, UTF-16...).
_NOT_ASCII_COMPATIBLE = ("iso2022", "utf_7", "utf-7", "hz", "utf_16", "utf_32")
_SINGLE_BYTE = ("cp125", "iso8859", "koi8", "mac", "cp874", "cp437", "cp850", "cp866", "latin")
FALLBACK_CHARSET = "cp1252"


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    repaired: bool = False
    defect: str = ""


def codec_for(charset: str | None) -> str | None:
    """The Python codec name for a mail charset label, or None when unknown/undeclared."""
    label = (charset or "").strip().strip("\"'").lower()
    if label in UNDECLARED:
        return None
    label = CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None, *, fallback: str | None = None) -> Decoded:
    """Bytes to text in the declared charset, repairing what does not fit.

    `fallback` is a charset to try before Windows-1252 when the label is missing or
    bogus (the message's own body charset, for raw 8-bit headers).
    """
    label = (charset or "").strip().strip("\"'")
    codec = codec_for(label)
    if codec is not None and not codec.startswith(_NOT_ASCII_COMPATIBLE) and data.isascii():
        return Decoded(data.decode("ascii"))
    if codec is None:
        defect = "" if label.lower() in UNDECLARED else f"unknown charset {label!r}"
        return _decode_undeclared(data, fallback, defect)
    # Mislabelled UTF-8 is the most common lie. Strict UTF-8 almost never succeeds by
    # accident on real text in another charset, and single-byte charsets decode any
    # bytes at all, so for them UTF-8 has to be tried first.
    single_byte = codec.startswith(_SINGLE_BYTE)
    if single_byte:
        try:
            return Decoded(data.decode("utf-8"), True, f"{label} text was really utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return Decoded(data.decode(codec))
    except UnicodeDecodeError:
        pass
    if codec != "utf-8" and not single_byte:
        try:
            return Decoded(data.decode("utf-8"), True, f"{label} text was really utf-8")
        except UnicodeDecodeError:
            pass
    return Decoded(data.decode(codec, "replace"), True, f"invalid {label} bytes replaced")


def _decode_undeclared(data: bytes, fallback: str | None, defect: str) -> Decoded:
    if data.isascii():
        return Decoded(data.decode("ascii"), bool(defect), defect)
    try:
        return Decoded(data.decode("utf-8"), bool(defect), defect)
    except UnicodeDecodeError:
        pass
    note = defect or "8-bit text without a charset"
    mostly_utf8 = _mostly_utf8(data)
    if mostly_utf8 is not None:
        return Decoded(mostly_utf8, True, f"{note}; invalid utf-8 bytes replaced")
    codec = codec_for(fallback) or FALLBACK_CHARSET
    try:
        return Decoded(data.decode(codec), True, f"{note}; read as {codec}")
    except UnicodeDecodeError:
        return Decoded(data.decode(FALLBACK_CHARSET, "replace"), True, f"{note}; bytes replaced")


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 text with a few broken bytes, or None when the bytes are another charset.

    Valid multibyte sequences almost never occur by chance in legacy 8-bit text, so many
    of them next to a few bad bytes mean UTF-8 that was damaged (truncated, spliced).
    """
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = sum(1 for char in text if char > "\x7f") - bad
    return text if good >= 4 * bad else None


def raw_header_bytes(value: str) -> bytes:
    """The original bytes of a header value as the stdlib parser stored them.

    BytesParser keeps 8-bit bytes as surrogate escapes; turning them back into bytes lets
    us choose the charset ourselves instead of getting U+FFFD.
    """
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n[ \t]*")
_B64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")


def _word_bytes(encoding: str, payload: str) -> bytes:
    data = payload.encode("ascii", "replace")
    if encoding in "bB":
        # Lenient base64: broken encoders drop padding or leave stray characters.
        data = _B64_JUNK.sub(b"", data)
        data += b"=" * (-len(data) % 4)
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            return b""
    return binascii.a2b_qp(data, header=True)


def decode_header_text(value: str, *, fallback: str | None = None) -> Decoded:
    """Unfold a raw header value and decode RFC 2047 words and raw 8-bit bytes.

    More lenient than email.header: encoded words glued to text, unknown charsets, bad
    base64 and multibyte characters split across adjacent words are all handled.
    """
    value = _FOLD.sub(" ", value) if "\n" in value else value
    repaired = False
    defect = ""
    if not value.isascii():
        decoded = decode_bytes(raw_header_bytes(value), None, fallback=fallback)
        value, repaired, defect = decoded.text, decoded.repaired, decoded.defect
    if "=?" not in value:
        return Decoded(value, repaired, defect)
    parts: list[str] = []
    pending_charset = ""
    pending = b""
    pos = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        charset = match.group(1).split("*", 1)[0]
        if between and not (pending and between.isspace()):
            if pending:
                parts.append(_flush(pending, pending_charset, fallback))
                pending = b""
            parts.append(between)
        if pending and charset.lower() != pending_charset.lower():
            parts.append(_flush(pending, pending_charset, fallback))
            pending = b""
        pending_charset = charset
        pending += _word_bytes(match.group(2), match.group(3))
        pos = match.end()
    if pending:
        parts.append(_flush(pending, pending_charset, fallback))
    parts.append(value[pos:])
    return Decoded("".join(parts), repaired, defect)


def _flush(data: bytes, charset: str, fallback: str | None) -> str:
    return decode_bytes(data, charset, fallback=fallback).text
