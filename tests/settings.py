"""Test settings: the project settings with fast, isolated overrides."""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-0123456789abcdefghijklmnop")
os.environ.setdefault("DECLASS_VAR_DIR", tempfile.mkdtemp(prefix="declass-tests-"))
# A broker key prefix of this run's own (inherited by the workers it starts), so that
# no message left by another run reaches them.
os.environ.setdefault("CELERY_KEY_PREFIX", f"declass-test-{os.getpid()}:")
# Test servers speak plain HTTP; logs in a test run are read by people.
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("DECLASS_LOG_FORMAT", "plain")

from config.settings import *  # noqa: E402,F403

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Unit tests run tasks in-process; integration tests start a real worker.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
CELERY_TASK_EAGER_PROPAGATES = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: integration tests start worker processes that share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
