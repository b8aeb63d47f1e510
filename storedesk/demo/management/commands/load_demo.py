"""`storedesk load_demo`: two stores, seven agents, sixty customers, three hundred conversations.

Safe to run again: what is already there is found, not duplicated (see demo/loader.py).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from storedesk.demo.credentials import DEMO_LOGINS
from storedesk.demo.loader import demo_load


class Command(BaseCommand):
    help = "Load demo stores, agents, customers and conversations (safe to run again)."

    def handle(self, *args: Any, **options: Any) -> None:
        summary = demo_load()
        self.stdout.write(self.style.SUCCESS(summary.describe()))
        self.stdout.write("Sign in as:")
        for label, username, password in DEMO_LOGINS:
            self.stdout.write(f"  {label}: {username} / {password}")
