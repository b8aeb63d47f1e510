"""The workspace banner shown while a mailbox health check is failing."""

from __future__ import annotations

from django import template

from storedesk.mail.health import MailboxHealth, mailbox_health_failing

register = template.Library()


@register.simple_tag
def mailbox_health_failing_list() -> list[MailboxHealth]:
    return mailbox_health_failing()
