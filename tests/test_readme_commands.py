"""The README's own commands run as written on a fresh clone and exit 0.

A person who has just cloned the repository and run ``make run`` (or ``make setup``
and ``make migrate``) copies the command blocks of the README's import, parse and
dates sections into a shell that exports nothing.  This test does the same: a local
data folder of its own (``DECLASS_VAR_DIR``, what ``var/`` is on a fresh clone, so
its own embedded PostgreSQL, thrown away afterwards), the Makefile's own ``migrate``
target to prepare it (which writes ``var/local.env`` through ``setup``), then each
fenced shell block of those sections, unchanged, in ``bash -e -o pipefail`` from the
repository's root, with no project variable in the environment: no ``DJANGO_DEBUG``,
no ``DATABASE_URL``, no broker.  Every command of a block must succeed.

The blocks use the project's demo cables (``cables/demo``); a block that names the
shared corpus (``../shared``) is skipped, saying so, where it is absent.
``DECLASS_README`` names another README to check (a proposed text, before it lands).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.support import REPO, clean_env

README = Path(os.environ.get("DECLASS_README") or REPO / "README.md")
SHARED = REPO.parent / "shared"
# The sections whose blocks a new user copies first, by the start of their heading.
SECTIONS = ("Importing and parsing cables", "Declassification dates")
_FENCE = re.compile(r"^```(sh|bash|shell|console)\s*\n(.*?)^```\s*$", re.M | re.S)

pytestmark = pytest.mark.integration


def section_text(markdown: str, heading_start: str) -> str:
    """The body of the level-2 section whose heading starts with ``heading_start``."""
    match = re.search(
        rf"^## {re.escape(heading_start)}[^\n]*\n(.*?)(?=^## |\Z)", markdown, re.M | re.S
    )
    if not match:
        raise AssertionError(f"README has no section '## {heading_start}...'")
    return match.group(1)


def command_blocks(markdown: str) -> list[tuple[str, int, str]]:
    """(section, number, block) for each fenced shell block of SECTIONS."""
    blocks = []
    for heading in SECTIONS:
        found = [m.group(2) for m in _FENCE.finditer(section_text(markdown, heading))]
        blocks += [(heading, i, block) for i, block in enumerate(found, start=1)]
    return blocks


BLOCKS = command_blocks(README.read_text(encoding="utf-8"))


def test_each_section_has_commands_to_run() -> None:
    assert {section for section, _, _ in BLOCKS} == set(SECTIONS)


def test_the_extraction_reads_fenced_shell_blocks_of_the_named_section_only() -> None:
    markdown = (
        "## Importing and parsing cables\n\ntext\n\n```sh\necho one\n```\n\n```python\nx\n```\n"
        "## Other\n\n```sh\necho other\n```\n"
        "## Declassification dates and the due sweep\n\n```bash\necho a \\\n  b\n```\n"
    )
    assert command_blocks(markdown) == [
        ("Importing and parsing cables", 1, "echo one\n"),
        ("Declassification dates", 1, "echo a \\\n  b\n"),
    ]
    with pytest.raises(AssertionError, match="no section"):
        section_text("## Something else\n", "Importing and parsing cables")


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A shell's environment on a fresh clone after ``make migrate``; the embedded
    PostgreSQL it started is stopped, and its data removed, afterwards."""
    var_dir = tmp_path_factory.mktemp("fresh-clone-var")
    env = clean_env(DECLASS_VAR_DIR=str(var_dir))
    # The Makefile's own steps (local settings file, roles, migrations, grants);
    # the virtualenv is this one, not reinstalled.
    make = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "migrate"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    try:
        assert make.returncode == 0, make.stdout[-3000:] + make.stderr[-3000:]
        assert (var_dir / "local.env").exists()
        yield env
    finally:
        subprocess.run(
            [str(REPO / ".venv/bin/python"), "-m", "config.embedded_db", "stop"],
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )


@pytest.mark.parametrize(
    "block",
    [pytest.param(block, id=f"{section.split()[0].lower()}-{n}") for section, n, block in BLOCKS],
)
def test_the_readme_block_runs_as_written(block: str, fresh_clone: dict[str, str]) -> None:
    if "../shared" in block and not SHARED.is_dir():
        pytest.skip(f"this block reads the shared corpus, absent at {SHARED}")
    assert "DJANGO_DEBUG" not in fresh_clone and "DATABASE_URL" not in fresh_clone

    proc = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", block],
        cwd=REPO,
        env=fresh_clone,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    assert proc.returncode == 0, (
        f"README block exited {proc.returncode}:\n{block}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
