"""Highlighted snippets, computed in Python so both databases give the same text.

The snippet is a window of the translation's plain text around the first matched word;
everything is HTML-escaped and only our own <mark> tags are added.
"""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from django.utils.safestring import SafeString, mark_safe

from storedesk.knowledge.search.analysis import has_han, stem

SNIPPET_CHARS = 180
_WORD = re.compile(r"\w+", re.UNICODE)


def _spans(
    text: str, language: str, stems: Collection[str], prefixes: Collection[str], length: int
) -> list[tuple[int, int]]:
    """Matched words up to `length` characters past the first match: the window never
    reaches further, and a long article need not be scanned to its end."""
    spans: list[tuple[int, int]] = []
    # A stem shares its first two letters with its word (Snowball only trims and rewrites
    # endings), so other words need not be stemmed at all.
    heads = {s[:2] for s in stems if not has_han(s)} | {p[:2] for p in prefixes}
    for match in _WORD.finditer(text):
        if spans and match.start() > spans[0][0] + length:
            break
        word = match.group().casefold().replace("ё", "е")
        if (word[:2] not in heads and word[:1] not in heads) or has_han(word):
            continue
        stemmed = stem(word, language)
        if stemmed in stems or any(word.startswith(p) or stemmed.startswith(p) for p in prefixes):
            spans.append(match.span())
    han_terms = [s for s in stems if has_han(s)]
    for term in han_terms:
        start = text.find(term)
        while start != -1 and not (spans and start > spans[0][0] + length):
            spans.append((start, start + len(term)))
            start = text.find(term, start + len(term))
    return _merge(sorted(spans))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(
    text: str,
    *,
    language: str,
    stems: Collection[str],
    prefixes: Collection[str] = (),
    length: int = SNIPPET_CHARS,
) -> SafeString:
    """`text` around its first match, escaped, matches wrapped in <mark>."""
    spans = _spans(text, language, stems, prefixes, length)
    begin = max(0, spans[0][0] - length // 4) if spans else 0
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < spans[0][0] else begin
    end = min(len(text), begin + length)
    parts: list[str] = ["…" if begin else ""]
    cursor = begin
    for start, stop in spans:
        if start < begin or stop > end:
            continue
        parts.append(html.escape(text[cursor:start]))
        parts.append("<mark>" + html.escape(text[start:stop]) + "</mark>")
        cursor = stop
    parts.append(html.escape(text[cursor:end]))
    parts.append("…" if end < len(text) else "")
    return mark_safe("".join(parts))  # noqa: S308 (every piece is escaped above)
