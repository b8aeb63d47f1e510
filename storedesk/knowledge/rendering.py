"""Markdown to safe HTML for article bodies, and the plain text search and snippets use.

markdown-it-py with raw HTML disabled (so HTML in the source shows as text), then core's
nh3 policy. Images are allowed only from our own attachment URLs: an article never makes
a reader's browser fetch a third-party image.
"""

from __future__ import annotations

import functools
import html
import re

import nh3
from markdown_it import MarkdownIt

from storedesk.core.sanitize import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, URL_SCHEMES

ATTACHMENT_URL_PREFIX = "/help/files/"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


@functools.cache
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )


def _local_images_only(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not value.startswith(ATTACHMENT_URL_PREFIX):
        return None
    return value


def render_markdown(source: str) -> str:
    """Sanitised HTML for an article body."""
    return nh3.clean(
        _markdown().render(source),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES - {"cid"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_local_images_only,
    )


def html_to_text(value: str) -> str:
    """The readable text of rendered HTML, one line, for search and snippets."""
    spaced = re.sub(r"</(p|li|h\d|tr|blockquote|pre)>|<br\s*/?>", " ", value)
    return _SPACE.sub(" ", html.unescape(_TAG.sub("", spaced))).strip()
