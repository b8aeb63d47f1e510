"""Sign in, sign out and the agent's own profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from storedesk.accounts.decorators import agent_required
from storedesk.accounts.forms import LanguageForm, ProfileForm, SignInForm, profile_initial
from storedesk.accounts.models import User
from storedesk.accounts.services import user_profile_update, user_set_language


def _safe_next(request: HttpRequest, candidate: str, default: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(default)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""),
                          "conversations:inbox")
    if request.user.is_authenticated and request.method == "GET":
        return HttpResponseRedirect(next_url)
    form = SignInForm(request, data=request.POST if request.method == "POST" else None)
    if form.is_valid() and form.user is not None:
        login(request, form.user)
        return HttpResponseRedirect(next_url)
    status = 422 if form.is_bound else 200
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@agent_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = ProfileForm(request.POST or None, request.FILES or None, initial=profile_initial(user))
    if request.method == "POST":
        if form.is_valid():
            user_profile_update(user=user, **form.cleaned_data)
            messages.success(request, _("Your profile was saved."))
            return redirect("accounts:profile")
        return render(request, "accounts/profile.html", {"form": form}, status=422)
    return render(request, "accounts/profile.html", {"form": form})


@agent_required
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The workspace's language switch: an agent's saved language beats the cookie."""
    user = request.user
    assert isinstance(user, User)
    form = LanguageForm(request.POST)
    if form.is_valid():
        user_set_language(user=user, language=form.cleaned_data["language"])
    return redirect(_safe_next(request, request.POST.get("next", ""), "conversations:inbox"))
