"""Every answer of the service is kept by no cache, a browser's or a proxy's, unless its
view says otherwise.

Why: a page that shows cable text, kept in a browser's cache and history, outlives the
session that was allowed to read it; after its reader logs out at a shared desk, the next
person's Back button shows it.  Marking routes one URLconf at a time left every new app's
routes to remember it; a middleware covers them all, pages, API answers, exports, previews
and error pages alike.  A view that sets its own ``Cache-Control`` keeps it (Django's admin
says ``no-store`` itself; a published release's stored file says ``private, no-cache``), and
static files never get here: WhiteNoise, before this middleware, answers them.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            # no-cache, no-store, must-revalidate, private, and an Expires in the past
            add_never_cache_headers(response)
        return response
