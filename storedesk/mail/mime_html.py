"""HTML mail turned into readable plain text (for HTML-only messages).

The stdlib parser is enough: mail HTML needs block structure and links, not layout.
Links are kept as "text (url)" so an agent can see where a customer's link points.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = frozenset(
    {
        "p",
        "div",
        "table",
        "tr",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "center",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "title",
    }
)
_SKIP = frozenset({"script", "style", "head", "template", "noscript", "xml", "o:p"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.link_href = ""
        self.link_start = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "a":
            self.link_href = dict(attrs).get("href") or ""
            self.link_start = len(self.out)
        elif tag in _BLOCK:
            self.out.append("\n\n" if tag in ("p", "table", "blockquote") else "\n")
            self.pre_depth += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "a":
            self._close_link()
        elif tag in _BLOCK:
            self.out.append("\n")
            if tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        self.out.append(data if self.pre_depth else _SPACES.sub(" ", data))

    def _close_link(self) -> None:
        href, self.link_href = self.link_href.strip(), ""
        if not href or href.startswith(("#", "javascript:", "cid:")):
            return
        label = "".join(self.out[self.link_start :]).strip()
        target = href.removeprefix("mailto:")
        # A link whose text already is the address adds nothing when repeated.
        if label and target not in label:
            self.out.append(f" ({href})")
        elif not label:
            self.out.append(href)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some garbage markup
        pass
    lines = "".join(parser.out).split("\n")
    text = "\n".join(line.strip(" ") for line in lines)
    return _BLANK_LINES.sub("\n\n", text).strip()
