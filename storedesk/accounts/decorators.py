"""View guards for the agent workspace."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def agent_required(view: Callable[P, R]) -> Callable[P, R]:
    """Signed-in staff only. Every User is an agent or an administrator; customers sign in
    to the portal with magic links and never have a User."""
    return login_required(view)


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Signed-in administrators only; an agent gets 404 and so does not learn the page exists."""

    @wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0]
        assert isinstance(request, HttpRequest)
        if not getattr(request.user, "is_admin", False):
            raise Http404
        return view(*args, **kwargs)

    return login_required(guarded)
