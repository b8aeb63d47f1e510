"""Canned replies of the agent console: the ones an agent may use, and adding one."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from storedesk.accounts.models import Team, User
from storedesk.chat.errors import ChatError
from storedesk.chat.models import CannedReply


def canned_replies_for_agent(*, agent: User) -> QuerySet[CannedReply]:
    """Everyone's replies (no team) and those of the agent's teams, by title."""
    return CannedReply.objects.filter(
        Q(team__isnull=True) | Q(team__in=agent.teams.all())
    ).order_by("title", "pk")


def canned_reply_create(
    *, agent: User, title: str, text: str, shortcut: str = "", team: Team | None = None
) -> CannedReply:
    """Add a reply for one of the agent's teams (or everyone). A shortcut is unique among the
    replies the agent sees, so "/shortcut" in the composer always means one reply."""
    if team is not None and not agent.teams.filter(pk=team.pk).exists() and not agent.is_admin:
        raise ChatError("forbidden", _("You can add canned replies only for your own teams."))
    if shortcut and canned_replies_for_agent(agent=agent).filter(shortcut=shortcut).exists():
        raise ChatError("invalid", _("Another canned reply already uses this shortcut."))
    return CannedReply.objects.create(team=team, title=title, text=text, shortcut=shortcut)
