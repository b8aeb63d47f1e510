"""Who the portal visitor is: the signed-in customer kept in the session, or a status token."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from storedesk.conversations.access import access_conversation_for_customer
from storedesk.conversations.models import Conversation
from storedesk.conversations.status_links import status_token_read
from storedesk.customers.models import Customer

SESSION_KEY = "portal_customer_id"
P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def session_customer(request: HttpRequest) -> Customer | None:
    customer_id = request.session.get(SESSION_KEY)
    if not isinstance(customer_id, int):
        return None
    return Customer.objects.prefetch_related("identities").filter(pk=customer_id).first()


def session_sign_in(request: HttpRequest, customer: Customer) -> None:
    # A new session key, so a key planted before sign-in (session fixation) is worthless.
    request.session.cycle_key()
    request.session[SESSION_KEY] = customer.pk


def session_sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def signin_redirect(request: HttpRequest) -> HttpResponseRedirect:
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('portal:signin')}?{query}")


def customer_required(
    view: Callable[Concatenate[HttpRequest, Customer, P], R],
) -> Callable[Concatenate[HttpRequest, P], R | HttpResponseRedirect]:
    """Pass the signed-in customer to the view; send everyone else to the sign-in page."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs
    ) -> R | HttpResponseRedirect:
        customer = session_customer(request)
        if customer is None:
            return signin_redirect(request)
        return view(request, customer, *args, **kwargs)

    return wrapper


def access_conversation_by_status_token(*, token: str) -> Conversation:
    """The conversation a signed status link names; 404 for a forged or stale token."""
    payload = status_token_read(token)
    if payload is None:
        raise Http404
    number, customer_id = payload
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    conversation = access_conversation_for_customer(customer=customer, number=number)
    if conversation.customer_id != customer_id:
        raise Http404
    return conversation
