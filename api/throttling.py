"""Request throttles of the API, and the client address django-axes counts logins by.

DRF checks throttles after authentication, and a wrong password ends the request
there (401): the password login (``api.tokens.TokenLogin``) checks its throttle first,
so that every attempt counts.  The client is identified as DRF's throttles identify
it: ``REMOTE_ADDR``, or behind ``NUM_PROXIES`` proxies (``DECLASS_PROXY_COUNT``) the
address the nearest one saw, never one the client could write into a header.
"""

from __future__ import annotations

from typing import Any

from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


def client_ip(request: Any) -> str | None:
    """The client's address (``AXES_CLIENT_IP_CALLABLE``): the same as the throttles'."""
    return BaseThrottle().get_ident(request) or None


class LoginRateThrottle(SimpleRateThrottle):
    """Password logins by client address (rate ``login``), the user never looked at:
    the throttle runs before the password is checked."""

    scope = "login"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
