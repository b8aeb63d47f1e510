from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChatState(models.TextChoices):
    # Waiting for a free seat in the queue of its team.
    QUEUED = "queued", _("Waiting in queue")
    # Given to an agent who has not answered yet; the answer timeout runs.
    ASSIGNED = "assigned", _("Assigned")
    # The agent has answered.
    ACTIVE = "active", pgettext_lazy("chat state: the agent has answered", "Active")
    ENDED = "ended", _("Ended")


# States that hold one of the agent's seats.
SEATED_STATES = (ChatState.ASSIGNED, ChatState.ACTIVE)
OPEN_STATES = (ChatState.QUEUED, ChatState.ASSIGNED, ChatState.ACTIVE)


class PrechatField(models.TextChoices):
    NAME = "name", pgettext_lazy("a chat visitor's name", "Name")
    EMAIL = "email", _("Email")
