"""Run the web server, a Celery worker and Celery beat together for local use.

Used by ``make run``: one terminal, one Ctrl-C.  If any process exits, the
others are stopped, so a broken worker is never hidden behind a running web
server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def _commands(python: str, host: str, port: str) -> dict[str, list[str]]:
    return {
        "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            # Every queue (config.settings.TASK_QUEUES): one worker does it all here;
            # deployments run the heavy queue apart (deploy/README.md).
            "--queues=default,heavy,beat",
            "--loglevel=INFO",
            "--concurrency=2",
        ],
        "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel=INFO"],
    }


def main() -> int:
    python = sys.executable
    host = os.environ.get("DECLASS_HOST", "127.0.0.1")
    port = os.environ.get("DECLASS_PORT", "8000")
    procs = {name: subprocess.Popen(cmd) for name, cmd in _commands(python, host, port).items()}
    print(
        f"Declass running on http://{host}:{port}/ (web, worker, beat). Ctrl-C stops all.",
        flush=True,
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(
                    f"{name} exited with status {proc.returncode}; stopping the others.",
                    file=sys.stderr,
                    flush=True,
                )
                exit_code = proc.returncode or 1
                stopping = True
                break
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
