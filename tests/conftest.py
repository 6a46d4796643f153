"""Shared fixtures: where the real-cable corpus is, and files to import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DECLASS_SHARED_DIR", REPO.parent / "shared"))
CORPUS = SHARED / "cables" / "dev"


@pytest.fixture(autouse=True)
def _no_requests_counted():
    """Each test starts with no request counted by the API's throttles (in the cache);
    failed logins counted by django-axes are in the test's database and go with it."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def corpus_dir() -> Path:
    """The shared dev corpus; tests that need it skip plainly when it is absent."""
    if not (CORPUS / "INDEX.tsv").exists():
        pytest.skip(f"shared corpus not found at {CORPUS}: corpus tests skipped")
    return CORPUS
