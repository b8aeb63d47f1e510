from django.urls import path

from storedesk.conversations.views import actions, attachments, compose, detail, inbox

app_name = "conversations"
urlpatterns = [
    path("", inbox.inbox, name="inbox"),
    path("bulk/", inbox.bulk, name="bulk"),
    path("views/", inbox.saved_view_add, name="saved_view_create"),
    path("views/<int:saved_view_id>/delete/", inbox.saved_view_remove, name="saved_view_delete"),
    path("attachments/<int:attachment_id>/", attachments.download, name="attachment"),
    path("<int:number>/", detail.detail, name="detail"),
    path("<int:number>/timeline/", detail.timeline, name="timeline"),
    path("<int:number>/header/", detail.header, name="header"),
    path("<int:number>/delivery/", detail.delivery, name="delivery"),
    path("<int:number>/reply/", compose.reply, name="reply"),
    path("<int:number>/note/", compose.note, name="note"),
    path("<int:number>/status/", actions.status, name="status"),
    path("<int:number>/priority/", actions.priority, name="priority"),
    path("<int:number>/team/", actions.team, name="team"),
    path("<int:number>/assignee/", actions.assignee, name="assignee"),
    path("<int:number>/tags/", actions.tags, name="tags"),
    path("<int:number>/snooze/", actions.snooze, name="snooze"),
    path("<int:number>/merge/", actions.merge, name="merge"),
    path("<int:number>/block/", actions.block, name="block"),
    path("<int:number>/restore/", actions.restore, name="restore"),
]
