"""The portal's rate limits live in core (storedesk.core.throttle), shared with knowledge."""

from storedesk.core.throttle import client_ip, rate_limit_take

__all__ = ["client_ip", "rate_limit_take"]
