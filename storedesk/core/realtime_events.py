"""Every live event Storedesk sends to browsers, in one place.

Each event carries the conversation's timeline sequence number where it belongs to a
timeline, so a reconnecting page asks for everything after the last number it saw.

| name                 | group(s)                                   | payload                   |
| -------------------- | ------------------------------------------ | ------------------------- |
| timeline.appended    | conversation.<id>, inbox.<id>.agents       | conversation id, sequence |
| conversation.updated | conversation.<id>, inbox.<id>.agents       | conversation id, fields   |
| presence.changed     | conversation.<id> (ephemeral, no database) | agent id, name, state     |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RealtimeEvent:
    name: str
    conversation_id: int
    sequence: int | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        # Not dataclasses.asdict, which deep-copies `data` (a chat entry) on the event loop for
        # every group: the channel layer serialises (Redis) or copies (in memory) it anyway.
        return {
            "name": self.name,
            "conversation_id": self.conversation_id,
            "sequence": self.sequence,
            "data": self.data,
        }


TIMELINE_APPENDED = "timeline.appended"
CONVERSATION_UPDATED = "conversation.updated"
PRESENCE_CHANGED = "presence.changed"
