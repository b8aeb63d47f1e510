"""The one error chat services raise; transports turn `code` into an error frame or a 4xx."""

from __future__ import annotations

from django.utils.functional import Promise


class ChatError(Exception):
    """A refused chat request. `code` is stable for clients; `message` is for people."""

    def __init__(self, code: str, message: str | Promise = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = str(message or code)
