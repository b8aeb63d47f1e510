from django.db import models
from django.utils.translation import gettext_lazy as _


class IntakeSource(models.TextChoices):
    SMTP = "smtp", _("SMTP receiver")
    LMTP = "lmtp", _("LMTP receiver")
    IMAP = "imap", _("IMAP")
    WEBHOOK = "webhook", _("HTTP webhook")
    IMPORT = "import", _("Import")
    DEVMAIL = "devmail", _("Development mail capture")


class RawEmailState(models.TextChoices):
    RECEIVED = "received", _("Received")  # stored, not yet turned into conversations
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")
    IGNORED = "ignored", _("Ignored")  # bounces and health probes: no conversation


class RawEmailKind(models.TextChoices):
    PERSONAL = "personal", _("Personal")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Bounce")
    PROBE = "probe", _("Health probe")


class OutboundState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    BOUNCED = "bounced", _("Bounced")


class OutboundKind(models.TextChoices):
    REPLY = "reply", _("Reply")
    NOTIFICATION = "notification", _("Notification")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    PROBE = "probe", _("Health probe")


class ImapSecurity(models.TextChoices):
    TLS = "tls", _("TLS")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (local testing only)")
