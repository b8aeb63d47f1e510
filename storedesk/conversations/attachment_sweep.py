"""Deleting attachment files that no row references (docs/subsystems/email.md, "Crash safety").

Attachment files are written to storage inside the transaction that inserts their
`Attachment` rows (mail intake, replies, chat uploads); a process killed before that commit
leaves the files (whole or half written) with no row. They are garbage, never data: a mail
is processed again and writes its files anew, a reply or upload that did not commit was
never acknowledged. This sweep, on the schedule, deletes such files once they are older than a
grace period (`ATTACHMENT_ORPHAN_GRACE_SECONDS`, default an hour), far longer than any
transaction that is still going to commit its rows.

The attachments directory is walked lazily, and only files past the grace period are looked
up, in chunks by path: neither the directory nor the table is ever held in memory whole.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.storage import Storage
from django.utils import timezone

from storedesk.conversations.models import Attachment

logger = logging.getLogger(__name__)

# Attachment.file names start with this directory (conversations' `attachment_path`).
ATTACHMENTS_DIR = "attachments"
LOOKUP_CHUNK = 500


def orphan_grace_seconds() -> int:
    return settings.ATTACHMENT_ORPHAN_GRACE_SECONDS


def attachment_orphans_delete(*, now: datetime | None = None) -> int:
    """Delete attachment files older than the grace period that no Attachment row names.

    Returns how many were deleted. Idempotent: a second run finds nothing. Storage that has
    no local directory to walk (`Storage.path` not implemented) is left alone.
    """
    storage: Storage = Attachment._meta.get_field("file").storage
    try:
        root = Path(storage.path(ATTACHMENTS_DIR))
    except NotImplementedError:
        logger.warning(
            "conversations.attachments.sweep_unsupported", extra={"storage": repr(storage)}
        )
        return 0
    cutoff = (now or timezone.now()).timestamp() - orphan_grace_seconds()
    deleted = 0
    chunk: list[str] = []
    for name in _files_older_than(root, cutoff):
        chunk.append(name)
        if len(chunk) == LOOKUP_CHUNK:
            deleted += _unreferenced_delete(storage, chunk)
            chunk = []
    deleted += _unreferenced_delete(storage, chunk)
    if deleted:
        logger.warning("conversations.attachments.orphans_deleted", extra={"count": deleted})
    return deleted


def _files_older_than(root: Path, cutoff: float, directory: str = "") -> Iterator[str]:
    """Storage names ("attachments/12/invoice.pdf") of files modified before `cutoff`.

    Depth first, one open directory per level: memory stays flat however many
    conversations have a directory.
    """
    try:
        entries = os.scandir(root / directory)
    except FileNotFoundError:
        return  # no attachment yet, or removed meanwhile
    with entries:
        for entry in entries:
            relative = f"{directory}/{entry.name}" if directory else entry.name
            if entry.is_dir(follow_symlinks=False):
                yield from _files_older_than(root, cutoff, relative)
            elif entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff:
                yield f"{ATTACHMENTS_DIR}/{relative}"


def _unreferenced_delete(storage: Storage, names: list[str]) -> int:
    if not names:
        return 0
    referenced = set(Attachment.objects.filter(file__in=names).values_list("file", flat=True))
    orphans = [name for name in names if name not in referenced]
    for name in orphans:
        storage.delete(name)
    return len(orphans)
