from __future__ import annotations

from django.http import FileResponse, HttpRequest
from django.views.decorators.http import require_GET

from storedesk.accounts.decorators import agent_required
from storedesk.conversations.access import access_attachment_for_agent
from storedesk.conversations.views.common import agent_of


@agent_required
@require_GET
def download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Always a download (never rendered inline), with the type stored at upload."""
    attachment = access_attachment_for_agent(agent=agent_of(request), attachment_id=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
