from __future__ import annotations

import itertools

from storedesk.accounts.enums import Role
from storedesk.accounts.models import Team, User

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery"


def create_agent(
    *, username: str = "", role: str = Role.AGENT, display_name: str = "", email: str = ""
) -> User:
    username = username or f"agent{next(_counter)}"
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        email=email or f"{username}@shop.example",
        role=role,
        display_name=display_name,
    )


def create_admin(*, username: str = "") -> User:
    return create_agent(username=username or f"admin{next(_counter)}", role=Role.ADMIN)


def create_team(*, name: str = "", members: list[User] | None = None) -> Team:
    team = Team.objects.create(name=name or f"Team {next(_counter)}")
    if members:
        team.members.add(*members)
    return team
