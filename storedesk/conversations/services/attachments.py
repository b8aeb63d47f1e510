"""Checking and storing files attached to messages."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from storedesk.conversations.models import Attachment, Conversation, Message


def attachments_validate(files: Sequence[UploadedFile]) -> None:
    """Raise ValidationError with a message a person understands for any bad file."""
    if len(files) > settings.ATTACHMENT_MAX_FILES:
        raise ValidationError(
            _("At most %(count)d files can be attached.") % {"count": settings.ATTACHMENT_MAX_FILES}
        )
    for upload in files:
        name = upload.name or ""
        if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                _("%(name)s is larger than %(limit)s.")
                % {"name": name, "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)}
            )
        if PurePath(name.lower()).suffix in settings.ATTACHMENT_BLOCKED_EXTENSIONS:
            raise ValidationError(
                _("%(name)s is a file type that cannot be attached.") % {"name": name}
            )


def attachments_store(
    *, conversation: Conversation, message: Message, files: Sequence[UploadedFile]
) -> list[Attachment]:
    stored = []
    for upload in files:
        filename = get_valid_filename(PurePath(upload.name or "file").name) or "file"
        # The browser's content type is a claim; the extension decides what we serve it as.
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        attachment = Attachment(
            conversation=conversation,
            message=message,
            filename=filename,
            content_type=content_type,
            size=upload.size or 0,
        )
        attachment.file.save(filename, upload, save=False)
        attachment.save()
        stored.append(attachment)
    return stored
