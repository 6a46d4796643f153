"""Shared fixtures: where the real-cable corpus is, and files to import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DECLASS_SHARED_DIR", REPO.parent / "shared"))
CORPUS = SHARED / "cables" / "dev"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, created and migrated by the superuser; then every test, and
    every worker process a test starts, logs in as the application role (tests/db_roles.py)."""
    from tests import db_roles

    with django_db_blocker.unblock():
        db_roles.become_application_role()
    yield
    with django_db_blocker.unblock():
        db_roles.become_superuser_again()


@pytest.fixture(autouse=True)
def _audit_checkpoints_of_the_test(settings, tmp_path):
    """Each test writes and reads audit checkpoints of its own (audit.checkpoint)."""
    settings.DECLASS_AUDIT_CHECKPOINT_PATH = tmp_path / "audit-checkpoints.jsonl"


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
