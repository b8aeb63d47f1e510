"""The email channel's records: raw inbound mail, where it went, the outbox, IMAP state.

Nothing here is a conversation: intake turns a RawEmail into Messages through
storedesk.conversations.services, and the outbox delivers Messages (and automatic mail).
Every row that holds a customer's mail points at what the customer owns (a delivery's
message, an outbound message's conversation) so export and erasure can find it.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from storedesk.conversations.models import Conversation, Message
from storedesk.core.models import BaseModel
from storedesk.inboxes.models import Inbox, InboxAddress
from storedesk.mail.enums import (
    ImapSecurity,
    IntakeSource,
    OutboundKind,
    OutboundState,
    RawEmailKind,
    RawEmailState,
)


class RawEmail(BaseModel):
    """One received message, byte for byte, stored once however many addresses it reached.

    `dedupe_key` is "mid:<sha256 of the normalised Message-ID>" or, for mail without one,
    "raw:<sha256 of the bytes>"; its unique constraint (not a prior lookup) makes a second
    intake of the same mail a no-op.
    """

    dedupe_key = models.CharField(max_length=80, unique=True)
    header_message_id = models.CharField(max_length=998, blank=True)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=IntakeSource.choices)
    envelope_from = models.CharField(max_length=998, blank=True)
    state = models.CharField(
        max_length=16, choices=RawEmailState.choices, default=RawEmailState.RECEIVED
    )
    kind = models.CharField(
        max_length=16, choices=RawEmailKind.choices, default=RawEmailKind.PERSONAL
    )
    # Why it was quarantined or ignored, for the admins' quarantine screen.
    reason = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Attempts at processing it that have not finished: counted (and committed) before each
    # starts, back to 0 when one finishes it; so while it waits, the attempts whose process
    # died. Set aside unparsed after too many (intake_attempts.py).
    processing_attempts = models.PositiveSmallIntegerField(default=0, db_default=0)
    processing_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="rawemail_state_created"),
            models.Index(fields=["header_message_id"], name="rawemail_message_id"),
        ]

    def __str__(self) -> str:
        return self.dedupe_key


class RawEmailDelivery(BaseModel):
    """A raw email addressed to one of our inboxes; the message it became there.

    Unique per (raw email, inbox): a mail to sales@ and support@ gives two deliveries and
    two conversations, and the same mail again (IMAP and SMTP both) gives nothing new.
    """

    raw_email = models.ForeignKey(RawEmail, on_delete=models.CASCADE, related_name="deliveries")
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="raw_deliveries")
    recipient = models.CharField(max_length=320)
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="raw_delivery"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["raw_email", "inbox"], name="rawemail_delivery_unique_inbox"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.raw_email_id} -> {self.inbox_id}"


class ReplyToken(BaseModel):
    """The token in a conversation's plus-address Reply-To (support+T4Q9X@shop.example)."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="reply_token"
    )
    token = models.CharField(max_length=16, unique=True)

    def __str__(self) -> str:
        return self.token


class OutboundEmail(BaseModel):
    """The outbox: one row per mail to send, written in the transaction that decided it.

    `raw` is built once, so every retry sends the same bytes with the same Message-ID.
    An acknowledgement is recorded by intake as due, with `raw` empty and `draft` holding
    what only intake knows (the recipient, the customer's Message-ID, the promised answer
    time); the first send composes and stores its bytes (`auto_reply_build`), keeping the
    Message-ID chosen at intake. `draft` is {} once `raw` is built.
    """

    kind = models.CharField(max_length=16, choices=OutboundKind.choices)
    message = models.OneToOneField(
        Message, on_delete=models.SET_NULL, null=True, blank=True, related_name="outbound_email"
    )
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_emails",
    )
    header_message_id = models.CharField(max_length=998, unique=True)
    mail_from = models.CharField(max_length=998)
    recipients = models.JSONField(default=list)
    # The first recipient, normalised: auto-reply limits count per sender with it.
    recipient_key = models.CharField(max_length=320, blank=True)
    raw = models.BinaryField(blank=True)
    draft = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=16, choices=OutboundState.choices, default=OutboundState.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="outbound_due",
                condition=models.Q(state="queued"),
            ),
            models.Index(fields=["recipient_key", "kind", "created_at"], name="outbound_recipient"),
        ]

    def __str__(self) -> str:
        return self.header_message_id


class ImapAccount(BaseModel):
    """A mailbox Storedesk fetches from. New mail is found by UIDVALIDITY + UID."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="imap_accounts")
    host = models.CharField(_("host"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(
        _("security"), max_length=16, choices=ImapSecurity.choices, default=ImapSecurity.TLS
    )
    username = models.CharField(_("user name"), max_length=320)
    password = models.CharField(_("password"), max_length=500, blank=True)
    # Dotted path of a callable(account) -> access token, for OAuth2 (XOAUTH2) providers.
    oauth_token_hook = models.CharField(max_length=255, blank=True)
    folders = models.JSONField(_("folders"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    last_error = models.TextField(blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["host", "username"]

    def __str__(self) -> str:
        return f"{self.username}@{self.host}"


class ImapFolderState(BaseModel):
    """Where fetching resumes: the folder's UIDVALIDITY and the last UID taken in.

    The attempt fields are committed before a batch is processed, so a fetcher that dies
    while processing leaves them above `last_uid`; the next poll sees that and takes the
    batch's mail in one at a time, and sets aside a mail it died on too often (imap_attempts.py).
    """

    account = models.ForeignKey(ImapAccount, on_delete=models.CASCADE, related_name="states")
    folder = models.CharField(max_length=255)
    uidvalidity = models.PositiveBigIntegerField()
    last_uid = models.PositiveBigIntegerField(default=0)
    # The UIDs of the batch being taken in, and how many times exactly that batch was started.
    attempt_first_uid = models.PositiveBigIntegerField(default=0, db_default=0)
    attempt_last_uid = models.PositiveBigIntegerField(default=0, db_default=0)
    attempt_count = models.PositiveIntegerField(default=0, db_default=0)
    # Up to this UID mail is taken in one at a time: a batch holding it never finished.
    careful_until_uid = models.PositiveBigIntegerField(default=0, db_default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "folder"], name="imap_folder_state_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}:{self.folder}"


class MailboxProbe(BaseModel):
    """A health-check mail sent to one of our addresses, and when it came back."""

    address = models.ForeignKey(InboxAddress, on_delete=models.CASCADE, related_name="probes")
    token = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.token


class InboundWebhook(BaseModel):
    """The secret a mail provider's inbound hook proves itself with, one per inbox.

    Used as the HMAC-SHA256 key of `X-Storedesk-Signature: sha256=<hex>` or sent as
    `Authorization: Bearer <secret>`; it has to be stored readable to check signatures.
    """

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="inbound_webhook")
    secret = models.CharField(max_length=128)
    is_active = models.BooleanField(_("active"), default=True)

    def __str__(self) -> str:
        return f"webhook for inbox {self.inbox_id}"
