"""The chat websockets: the visitor's widget (`visitor.py`) and the agents' chat console
(`agent.py`), on what both share (`base.py`).

Thin (STYLE.md 3.4): authenticate, join groups, call services through `base.db`, and
render events for the audience as JSON. Frames are listed in docs/subsystems/chat.md.
Both sockets send timeline entries in sequence order, each once: a socket remembers per
conversation the highest sequence it has passed, and an announced sequence above it
fetches everything after it from the database.
"""

from storedesk.chat.consumers.agent import ChatAgentConsumer
from storedesk.chat.consumers.base import scope_header, scope_own_origin
from storedesk.chat.consumers.visitor import VisitorConsumer

__all__ = ["ChatAgentConsumer", "VisitorConsumer", "scope_header", "scope_own_origin"]
