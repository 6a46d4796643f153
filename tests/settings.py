"""Test settings: the project settings with fast, isolated overrides."""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnop")
os.environ.setdefault("DECLASS_AUDIT_CHECKPOINT_KEY", "tests-only-audit-checkpoint-key-0123456789")
if not os.environ.get("DATABASE_URL"):
    # The embedded PostgreSQL of this checkout (var/postgres, as `make run` uses; debug or
    # not), where pytest-django makes its test_ database.  Set before VAR_DIR becomes this
    # run's own temporary folder, and inherited by the worker processes tests start.
    from config.embedded_db import database_url

    _var = Path(os.environ.get("DECLASS_VAR_DIR") or Path(__file__).resolve().parents[1] / "var")
    os.environ["DATABASE_URL"] = database_url(_var)
os.environ.setdefault("DECLASS_VAR_DIR", tempfile.mkdtemp(prefix="declass-tests-"))
# A broker key prefix of this run's own (inherited by the workers it starts), so that
# no message left by another run reaches them.
os.environ.setdefault("CELERY_KEY_PREFIX", f"declass-test-{os.getpid()}:")
# Test servers speak plain HTTP; logs in a test run are read by people.
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DECLASS_LOG_FORMAT", "plain")

from config.settings import *  # noqa: E402,F403

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# The test database's flush calls a function the application role may run
# (tests/db_backend, tests/db_roles.py): the tests log in as that role.
DATABASES["default"]["ENGINE"] = "tests.db_backend"  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Unit tests run tasks in-process; integration tests start a real worker.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True
# Quality control samples a share of decisions by a hash of their ids, and a sampled
# decision holds its cable's approval until a second reviewer re-decides it: off here,
# or any test that approves would depend on the ids its decisions happen to get.  The
# tests of QC turn it on (settings.DECLASS_QC_SAMPLE_PCT).
DECLASS_QC_SAMPLE_PCT = 0
