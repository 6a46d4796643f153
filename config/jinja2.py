"""The Jinja2 environment of the second template engine (settings.TEMPLATES, "jinja2").

Jinja2 renders what the busiest pages repeat (templates/jinja2/): the review queue's
whole content (links, filters through Django's Jinja2 form renderer, bulk moves, its 50
rows, the pager) and the review page's paragraphs with their forms, where Django's
template engine cost more than the pages' SQL.  Autoescaping is on, so everything a
cable brings is escaped; the rendered content is handed to the Django page templates,
which keep the layout (base.html).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_script_prefix, get_urlconf, reverse
from jinja2 import Environment, StrictUndefined

_SENTINEL = 987654321


def pk_url(name: str) -> Callable[[Any], str]:
    """``reverse(name, args=[pk])`` for many pks, reversing once.

    ``reverse`` takes about 20 µs a call and the queue asks for two URLs a row:
    ``{% set review_url = pk_url("workflow:review") %}`` before the loop, then
    ``review_url(c.pk)`` in it.
    """
    pattern = url(name, _SENTINEL)
    head, _, tail = pattern.partition(str(_SENTINEL))
    return lambda pk: f"{head}{int(pk)}{tail}"


def url(name: str, *args: Any, **kwargs: Any) -> str:
    """``{{ url("workflow:queue") }}``, ``{{ url("workflow:review", cable.pk) }}``.

    Remembered for each URL configuration and script prefix (``reverse`` costs about
    20 µs, and the queue's content asks for seven fixed addresses on every page).
    """
    try:
        keyed = tuple(sorted(kwargs.items()))
        return _reversed(name, args, keyed, current_urlconf(), get_script_prefix())
    except TypeError:  # an argument that cannot be a cache key
        return reverse(name, args=args or None, kwargs=kwargs or None)


@lru_cache(maxsize=1024)
def _reversed(name: str, args: tuple, kwargs: tuple, urlconf: str, prefix: str) -> str:
    # ``reverse`` reads the same prefix, which keys the cache.
    return reverse(name, args=args or None, kwargs=dict(kwargs) or None, urlconf=urlconf)


def current_urlconf() -> str:
    """The URL configuration ``reverse`` uses now: the request's, else the setting's (which a
    test may override)."""
    return get_urlconf() or settings.ROOT_URLCONF


def truncatechars(text: str, length: int) -> str:
    """Like Django's ``truncatechars`` filter: at most ``length`` characters, ending in …"""
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "…"


def environment(**options: Any) -> Environment:
    # A misspelt variable fails the render instead of printing nothing.
    options["undefined"] = StrictUndefined
    # Block tags on lines of their own leave no blank lines behind.
    options.setdefault("trim_blocks", True)
    options.setdefault("lstrip_blocks", True)
    if options.pop("autoescape", True) is not True:
        raise ImproperlyConfigured("the Jinja2 templates render cable text: keep autoescape on")
    env = Environment(autoescape=True, **options)
    env.globals.update(url=url, pk_url=pk_url)
    env.filters["truncatechars"] = truncatechars
    return env
