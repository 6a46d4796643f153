"""The service's pages are kept by no cache: a browser's, a proxy's.

Why: a page that shows cable text, kept in a browser's cache and history, outlives the
session that was allowed to read it; after its reader logs out at a shared desk, the
next person's Back button shows it (the admin's pages say ``no-store`` already: Django's
``admin_view`` does it).  The URLconfs of the workflow, the releases and the API pass
their routes through ``kept_by_no_cache``; a route whose answer is public and immutable
(a published release's stored file, with its ETag) may stay out.
"""

from __future__ import annotations

from django.urls import URLPattern
from django.views.decorators.cache import never_cache


def kept_by_no_cache(patterns: list[URLPattern]) -> list[URLPattern]:
    """The routes, each answering with ``Cache-Control: no-store, private`` (and the
    rest of Django's ``never_cache``); the view keeps its attributes (csrf_exempt, the
    API view class the schema reads)."""
    for pattern in patterns:
        pattern.callback = never_cache(pattern.callback)
    return patterns
