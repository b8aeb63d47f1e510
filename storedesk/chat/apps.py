from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "storedesk.chat"
    label = "chat"

    def ready(self) -> None:
        """Register the chat ChannelAdapter (STYLE.md 3.1: adapters register themselves)."""
        from storedesk.chat.adapter import ChatChannelAdapter
        from storedesk.inboxes.channels import channel_adapter_register

        channel_adapter_register(ChatChannelAdapter())
