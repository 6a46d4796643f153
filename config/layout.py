"""The addresses the site's layout (templates/base.html) links on every page.

They depend only on the URL configuration and the prefix the site is served under,
not on the request's user or data, yet ``{% url %}`` and ``{% static %}`` worked them
out again on every page: thirteen lookups, about 4% of a review queue page.  The
context processor hands the layout the same strings, worked out once for each
(URL configuration, script prefix) a process serves.
"""

from __future__ import annotations

from functools import lru_cache

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, get_script_prefix, reverse

from config.jinja2 import current_urlconf

# Name in the layout -> URL name.
_PAGES = {
    "home": "home",
    "queue": "workflow:queue",
    "forecast": "workflow:forecast",
    "batches": "workflow:batches",
    "assign": "workflow:assign",
    "workload": "workflow:workload",
    "audit": "workflow:audit",
    "reading_room": "releases:reading_room",
    "notifications": "workflow:notifications",
    "admin": "admin:index",
    "logout": "logout",
}
# Name in the layout -> static file.
_ASSETS = {"css": "css/declass.css", "htmx": "js/htmx.min.js"}


@lru_cache(maxsize=16)
def _addresses(urlconf: str, prefix: str) -> dict[str, str]:
    # ``reverse`` and ``static`` read the same urlconf and prefix, which key the cache.
    pages = {}
    for key, name in _PAGES.items():
        try:
            pages[key] = reverse(name, urlconf=urlconf)
        except NoReverseMatch:  # a site served without that page (the admin, say)
            continue
    return {**pages, **{key: static(path) for key, path in _ASSETS.items()}}


def layout(request: HttpRequest) -> dict[str, dict[str, str]]:
    """``{{ layout.queue }}``, ``{{ layout.css }}``...: the layout's links and assets."""
    return {"layout": _addresses(current_urlconf(), get_script_prefix())}
