"""Demo sign-ins created by `storedesk load_demo` and printed by `storedesk serve`.

Development only: these passwords are public by design. Each entry is (label, username, password).
"""

from __future__ import annotations

DEMO_PASSWORD = "storedesk-demo"  # noqa: S105  (public demo password)

DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("Admin (Maja Lindqvist)", "admin", DEMO_PASSWORD),
    ("Sales (Anna Berg, sv)", "anna", DEMO_PASSWORD),
    ("Support (Oliver Hughes, en)", "oliver", DEMO_PASSWORD),
    ("Billing (Priya Nair, en)", "priya", DEMO_PASSWORD),
    ("Support (Dmitry Sokolov, ru)", "dmitry", DEMO_PASSWORD),
    ("Billing (Elena Petrova, ru)", "elena", DEMO_PASSWORD),
    ("Support (Li Wei, zh-hans)", "liwei", DEMO_PASSWORD),
]
