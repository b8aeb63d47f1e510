from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "storedesk.mail"
    label = "mail"

    def ready(self) -> None:
        """Register the email ChannelAdapter (STYLE.md 3.1: adapters register themselves)."""
        from storedesk.inboxes.channels import channel_adapter_register
        from storedesk.mail.adapter import EmailChannelAdapter

        channel_adapter_register(EmailChannelAdapter())
