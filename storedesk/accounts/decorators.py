"""View guards for the agent workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.http.response import HttpResponseBase

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def agent_required(view: Callable[P, R]) -> Callable[P, R]:
    """Signed-in staff only. Every User is an agent or an administrator; customers sign in
    to the portal with magic links and never have a User."""
    return login_required(view)
