"""One log line per HTTP request: id, method, path, status and duration.

First in ``MIDDLEWARE``, so that redirects to HTTPS, refused hosts and errors
are logged too.  The request id is nginx's ``X-Request-ID`` when it sends a
well-formed one (so its access log and ours can be joined), a new one otherwise;
it is returned in the response's ``X-Request-ID`` header and attached to every
record logged while the request is served (see ``config.logs.ContextFilter``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import empty

from config.logs import request_id_var

logger = logging.getLogger("declass.request")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Probes call these every few seconds; at INFO they would drown the real traffic.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _VALID_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        start = time.perf_counter()
        try:
            response = self.get_response(request)
            duration_ms = round((time.perf_counter() - start) * 1000, 1)
            response[REQUEST_ID_HEADER] = request_id
            logger.log(
                logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


def _user_id(request: HttpRequest) -> int | None:
    """The user's id if the view already loaded the user; never a query of its own.

    Loading it here would cost a session and user query on pages that do not need
    them, and fail on the readiness probe while the database is down.
    """
    user = getattr(request, "user", None)
    loaded = getattr(user, "_wrapped", user)
    if loaded is None or loaded is empty or not loaded.is_authenticated:
        return None
    return loaded.pk
