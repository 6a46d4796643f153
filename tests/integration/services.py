"""Start real Celery worker and beat processes against the test database and broker."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """A URL for the database this test run uses (the ``test_`` one), for child processes."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += f":{quote(s['PASSWORD'], safe='')}"
    # A Unix socket directory (the embedded server's) travels percent-encoded.
    host = f"{quote(s['HOST'] or 'localhost', safe='')}:{s['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{quote(s['NAME'], safe='')}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=test_database_url(),
        DECLASS_VAR_DIR=str(settings.VAR_DIR),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        PYTHONUNBUFFERED="1",
        CELERY_TASK_ALWAYS_EAGER="0",
    )
    env.update(extra)
    return env


class Service:
    """A child process whose output goes to a log file that tests can read."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str]):
        self.name = name
        self.log = log
        self._fh = log.open("w")
        self.proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()[-3000:]}")
            time.sleep(0.2)
        raise TimeoutError(f"{self.name}: no {text!r} within {timeout}s:\n{self.output()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the whole process group (a prefork worker has children)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._fh.close()


def wait_until(predicate: object, timeout: float = 120, step: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(step)
    return False


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "config", *args]


@contextmanager
def publishing() -> Iterator[None]:
    """Let this (test) process send tasks to the broker instead of running them eagerly."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


def time_limits_below(visibility_timeout: str) -> dict[str, str]:
    """Time limits under a (short) visibility timeout: the settings refuse one that is
    not above every time limit, as Redis would then hand running tasks out again."""
    hard = max(int(visibility_timeout) - 1, 2)
    soft = str(hard - 1)
    return {
        "CELERY_TASK_TIME_LIMIT": str(hard),
        "CELERY_TASK_SOFT_TIME_LIMIT": soft,
        "CELERY_LONG_TASK_TIME_LIMIT": str(hard),
        "CELERY_LONG_TASK_SOFT_TIME_LIMIT": soft,
    }


@contextmanager
def worker(
    tmp_path: Path,
    *,
    concurrency: int = 1,
    include: Sequence[str] = (),
    queues: Sequence[str] = (),
    name: str = "worker",
    **env: str,
) -> Iterator[Service]:
    """A prefork worker; ``include`` names extra modules it imports at start (hooks),
    ``queues`` the queues it consumes (every queue by default, as ``make run``'s).
    Given a ``CELERY_VISIBILITY_TIMEOUT``, it gets time limits below it."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    if "CELERY_VISIBILITY_TIMEOUT" in env:
        env = {**time_limits_below(env["CELERY_VISIBILITY_TIMEOUT"]), **env}
    service = Service(
        name,
        celery(
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--queues={','.join(queues or settings.TASK_QUEUES)}",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}-{os.getpid()}@%h",
            *(f"--include={module}" for module in include),
        ),
        tmp_path / f"{name}.log",
        child_env(**env),
    )
    try:
        service.wait_for("ready.")
        yield service
    finally:
        service.stop()


@contextmanager
def beat(tmp_path: Path, **env: str) -> Iterator[Service]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    service = Service(
        "beat",
        celery(
            "beat",
            "--loglevel=INFO",
            "--max-interval=1",
            f"--schedule={tmp_path / 'beat-schedule'}",
        ),
        tmp_path / "beat.log",
        child_env(**env),
    )
    try:
        service.wait_for("beat: Starting")
        yield service
    finally:
        service.stop()


# -- a Redis of the test's own, to restart at will ------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server on a free port that keeps nothing on disk, like a broker that
    restarts empty.  Never the machine's shared Redis: others use that one."""

    def __init__(self, tmp_path: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise FileNotFoundError("redis-server is not installed")
        self.dir = tmp_path / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.starts = 0
        self.service: Service | None = None

    def start(self) -> None:
        self.starts += 1
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.dir)]
        log = self.dir / f"redis-{self.starts}.log"
        self.service = Service("redis", args, log, dict(os.environ))
        if not wait_until(self.ping, timeout=20):
            raise RuntimeError(f"redis-server did not answer:\n{self.service.output()[-2000:]}")

    def ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2, socket_connect_timeout=2)

    def run_id(self) -> str:
        """Differs after every restart: proof that the server really restarted."""
        return str(self.client().info("server")["run_id"])

    def kill(self) -> None:
        """SIGKILL: the queue and every message delivered but not yet acknowledged go."""
        if self.service is not None:
            self.service.kill()
            self.service.stop()

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


@contextmanager
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- a hook that holds the due sweep in the middle of its transaction ---------------------

SWEEP_GATE_ENV = "DECLASS_TEST_SWEEP_GATE"


def hold_sweeps_at_gate(gate: Path) -> None:
    """In a worker: stop each sweep after it has flagged, inside its transaction and
    before it notifies, until ``gate/open`` exists.  Writes ``gate/held-<run id>`` when
    one is held, so that a test knows the sweep is under way and unacknowledged."""
    from workflow import sweep

    notify = sweep._notify

    def held(run: object, counts: dict[int, int]) -> int:
        (gate / f"held-{run.pk}").touch()  # type: ignore[attr-defined]
        if not wait_until((gate / "open").exists, timeout=60):
            raise TimeoutError("the sweep gate was never opened")
        return notify(run, counts)

    sweep._notify = held


MAIL_DIR_ENV = "DECLASS_TEST_MAIL_DIR"


def mail_to_files(folder: Path) -> None:
    """In a worker: write e-mails to files in ``folder`` (one per connection), so that a
    test can count what was really sent; the test settings keep mail in memory."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(folder)


def mail_recipients(folder: Path) -> list[str]:
    """Every recipient of every e-mail written by ``mail_to_files``, once per e-mail."""
    return [
        line.removeprefix("To: ").strip()
        for path in sorted(folder.glob("*.log"))
        for line in path.read_text(errors="replace").splitlines()
        if line.startswith("To: ")
    ]


# A worker started with include=[__name__] and these variables installs the hooks.
if os.environ.get(SWEEP_GATE_ENV):
    hold_sweeps_at_gate(Path(os.environ[SWEEP_GATE_ENV]))
if os.environ.get(MAIL_DIR_ENV):
    mail_to_files(Path(os.environ[MAIL_DIR_ENV]))
