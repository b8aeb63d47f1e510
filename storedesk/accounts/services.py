"""Signing in (with throttling) and agents' own profile changes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest

from storedesk.accounts.enums import AgentStatus
from storedesk.accounts.models import User
from storedesk.accounts.selectors import user_get_by_login


class LoginThrottledError(Exception):
    """Too many recent failures for this account or this address."""


def _failure_keys(*, login: str, ip: str) -> list[str]:
    return [f"login-failures:login:{login.strip().lower()}", f"login-failures:ip:{ip}"]


def login_is_throttled(*, login: str, ip: str) -> bool:
    counts = cache.get_many(_failure_keys(login=login, ip=ip))
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts.values())


def login_failure_record(*, login: str, ip: str) -> None:
    """Count a failure per login and per IP; each counter expires a window after its first."""
    for key in _failure_keys(login=login, ip=ip):
        if not cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def agent_authenticate(
    *, request: HttpRequest, login: str, password: str, ip: str
) -> User | None:
    """The agent for these credentials, or None (the failure is counted).

    Raises LoginThrottledError without checking the password once the limit is reached,
    so a locked-out attacker learns nothing more.
    """
    if login_is_throttled(login=login, ip=ip):
        raise LoginThrottledError
    user = user_get_by_login(login=login)
    authenticated = (
        authenticate(request, username=user.username, password=password) if user else None
    )
    if not isinstance(authenticated, User):
        login_failure_record(login=login, ip=ip)
        return None
    cache.delete(_failure_keys(login=login, ip=ip)[0])
    return authenticated


def user_profile_update(
    *,
    user: User,
    display_name: str,
    language: str,
    time_zone: str,
    signature: str,
    avatar: UploadedFile | None = None,
    remove_avatar: bool = False,
) -> User:
    """Save the agent's own settings. Replacing or removing the avatar deletes the old file."""
    user.display_name = display_name.strip()
    user.language = language
    user.time_zone = time_zone
    user.signature = signature
    fields = ["display_name", "language", "time_zone", "signature"]
    if (avatar is not None or remove_avatar) and user.avatar:
        user.avatar.delete(save=False)
    if avatar is not None:
        user.avatar.save(avatar.name or "avatar", avatar, save=False)
    elif remove_avatar:
        user.avatar = ""
    user.save(update_fields=[*fields, "avatar"])
    return user


def user_set_language(*, user: User, language: str) -> User:
    user.language = language
    user.save(update_fields=["language"])
    return user


def user_status_set(*, user: User, status: str) -> User:
    """Online, away or offline (AgentStatus); live chat offers chats only to online agents."""
    user.status = AgentStatus(status)
    user.save(update_fields=["status"])
    return user
