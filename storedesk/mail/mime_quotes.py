"""Where quoted history or a signature begins in a message's text.

The agent view collapses everything from that index on; the text itself is never cut.
One combined regex over the whole text keeps this linear in the message size. The Russian
attribution, whose name comes before the verb, has a regex of its own that runs only when
the text holds one of its verbs: it tries every line at every character, and on mail
without it took three quarters of the search (about 0.2 ms per 5 KB text).
"""

from __future__ import annotations

import re

_LINE = r"[^\n]{0,300}"
_MARKERS = re.compile(
    "^(?:"
    + "|".join(
        [
            # Attribution lines, possibly wrapped onto a second line by the client.
            rf"On\s{_LINE}(?:\n{_LINE})?\bwrote:[ \t]*$",  # English
            rf"Den\s{_LINE}(?:\n{_LINE})?\bskrev\b{_LINE}:[ \t]*$",  # Swedish
            rf"Am\s{_LINE}(?:\n{_LINE})?\bschrieb\b{_LINE}:[ \t]*$",  # German
            rf"Le\s{_LINE}(?:\n{_LINE})?\ba écrit[ \t]*:[ \t]*$",  # French
            rf"El\s{_LINE}(?:\n{_LINE})?\bescribió[ \t]*:[ \t]*$",  # Spanish
            rf"在{_LINE}写道[:：][ \t]*$",  # Chinese (simplified)
            rf"在{_LINE}寫道[:：][ \t]*$",  # Chinese (traditional)
            # Outlook and friends: a separator, or a header block starting "From:".
            r"[ \t]*-{2,}[ \t]*(?:Original Message|Forwarded message|Ursprüngliche Nachricht"
            r"|Ursprungligt meddelande|Vidarebefordrat meddelande|Исходное сообщение"
            r"|Пересылаемое сообщение|原始邮件|原始郵件|转发邮件)[ \t]*-{2,}[ \t]*$",
            r"[ \t]*-{5,}[ \t]*原始邮件[ \t]*-{5,}",
            r"\*?(?:From|Från|От|发件人|寄件者):\*?[ \t][^\n]+\n\*?(?:Sent|Date|Skickat"
            r"|Datum|Отправлено|Дата|发送时间|日期|寄件日期):",
            # RFC 3676 signature delimiter ("-- "); a bare "--" line is as common.
            r"--[ ]?$",
        ]
    )
    + ")",
    re.MULTILINE | re.IGNORECASE,
)
_RUSSIAN_VERBS = ("написал", "пишет")
_RUSSIAN_ATTRIBUTION = re.compile(
    rf"^{_LINE}(?:написал\(а\)|написала|написал|пишет)[ \t]*:[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)


def quoted_start(text: str) -> int | None:
    """Index in `text` where quoted history or the signature begins, or None.

    None also when nothing but whitespace precedes the marker: a message that is all
    quote (a bare forward) must not collapse into nothing.
    """
    candidates: list[int] = []
    markers = [_MARKERS]
    lowered = text.lower()
    if any(verb in lowered for verb in _RUSSIAN_VERBS):
        markers.append(_RUSSIAN_ATTRIBUTION)
    for marker in markers:
        match = marker.search(text)
        if match is not None:
            candidates.append(match.start())
    trailing = _trailing_quote_start(text)
    if trailing is not None:
        candidates.append(trailing)
    if not candidates:
        return None
    start = min(candidates)
    return start if text[:start].strip() else None


def _trailing_quote_start(text: str) -> int | None:
    """Start of the "> " block that runs to the end of the text (bottom quoting).

    Quotes interleaved with answers are left alone: collapsing them would hide replies.
    """
    end = len(text)
    start: int | None = None
    while end > 0:
        line_start = text.rfind("\n", 0, end - 1) + 1 if end > 1 else 0
        line = text[line_start:end]
        stripped = line.strip()
        if stripped.startswith(">"):
            start = line_start
        elif stripped:
            break
        if line_start == 0:
            break
        end = line_start
    return start
