"""Getting an IMAP folder past mail that kills the fetcher (docs/subsystems/email.md,
"Mail that kills the fetcher").

A mail whose processing kills the process (a segfault in a parser library, the OOM killer,
a hang a supervisor ends) raises nothing we could catch, and its batch rolls back with the
resume point. So before a batch is processed its UIDs are committed on the folder's
`ImapFolderState` (`attempt_first_uid`..`attempt_last_uid`, `attempt_count`); a batch
finishes by moving `last_uid` past them in its own commit. An attempt still above
`last_uid` when the next poll starts is one that never finished:

- the UIDs of that batch are then taken in one at a time (`careful_until_uid`), so the mail
  before and after the culprit gets in and only the culprit's own batch fails again;
- a single UID whose batch was started `MAIL_PROCESSING_MAX_ATTEMPTS` times (default 3, the
  worker's limit for stored mail too, intake_attempts.py) without finishing is stored
  straight into the quarantine without being parsed (`raw_email_set_aside`), and the folder
  moves past it.

Two pollers of one folder (the schedule and `fetch_mail --loop`) are kept from taking each
other's batch in progress for a crashed one: a batch locks the folder's row first thing in
its transaction (`folder_state_lock`; SQLite's write lock does the same), and the attempt is
recorded under that lock, so the second poller waits for the batch and then finds it done.
A batch that ends in an exception (the process lives on) is not counted (`attempt_undo`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from storedesk.mail.intake_attempts import max_attempts
from storedesk.mail.models import ImapFolderState

logger = logging.getLogger(__name__)

ATTEMPT_FIELDS = ["attempt_first_uid", "attempt_last_uid", "attempt_count", "careful_until_uid"]


@dataclass(frozen=True, slots=True)
class Attempt:
    uids: Sequence[int]
    # How many times exactly this batch has been started, this time included.
    count: int
    # The attempt fields (ATTEMPT_FIELDS) as they were before, for `attempt_undo`.
    before: tuple[int, ...]

    @property
    def set_aside(self) -> bool:
        """True when this is a single UID that already failed to finish too often."""
        return len(self.uids) == 1 and self.count > max_attempts()


def batch_next(state: ImapFolderState, uids: Sequence[int], size: int) -> Sequence[int]:
    """The next batch of `uids` (new UIDs, ascending): one alone while under suspicion."""
    if uids[0] <= _careful_until(state):
        return uids[:1]
    return uids[:size]


def attempt_begin(state: ImapFolderState, uids: Sequence[int]) -> Attempt | None:
    """Record, and commit, that the batch `uids` is about to be taken in.

    Returns None when another poller took these UIDs in meanwhile (nothing recorded; `state`
    is brought up to date so the caller moves on). Must not run inside a transaction: the
    record has to outlive a crash of what follows.
    """
    with transaction.atomic(durable=True):
        fresh = ImapFolderState.objects.select_for_update().get(pk=state.pk)
        if fresh.uidvalidity != state.uidvalidity or fresh.last_uid >= uids[0]:
            state.last_uid = max(state.last_uid, fresh.last_uid)
            return None
        before = tuple(getattr(fresh, name) for name in ATTEMPT_FIELDS)
        same = (fresh.attempt_first_uid, fresh.attempt_last_uid) == (uids[0], uids[-1])
        count = fresh.attempt_count + 1 if _unfinished(fresh) and same else 1
        state.careful_until_uid = _careful_until(fresh)
        state.attempt_first_uid, state.attempt_last_uid = uids[0], uids[-1]
        state.attempt_count = count
        state.save(update_fields=[*ATTEMPT_FIELDS, "updated_at"])
    if count > 1 or uids[0] <= state.careful_until_uid:
        logger.warning(
            "mail.imap.batch_retried",
            extra={
                "folder_state_id": state.pk,
                "first_uid": uids[0],
                "last_uid": uids[-1],
                "attempt": count,
            },
        )
    return Attempt(uids=uids, count=count, before=before)


def attempt_undo(state: ImapFolderState, attempt: Attempt) -> None:
    """Forget `attempt`: it ended in an exception, which the process survived, so it is no
    sign of a mail that kills the fetcher (a database error, say, is retried as it was).

    Guarded like the record: an attempt recorded since by another poller stays.
    """
    values = dict(zip(ATTEMPT_FIELDS, attempt.before, strict=True))
    ImapFolderState.objects.filter(
        pk=state.pk,
        attempt_first_uid=attempt.uids[0],
        attempt_last_uid=attempt.uids[-1],
        attempt_count=attempt.count,
    ).update(**values, updated_at=timezone.now())
    for name, value in values.items():
        setattr(state, name, value)


def folder_state_lock(state: ImapFolderState) -> None:
    """Lock the folder's row until the current transaction ends (a batch's first step)."""
    list(ImapFolderState.objects.select_for_update().filter(pk=state.pk).values_list("pk"))


def attempts_forget(state: ImapFolderState) -> None:
    """Clear the attempt fields in memory (a new UIDVALIDITY: the old UIDs mean nothing)."""
    state.attempt_first_uid = state.attempt_last_uid = state.careful_until_uid = 0
    state.attempt_count = 0


def _unfinished(state: ImapFolderState) -> bool:
    # A finished batch moved `last_uid` to its last UID in the same commit.
    return state.attempt_first_uid > state.last_uid


def _careful_until(state: ImapFolderState) -> int:
    if _unfinished(state):
        return max(state.careful_until_uid, state.attempt_last_uid)
    return state.careful_until_uid
