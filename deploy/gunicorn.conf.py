"""gunicorn settings for the web process (``gunicorn -c deploy/gunicorn.conf.py``).

Every value can be changed through the environment, so the same file serves the
container image, the systemd unit and Kubernetes.
"""

import os

from config.env import env_bool
from config.logs import logging_config

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: requests are short, nginx (or the ingress) buffers the slow clients and
# holds their keep-alive connections, and a process per request keeps hyperscan and
# WeasyPrint out of each other's way.  Measured with bench/web.py on a quiet machine (20
# clients straight at gunicorn): sync x 4 p95 207 ms at 103 req/s, against gthread 3 x 2
# 365 ms / 60, 2 x 4 402 ms / 82, 3 x 8 502 ms / 50, 4 x 6 415 ms / 101: the threads of
# one process share its interpreter lock for the Python most of a page is.  In 10 s runs:
# sync x 4 p95 247 ms at 100 req/s, gthread 3 x 8 p95 450 ms at 91 req/s.
# GUNICORN_WORKER_CLASS=gthread with GUNICORN_THREADS=N serves clients that keep their
# connections open to gunicorn itself; each thread then holds a database connection for
# DB_CONN_MAX_AGE (60 s): WEB_CONCURRENCY x GUNICORN_THREADS a pod, which PostgreSQL's
# max_connections (or a pooler such as PgBouncer) must allow for every pod at once.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
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
