"""The agent workspace: inbox list, conversation page and the actions on them."""
