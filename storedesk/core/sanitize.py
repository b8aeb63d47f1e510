"""HTML sanitising for anything a customer or agent wrote.

nh3 (ammonia) runs before storage and again before display, so a stored value that
predates a tightened policy is still safe when shown.
"""

from __future__ import annotations

import html

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "div",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto", "cid", "tel"}


def _drop_remote_images(tag: str, attribute: str, value: str) -> str | None:
    # Remote images tell the sender when and where a message was read; only inline
    # attachments (cid:) are shown.
    if tag == "img" and attribute == "src" and not value.startswith("cid:"):
        return None
    return value


def sanitize_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_drop_remote_images,
    )


def text_to_html(text: str) -> str:
    """Plain text as safe HTML paragraphs, line breaks kept."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
