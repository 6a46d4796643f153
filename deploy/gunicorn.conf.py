"""gunicorn settings for the web process (``gunicorn -c deploy/gunicorn.conf.py``).

Every value can be changed through the environment, so the same file serves the
container image, the systemd unit and Kubernetes.
"""

import os

from config.env import env_bool
from config.logs import logging_config

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Threaded workers (gthread): a browser keeps its connection open between pages, and a
# worker serves only as many open connections at once as it has threads, so with one
# thread each the other clients' requests queue behind it.  bench/web.py, 20 keep-alive
# clients: 3 workers x 8 threads (or 4 x 6) gave a lower p95 and more requests a second
# than 3 x 2 (p95 0.76-0.81 s against 1.16 s, 39-43 req/s against 30, same loaded run);
# sync workers do not keep connections alive at all.  The pages wait on PostgreSQL,
# and those waits overlap across threads.  Threads share hyperscan databases safely
# (each thread has its own scratch, redaction.engine.matcher).
# Each thread keeps its own database connection for DB_CONN_MAX_AGE (60 s): a pod holds
# up to WEB_CONCURRENCY x GUNICORN_THREADS (24) of them, which PostgreSQL's
# max_connections (or a pooler such as PgBouncer) must allow for every pod at once.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# Heartbeat files in memory (a tmpfs, as gunicorn advises), not on a possibly
# read-only disk.  Not a temporary file of ours: bandit's B108 does not apply.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/dev/shm")  # nosec B108
# No control socket: it would be written under $HOME, which a container may not have.
control_socket_disable = True
# nginx or the ingress sets X-Forwarded-*; Django reads X-Forwarded-Proto itself.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# No access log: config.request_log writes one line per request with its id.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("DJANGO_LOG_LEVEL", "INFO").lower()
# The same choice as config.settings, so that gunicorn's own lines match Django's.
logconfig_dict = logging_config(
    os.environ.get("DECLASS_LOG_FORMAT") or ("plain" if env_bool("DJANGO_DEBUG") else "json"),
    os.environ.get("DJANGO_LOG_LEVEL", "INFO"),
)
