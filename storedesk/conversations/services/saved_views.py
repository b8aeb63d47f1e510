"""An agent's own saved inbox views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from storedesk.accounts.models import User
from storedesk.conversations.models import SavedView


def saved_view_create(*, owner: User, name: str, query: str) -> SavedView:
    """Keep a named inbox query for `owner`. Names are unique per agent."""
    try:
        with transaction.atomic():
            return SavedView.objects.create(owner=owner, name=name.strip(), query=query)
    except IntegrityError:
        raise ValidationError(
            _("You already have a view called %(name)s.") % {"name": name.strip()}
        ) from None


def saved_view_delete(*, owner: User, saved_view_id: int) -> bool:
    """Delete one of `owner`'s views; someone else's view is left alone (returns False)."""
    deleted, _rows = SavedView.objects.filter(owner=owner, pk=saved_view_id).delete()
    return deleted > 0
