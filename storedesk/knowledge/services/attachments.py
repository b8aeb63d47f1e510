"""Images and files attached to an article, stored through Django's storage."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from storedesk.accounts.models import User
from storedesk.knowledge.models import Article, ArticleAttachment

ALLOWED_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
}
# What the first bytes must look like for each type we show inline or serve as is.
_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
    "application/pdf": (b"%PDF-",),
}


def _check(upload: UploadedFile) -> str:
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in ALLOWED_TYPES:
        raise ValidationError(_("This file type is not allowed."))
    if upload.size is None or upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(_("The file is too large."))
    head = upload.read(16)
    upload.seek(0)
    signatures = _MAGIC.get(content_type)
    if signatures and not head.startswith(signatures):
        raise ValidationError(_("The file's content does not match its type."))
    return content_type


@transaction.atomic
def attachment_add(
    *, article: Article, upload: UploadedFile, actor: User | None
) -> ArticleAttachment:
    """Store a checked file for the article. Writes the file to storage."""
    content_type = _check(upload)
    name = PurePath(upload.name or "file").name[:200] or "file"
    return ArticleAttachment.objects.create(
        article=article,
        file=upload,
        name=name,
        content_type=content_type,
        size=upload.size or 0,
        uploaded_by=actor,
    )
