"""Starting, writing in, reading, ending and transferring chats.

Messages go through conversations' services (message_receive, message_reply, note_add),
so a chat is an ordinary conversation with channel=chat on every list, search and report.
A client id is stored with a prefix per side ("v:" visitor, "a:" agent) in Message.client_id,
whose partial unique constraint makes a retried send store one message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from storedesk.accounts.models import Team, User
from storedesk.chat import realtime
from storedesk.chat.enums import ChatState
from storedesk.chat.errors import ChatError
from storedesk.chat.models import Chat, ChatWidget, VisitorSession
from storedesk.chat.selectors import (
    CLIENT_ID_PREFIX,
    Audience,
    EntryDict,
    chat_entries_for_visitor,
    chat_open_for_visitor,
    message_entry,
    widget_is_online,
)
from storedesk.chat.services.routing import chat_queue_dispatch, seat_take
from storedesk.chat.services.visitors import visitor_identity_attach
from storedesk.conversations.enums import ConversationStatus
from storedesk.conversations.models import Message
from storedesk.conversations.selectors import assignee_choices_for_conversation
from storedesk.conversations.services.changes import (
    conversation_assign,
    conversation_set_team,
    conversation_transition,
)
from storedesk.conversations.services.messages import (
    MessageContent,
    conversation_open,
    message_receive_once,
    message_reply,
    note_add,
)
from storedesk.conversations.services.timeline import live_updates_coalesced
from storedesk.core.mail import OutboundMail, outbound_mail_send
from storedesk.customers.models import Customer
from storedesk.customers.services import customer_get_or_create_by_email

CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,60}")
SUBJECT_CHARS = 80


@dataclass(frozen=True)
class SendResult:
    message: Message
    # False when the client id was already stored (a retry): `message` is the first one.
    created: bool


def client_id_clean(client_id: object) -> str:
    if not isinstance(client_id, str) or not CLIENT_ID_PATTERN.fullmatch(client_id):
        raise ChatError("invalid", _("Every message needs a client id (1-60 letters or digits)."))
    return client_id


def text_clean(text: object, *, widget: ChatWidget, files: Sequence[UploadedFile] = ()) -> str:
    """Plain text within the widget's limit; stored as text, so HTML stays text."""
    text = text.strip() if isinstance(text, str) else ""
    if not text and not files:
        raise ChatError("empty", _("The message is empty."))
    if len(text) > widget.max_message_chars:
        raise ChatError(
            "too_long",
            _("Messages are limited to %(limit)s characters.")
            % {"limit": widget.max_message_chars},
        )
    for upload in files:
        if (upload.size or 0) > widget.max_file_bytes:
            raise ChatError("file_too_large", _("The file is too large."))
    return text


def email_clean(email: object) -> str:
    email = email.strip() if isinstance(email, str) else ""
    try:
        validate_email(email)
    except ValidationError as error:
        raise ChatError("invalid", _("Enter a valid email address.")) from error
    return email


def _language(session: VisitorSession) -> str:
    return session.language if session.language in dict(settings.LANGUAGES) else ""


def _customer_for(session: VisitorSession, *, name: str, email: str) -> Customer:
    if session.customer is not None:
        return session.customer
    language = _language(session)
    if email:
        customer = customer_get_or_create_by_email(email=email, name=name, language=language)
    else:
        customer = Customer.objects.create(name=name.strip()[:200], language=language)
    visitor_identity_attach(session=session, customer=customer)
    return customer


def _prechat_check(widget: ChatWidget, *, name: str, email: str) -> tuple[str, str]:
    """Name and email as given; both required when the widget asks and forbids anonymity."""
    name = name.strip()[:200]
    email = email_clean(email) if email.strip() else ""
    missing = ("name" in widget.prechat_fields and not name) or (
        "email" in widget.prechat_fields and not email
    )
    if widget.prechat_enabled and not widget.allow_anonymous and missing:
        raise ChatError("invalid", _("Please tell us your name and email address."))
    return name, email


def _subject(text: str) -> str:
    first_line = text.splitlines()[0] if text else ""
    return first_line[:SUBJECT_CHARS] or _("Chat")


def chat_start(
    *,
    session: VisitorSession,
    text: str,
    client_id: str,
    name: str = "",
    email: str = "",
    files: Sequence[UploadedFile] = (),
) -> Chat:
    """Open a chat with the visitor's first message and queue it (dispatched at once).

    A visitor with an open chat gets that chat, with `text` sent into it (idempotent by
    client id). Raises ChatError("offline") when nobody can answer now: the widget then
    offers to leave a message. Side effects: conversation_open's, Chat row, dispatch.
    """
    widget = session.widget
    text = text_clean(text, widget=widget, files=files)
    client_id = client_id_clean(client_id)
    name, email = _prechat_check(widget, name=name, email=email)
    existing = chat_open_for_visitor(session)
    if existing is None and not widget_is_online(widget):
        raise ChatError("offline", _("Nobody is available to chat right now."))
    if existing is None:
        existing, chat = _chat_create(
            session, text=text, client_id=client_id, name=name, email=email, files=files
        )
        if chat is not None:
            chat_queue_dispatch(team_ids=[chat.team_id])
            return Chat.objects.select_related("conversation", "agent", "visitor").get(pk=chat.pk)
    assert existing is not None
    chat_message_send_visitor(chat=existing, text=text, client_id=client_id, files=files)
    return existing


@transaction.atomic
def _chat_create(
    session: VisitorSession,
    *,
    text: str,
    client_id: str,
    name: str,
    email: str,
    files: Sequence[UploadedFile],
) -> tuple[Chat | None, Chat | None]:
    """(open chat found under the session's lock, None) or (None, new chat)."""
    session = (
        VisitorSession.objects.select_for_update(of=("self",))
        .select_related("widget__inbox", "customer")
        .get(pk=session.pk)
    )
    existing = chat_open_for_visitor(session)
    if existing is not None:
        return existing, None
    widget = session.widget
    conversation = conversation_open(
        inbox=widget.inbox,
        customer=_customer_for(session, name=name, email=email),
        subject=_subject(text),
        content=MessageContent(
            text=text,
            files=files,
            client_id=CLIENT_ID_PREFIX["visitor"] + client_id,
            channel_metadata={"page": session.current_url},
        ),
        language=_language(session),
    )
    chat = Chat.objects.create(
        conversation=conversation, widget=widget, visitor=session, team_id=widget.inbox.team_id
    )
    return None, chat


def _existing(chat: Chat, client_id: str) -> Message | None:
    return Message.objects.filter(conversation_id=chat.pk, client_id=client_id).first()


def _ended_check(chat: Chat, stored_id: str) -> SendResult | None:
    """A retry of a message sent before the chat ended gets that message; new text an error."""
    if chat.state != ChatState.ENDED:
        return None
    existing = _existing(chat, stored_id)
    if existing is None:
        raise ChatError("ended", _("This chat has ended."))
    return SendResult(existing, created=False)


def _entry(message: Message, files: Sequence[UploadedFile]) -> EntryDict:
    """The new message as chat.entry carries it; its files are the only thing to read."""
    attachments = message.attachments.all() if files else ()
    return message_entry(message, attachments=attachments)


def chat_message_send_visitor(
    *, chat: Chat, text: str, client_id: str, files: Sequence[UploadedFile] = ()
) -> SendResult:
    """The visitor writes. A repeated client id returns the first message (created=False).
    Side effects: message_receive's (timeline.appended after commit), chat.entry before it,
    all published in one pass through the channel layer. The chat stays open while the
    visitor and the agent talk (no status change per line)."""
    stored_id = CLIENT_ID_PREFIX["visitor"] + client_id_clean(client_id)
    retried = _ended_check(chat, stored_id)
    if retried is not None:
        return retried
    content = MessageContent(
        text=text_clean(text, widget=chat.widget, files=files), files=files, client_id=stored_id
    )
    # No savepoint of its own inside a caller's transaction (a batch of chat writes gives
    # each one a savepoint): conversations.services.messages, WHOLE.
    with transaction.atomic(savepoint=False), live_updates_coalesced():
        announce = realtime.entry_announce(chat.pk)
        message, created = message_receive_once(
            conversation=chat.conversation, customer=chat.conversation.customer, content=content
        )
        if created:
            announce(_entry(message, files))
    return SendResult(message, created=created)


def chat_message_send_agent(
    *,
    chat: Chat,
    agent: User,
    text: str,
    client_id: str,
    files: Sequence[UploadedFile] = (),
    is_note: bool = False,
) -> SendResult:
    """An agent answers (or adds an internal note). The chat's own agent answering for the
    first time stops the answer timeout. A repeated client id returns the first message.

    The socket is the delivery: the reply is stored SENT with no delivery task, and the
    conversation stays open (not pending) until the chat ends. Side effects: message_reply's
    or note_add's, chat.entry before their timeline.appended (published in one pass through
    the channel layer); `chat.state` when the chat becomes active.
    """
    stored_id = CLIENT_ID_PREFIX["agent"] + client_id_clean(client_id)
    if not is_note:
        retried = _ended_check(chat, stored_id)
        if retried is not None:
            return retried
    content = MessageContent(
        text=text_clean(text, widget=chat.widget, files=files), files=files, client_id=stored_id
    )
    # No savepoint of its own inside a caller's transaction (a batch of chat writes gives
    # each one a savepoint): conversations.services.messages, WHOLE.
    with transaction.atomic(savepoint=False), live_updates_coalesced():
        announce = realtime.entry_announce(chat.pk)
        try:
            # The unique client id decides whether this is a retry (no SELECT first).
            with transaction.atomic():
                message = _agent_write(chat, agent, content, is_note=is_note)
        except IntegrityError:
            existing = _existing(chat, stored_id)
            if existing is None:  # not a retry: another constraint failed
                raise
            return SendResult(existing, created=False)
        if not is_note:
            chat_answered_mark(chat=chat, agent=agent)
        announce(_entry(message, files))
    return SendResult(message, created=True)


def _agent_write(chat: Chat, agent: User, content: MessageContent, *, is_note: bool) -> Message:
    if is_note:
        return note_add(conversation=chat.conversation, author=agent, content=content)
    return message_reply(
        conversation=chat.conversation,
        author=agent,
        content=content,
        status_after=ConversationStatus.OPEN,
        delivered=True,
        signed=False,
    )


def chat_answered_mark(*, chat: Chat, agent: User) -> None:
    """The chat's agent has answered: it becomes active and leaves the timeout's reach."""
    if chat.state != ChatState.ASSIGNED or chat.agent_id != agent.pk:
        return  # as loaded: already answered, or not this agent's (checked again below)
    answered = Chat.objects.filter(pk=chat.pk, agent=agent, state=ChatState.ASSIGNED).update(
        state=ChatState.ACTIVE, answered_at=timezone.now()
    )
    if answered:
        chat.refresh_from_db(fields=["state", "answered_at"])
        realtime.state_publish(chat)


def chat_read_mark(*, chat: Chat, reader: Audience, sequence: int) -> None:
    """`reader` has seen everything up to `sequence`; publishes `chat.read` if that is news."""
    field = "visitor_read_sequence" if reader == "visitor" else "agent_read_sequence"
    sequence = min(sequence, chat.conversation.last_sequence)
    with transaction.atomic():
        changed = Chat.objects.filter(pk=chat.pk, **{f"{field}__lt": sequence}).update(
            **{field: sequence}
        )
        if changed:
            realtime.read_publish(chat, who=reader, sequence=sequence)


def chat_end(*, chat: Chat, actor: User | None) -> Chat:
    """End the chat (actor None: the visitor). The conversation is solved, the seat freed and
    the oldest waiting chat takes it. Side effects: STATUS_CHANGED, `chat.state`,
    `chat.unassigned` to the agent, dispatch."""
    with transaction.atomic():
        chat = (
            Chat.objects.select_for_update(of=("self",))
            .select_related("conversation", "agent", "visitor")
            .get(pk=chat.pk)
        )
        if chat.state == ChatState.ENDED:
            return chat
        chat.state, chat.ended_at = ChatState.ENDED, timezone.now()
        chat.save(update_fields=["state", "ended_at"])
        if chat.conversation.can_transition_to(ConversationStatus.SOLVED):
            conversation_transition(
                conversation=chat.conversation, status=ConversationStatus.SOLVED, actor=actor
            )
        realtime.state_publish(chat)
        if chat.agent is not None:
            realtime.unassigned_publish(chat, chat.agent)
    team_ids = [chat.team_id]
    if chat.agent is not None:
        team_ids += list(chat.agent.teams.values_list("pk", flat=True))
    chat_queue_dispatch(team_ids=team_ids)
    return chat


def chat_transfer(
    *, chat: Chat, actor: User, to_agent: User | None = None, to_team: Team | None = None
) -> Chat:
    """Give the chat to another agent (online, with a free seat) or to another team's queue,
    where it keeps its place (its original queue time). Side effects: ASSIGNED/TEAM_CHANGED
    events, `chat.unassigned`/`chat.assigned`, `chat.state`, dispatch."""
    if (to_agent is None) == (to_team is None):
        raise ChatError("invalid", _("Choose an agent or a team."))
    with transaction.atomic():
        chat = (
            Chat.objects.select_for_update(of=("self",))
            .select_related("conversation__customer", "agent", "visitor")
            .get(pk=chat.pk)
        )
        if chat.state == ChatState.ENDED:
            raise ChatError("ended", _("This chat has ended."))
        previous = chat.agent
        if to_agent is not None:
            _transfer_to_agent(chat, to_agent)
        else:
            assert to_team is not None
            _transfer_to_team(chat, to_team, actor)
        if previous is not None and previous.pk != chat.agent_id:
            realtime.unassigned_publish(chat, previous)
        realtime.state_publish(chat)
    dispatch_teams = [chat.team_id] + (
        [] if previous is None else list(previous.teams.values_list("pk", flat=True))
    )
    chat_queue_dispatch(team_ids=dispatch_teams)
    return chat


def _transfer_to_agent(chat: Chat, agent: User) -> None:
    if chat.agent_id == agent.pk:
        return
    if (
        not assignee_choices_for_conversation(conversation=chat.conversation)
        .filter(pk=agent.pk)
        .exists()
    ):
        raise ChatError("forbidden", _("This agent cannot see this chat."))
    if not seat_take(chat, agent, timezone.now()):
        raise ChatError("at_capacity", _("This agent is not online or has no free seat."))
    realtime.assigned_publish(chat)


def _transfer_to_team(chat: Chat, team: Team, actor: User) -> None:
    conversation_set_team(conversation=chat.conversation, team=team, actor=actor)
    conversation_assign(conversation=chat.conversation, assignee=None, actor=actor)
    chat.team, chat.state, chat.agent, chat.assigned_at = team, ChatState.QUEUED, None, None
    chat.save(update_fields=["team", "state", "agent", "assigned_at"])


def chat_transcript_request(*, chat: Chat, email: str) -> None:
    """Mail the visitor what they saw of the chat, in their language, through core's
    outbound-mail port (the durable outbox: retried, sent once)."""
    email = email_clean(email)
    with translation.override(_language(chat.visitor) or settings.LANGUAGE_CODE):
        lines = [
            f"[{entry['created_at'][11:16]}] {entry['author_name']}: {entry['text']}"
            for entry in chat_entries_for_visitor(chat=chat, after=0)
        ]
        brand = chat.conversation.inbox.brand.name
        mail = OutboundMail(
            to=[email],
            subject=_("Your chat with %(brand)s") % {"brand": brand},
            text="\n".join(lines) + "\n",
        )
    with transaction.atomic():
        outbound_mail_send(mail)
