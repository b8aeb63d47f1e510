"""Keeps conversations.access's cached visible inboxes true to teams and inboxes."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from storedesk.accounts.models import Team
from storedesk.conversations.access import access_cache_invalidate
from storedesk.inboxes.models import Inbox


@receiver(m2m_changed, sender=Team.members.through)
def _team_members_changed(action: str, **_kwargs: Any) -> None:
    if action.startswith("post_"):
        access_cache_invalidate()


@receiver(post_save, sender=Inbox)
@receiver(post_delete, sender=Inbox)
@receiver(post_delete, sender=Team)
def _inbox_or_team_changed(**_kwargs: Any) -> None:
    access_cache_invalidate()
