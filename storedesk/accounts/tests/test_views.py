from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from storedesk.accounts.models import User
from storedesk.accounts.tests.factories import PASSWORD, create_agent

LOGIN_URL = "/accounts/login/"


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#336699").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("login", ["anna", "Anna@Shop.example"])
def test_sign_in_with_username_or_email(client: Client, agent: User, login: str) -> None:
    response = client.post(LOGIN_URL, {"login": login, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/conversations/"
    assert client.session["_auth_user_id"] == str(agent.pk)


def test_wrong_password_is_refused(client: Client, agent: User) -> None:
    response = client.post(LOGIN_URL, {"login": "anna", "password": "nope"})

    assert response.status_code == 422
    assert "That username or email and password do not match." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_next_outside_the_site_is_ignored(client: Client, agent: User) -> None:
    response = client.post(
        LOGIN_URL, {"login": "anna", "password": PASSWORD, "next": "https://evil.example/"}
    )

    assert response["Location"] == "/conversations/"


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_WINDOW_SECONDS=600)
def test_too_many_failures_for_one_account_lock_it(client: Client, agent: User) -> None:
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        client.post(LOGIN_URL, {"login": "anna", "password": "bad"}, REMOTE_ADDR=address)

    response = client.post(
        LOGIN_URL, {"login": "anna", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )

    assert response.status_code == 422
    assert (
        "Too many failed sign-in attempts. Wait 10 minutes and try again."
        in response.content.decode()
    )
    assert "_auth_user_id" not in client.session


@override_settings(LOGIN_FAILURE_LIMIT=3, LOGIN_FAILURE_WINDOW_SECONDS=600)
def test_too_many_failures_from_one_address_lock_it(client: Client, agent: User) -> None:
    for login in ("bert", "carl", "dora"):
        client.post(LOGIN_URL, {"login": login, "password": "bad"}, REMOTE_ADDR="10.0.0.1")

    locked = client.post(LOGIN_URL, {"login": "anna", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    elsewhere = client.post(
        LOGIN_URL, {"login": "anna", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )

    assert locked.status_code == 422
    assert elsewhere.status_code == 302


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_failures_below_the_limit_still_allow_sign_in(client: Client, agent: User) -> None:
    for _attempt in range(2):
        client.post(LOGIN_URL, {"login": "anna", "password": "bad"})

    response = client.post(LOGIN_URL, {"login": "anna", "password": PASSWORD})

    assert response.status_code == 302


def test_sign_out_needs_post(agent_client: Client) -> None:
    assert agent_client.get("/accounts/logout/").status_code == 405

    response = agent_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in agent_client.session


def test_workspace_requires_sign_in(client: Client) -> None:
    response = client.get("/conversations/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/conversations/"


def test_csrf_is_enforced_on_sign_in(agent: User) -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(LOGIN_URL, {"login": "anna", "password": PASSWORD})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_profile_saves_preferences_and_avatar(agent_client: Client, agent: User) -> None:
    response = agent_client.post(reverse("accounts:profile"), {
        "display_name": "Anna B.", "language": "sv", "time_zone": "Europe/Stockholm",
        "signature": "Anna, Nordic Lamps",
        "avatar": SimpleUploadedFile("me.png", _png(), content_type="image/png"),
    })

    assert response.status_code == 302
    agent.refresh_from_db()
    assert (agent.display_name, agent.language, agent.time_zone, agent.signature) == (
        "Anna B.", "sv", "Europe/Stockholm", "Anna, Nordic Lamps"
    )
    assert agent.avatar.name.startswith("avatars/me")


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (SimpleUploadedFile("me.png", b"not an image", content_type="image/png"),
         "Upload a valid image."),
        (SimpleUploadedFile("big.png", _png() + b"\0" * (2 * 1024 * 1024),
                            content_type="image/png"),
         "The image is larger than 2.0\xa0MB."),
    ],
)
def test_profile_refuses_bad_avatars(
    agent_client: Client, agent: User, upload: SimpleUploadedFile, error: str
) -> None:
    response = agent_client.post(reverse("accounts:profile"), {
        "display_name": "Changed", "language": "", "time_zone": "UTC", "avatar": upload,
    })

    assert response.status_code == 422
    assert error in response.content.decode()
    agent.refresh_from_db()
    assert (agent.display_name, agent.avatar.name) == ("Anna Berg", "")


def test_profile_refuses_unknown_time_zone(agent_client: Client, agent: User) -> None:
    response = agent_client.post(
        reverse("accounts:profile"), {"display_name": "X", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 422
    agent.refresh_from_db()
    assert agent.time_zone == "UTC"


def test_language_switch_saves_the_agents_language(agent_client: Client, agent: User) -> None:
    response = agent_client.post(
        reverse("accounts:language"), {"language": "ru", "next": "/conversations/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/conversations/"
    agent.refresh_from_db()
    assert agent.language == "ru"
    assert agent_client.get("/conversations/")["Content-Language"] == "ru"


def test_inactive_agent_cannot_sign_in(client: Client, db: None) -> None:
    user = create_agent(username="gone")
    user.is_active = False
    user.save()

    response = client.post(LOGIN_URL, {"login": "gone", "password": PASSWORD})

    assert response.status_code == 422
