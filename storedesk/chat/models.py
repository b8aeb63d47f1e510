"""Live chat: the widget's settings per chat inbox, visitor sessions and the chat queue.

A chat is a conversation with channel=chat; `Chat` only adds what the queue and the
widget need (who has the seat, since when, how far each side has read).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from storedesk.accounts.models import Team
from storedesk.chat.enums import ChatState, PrechatField
from storedesk.conversations.models import Conversation
from storedesk.core.models import BaseModel
from storedesk.customers.models import Customer
from storedesk.inboxes.models import Inbox


def widget_key_generate() -> str:
    return secrets.token_urlsafe(12)


def identity_secret_generate() -> str:
    return secrets.token_urlsafe(32)


def default_prechat_fields() -> list[str]:
    return [PrechatField.NAME, PrechatField.EMAIL]


class ChatWidget(BaseModel):
    """How the widget of one chat inbox behaves, and where it may be embedded."""

    inbox = models.OneToOneField(
        Inbox,
        on_delete=models.CASCADE,
        related_name="chat_widget",
        limit_choices_to={"channel": "chat"},
    )
    # Public: shops put it in `data-inbox`. Not a secret; the origin list protects the widget.
    key = models.CharField(_("widget key"), max_length=40, unique=True, default=widget_key_generate)
    # Exact origins ("https://shop.example"); empty allows only the desk's own origin.
    allowed_origins = models.JSONField(_("allowed origins"), default=list, blank=True)
    # HMAC key with which the shop signs a signed-in customer's id and email.
    identity_secret = models.CharField(
        _("identity secret"), max_length=128, default=identity_secret_generate
    )
    prechat_enabled = models.BooleanField(_("ask before the chat starts"), default=True)
    prechat_fields = models.JSONField(_("pre-chat fields"), default=default_prechat_fields)
    allow_anonymous = models.BooleanField(_("allow anonymous visitors"), default=True)
    offline_inbox = models.ForeignKey(
        Inbox,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"channel": "email"},
        verbose_name=_("inbox for messages left offline"),
    )
    answer_timeout_seconds = models.PositiveIntegerField(
        _("answer timeout (seconds)"),
        default=60,
        validators=[MinValueValidator(10), MaxValueValidator(3600)],
    )
    max_message_chars = models.PositiveIntegerField(
        _("message size limit (characters)"),
        default=2000,
        validators=[MinValueValidator(1), MaxValueValidator(20_000)],
    )
    max_file_bytes = models.PositiveIntegerField(
        _("file size limit (bytes)"), default=5 * 1024 * 1024
    )

    class Meta:
        verbose_name = _("chat widget")
        verbose_name_plural = _("chat widgets")

    def __str__(self) -> str:
        return self.key

    def allows_origin(self, origin: str, *, own_origin: str = "") -> bool:
        """Exact match. The desk's own origin (BASE_URL, or the one the request was made to:
        the demo shop, the console) always passes."""
        return (
            origin in (settings.BASE_URL.rstrip("/"), own_origin) or origin in self.allowed_origins
        )


class VisitorSession(BaseModel):
    """One browser's visit to a shop with the widget; survives reloads (token in storage)."""

    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="sessions")
    # The secret half of the visitor's token; also the value of their VISITOR identity.
    key = models.CharField(max_length=64, unique=True)
    # Set when the visitor starts a chat or is identified by the shop: most page views
    # never become a chat and should not create customers.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="visitor_sessions"
    )
    current_url = models.URLField(max_length=2000, blank=True)
    current_title = models.CharField(max_length=300, blank=True)
    # Newest last, at most VISITOR_PAGES_KEPT entries of {"url", "title", "at"}.
    pages = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=10, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"visitor {self.pk}"


class Chat(models.Model):
    """The queue and seat state of one chat conversation."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="chat"
    )
    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="chats")
    visitor = models.ForeignKey(VisitorSession, on_delete=models.CASCADE, related_name="chats")
    # Whose members may take it: the inbox's team, or the team it was transferred to.
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, related_name="chats")
    state = models.CharField(max_length=16, choices=ChatState.choices, default=ChatState.QUEUED)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chats",
    )
    queued_at = models.DateTimeField(default=timezone.now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    visitor_read_sequence = models.PositiveIntegerField(default=0)
    agent_read_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["queued_at", "pk"]
        indexes = [
            models.Index(fields=["state", "team", "queued_at"], name="chat_queue"),
            models.Index(fields=["agent", "state"], name="chat_agent_state"),
            models.Index(fields=["widget", "ended_at"], name="chat_widget_ended"),
        ]
        constraints = [
            # A seated chat always names its agent; a queued one never does.
            models.CheckConstraint(
                condition=(
                    models.Q(state__in=["assigned", "active"], agent__isnull=False)
                    | models.Q(state="queued", agent__isnull=True)
                    | models.Q(state="ended")
                ),
                name="chat_agent_matches_state",
            ),
        ]

    def __str__(self) -> str:
        return f"chat {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state != ChatState.ENDED


class OfflineMessage(BaseModel):
    """A message left through the widget while nobody was online: one per client id."""

    widget = models.ForeignKey(ChatWidget, on_delete=models.CASCADE, related_name="+")
    client_id = models.CharField(max_length=64)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["widget", "client_id"], name="chat_offline_message_unique"
            ),
        ]


class CannedReply(BaseModel):
    """A prepared answer agents insert in the console ("/shortcut"); no team = every team."""

    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="canned_replies"
    )
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), max_length=4000)
    shortcut = models.SlugField(_("shortcut"), max_length=40, blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title
