"""The checkout's local settings file, ``var/local.env``: what lets a fresh clone's
``manage.py`` commands run as the README shows them, without exporting anything.

``make setup`` (and so ``make run`` and ``make test``) writes it once, through
:func:`write`: ``DJANGO_DEBUG=1`` (the embedded development set-up) and a
``DJANGO_SECRET_KEY`` generated for this checkout.  ``config.settings`` calls
:func:`load` first thing: each ``NAME=value`` line of the file becomes an
environment variable unless the environment already has that name, so a variable
set in the environment always wins, and the processes a command starts (Celery
workers, the embedded PostgreSQL's clients) see the same values.

The file lives in the local data folder, ``$DECLASS_VAR_DIR`` (``var/`` by default),
which git ignores, ``make clean`` removes and no image or deployment carries: every
deployment in ``deploy/`` sets ``DECLASS_VAR_DIR`` to a folder of its own where
nothing writes this file, and sets ``DECLASS_LOCAL_ENV=0``, which turns reading it
off altogether.  The test run points ``DECLASS_VAR_DIR`` at a temporary folder, so a
developer's file never changes what the tests see.

Standard library only: ``make`` runs ``python -m config.local_env`` before the
virtualenv holds Django.

    python -m config.local_env          # write var/local.env unless it exists; print its path
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

FILE_NAME = "local.env"
# Turns reading the file off (a deployment; a test of production behaviour).
SWITCH = "DECLASS_LOCAL_ENV"
# Names the file may not set: where the file itself is, and its switch.
_NOT_FROM_FILE = {"DECLASS_VAR_DIR", SWITCH}
_LINE = re.compile(r"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$")


def var_dir() -> Path:
    """The local data folder, as config.settings computes it (before the file is read)."""
    return Path(os.environ.get("DECLASS_VAR_DIR") or Path(__file__).resolve().parents[1] / "var")


def path() -> Path:
    return var_dir() / FILE_NAME


def enabled() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() not in {"0", "false", "no", "off"}


def parse(text: str, source: str = FILE_NAME) -> dict[str, str]:
    """``NAME=value`` lines; blank lines and ``#`` comments are skipped; a value may be
    quoted with ' or ".  Anything else is an error naming the line, not a guess."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if not match:
            raise ValueError(f"{source}:{number}: expected NAME=value, got {raw!r}")
        name, value = match.group(1), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if name in _NOT_FROM_FILE:
            raise ValueError(f"{source}:{number}: {name} cannot be set in {FILE_NAME}")
        values[name] = value
    return values


def load() -> dict[str, str]:
    """Put the file's values into ``os.environ`` where the environment has none.

    Returns the values it set (none when the file is absent or reading it is off)."""
    if not enabled():
        return {}
    file = path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    applied = {}
    for name, value in parse(text, str(file)).items():
        if name not in os.environ:
            os.environ[name] = value
            applied[name] = value
    return applied


def content(secret_key: str) -> str:
    return (
        "# Local settings of this checkout, written once by `make setup`; read by\n"
        "# config/settings.py (config/local_env.py).  A variable set in the environment\n"
        "# wins over a line here.  Never used by a deployment; do not commit it.\n"
        "DJANGO_DEBUG=1\n"
        f"DJANGO_SECRET_KEY={secret_key}\n"
    )


def write() -> tuple[Path, bool]:
    """Write the file unless it exists (a key once generated is kept: sessions stay
    signed with it).  Reuses the development key an older checkout kept in
    ``var/secret_key``.  Returns the path and whether it was written now."""
    file = path()
    if file.exists():
        return file, False
    old_key = file.parent / "secret_key"
    key = old_key.read_text(encoding="utf-8").strip() if old_key.exists() else ""
    file.parent.mkdir(parents=True, exist_ok=True)
    # Created readable by its owner only: it holds the secret key.
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(content(key or secrets.token_urlsafe(50)))
    return file, True


def main() -> int:
    file, written = write()
    sys.stdout.write(f"{'wrote' if written else 'kept'} {file}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
