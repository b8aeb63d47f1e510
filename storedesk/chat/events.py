"""Live events of the chat channel (beside core/realtime_events.py's timeline events).

| name               | group(s)                                  | data                       |
| ------------------ | ----------------------------------------- | -------------------------- |
| chat.state         | chat.visitor.<session>, conversation.<id> | selectors.ChatStateDict    |
| chat.entry         | conversation.<id>                         | after, entry (EntryDict)   |
| chat.typing        | conversation.<id> (ephemeral)             | who, name, is_typing       |
| chat.read          | conversation.<id>                         | who, sequence              |
| chat.assigned      | agent.<id>                                | selectors.ChatSummary      |
| chat.unassigned    | agent.<id>                                | -                          |
| chat.agent         | agent.<id>                                | selectors.SeatsDict        |
| chat.queue_changed | chat.queue.<team id>                      | team_id                    |

Events that concern no single conversation carry conversation_id 0.
chat.entry carries a message written through the chat services, serialised, so sockets
forward it without reading it back; it goes out before the same message's
timeline.appended, and `after` is the sequence just before it: a socket that has not
passed `after` reads what it missed from the database instead.
"""

from __future__ import annotations

CHAT_STATE = "chat.state"
CHAT_ENTRY = "chat.entry"
CHAT_TYPING = "chat.typing"
CHAT_READ = "chat.read"
CHAT_ASSIGNED = "chat.assigned"
CHAT_UNASSIGNED = "chat.unassigned"
CHAT_AGENT = "chat.agent"
CHAT_QUEUE_CHANGED = "chat.queue_changed"


def visitor_group(session_id: int) -> str:
    return f"chat.visitor.{session_id}"


def queue_group(team_id: int | None) -> str:
    return f"chat.queue.{team_id or 0}"
