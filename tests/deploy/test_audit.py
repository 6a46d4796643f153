"""The security audit (``make audit``): bandit's configuration and the pip-audit report.

bandit runs over the whole code base in ``make audit`` (and CI); here it runs over
the deployment code and over small files that show the configuration still
catches what matters while skipping only what it says it skips.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.support import DEPLOY, REPO

BANDIT_CONFIG = DEPLOY / "bandit.yaml"


def bandit(*targets: Path | str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bandit", "-c", str(BANDIT_CONFIG), "-q", "-f", "custom"]
        + ["--msg-template", "{relpath}:{line} {test_id}", "-r", *map(str, targets)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def findings(proc: subprocess.CompletedProcess) -> set[str]:
    return {line.split()[-1] for line in proc.stdout.splitlines() if line.strip()}


def test_the_deployment_and_configuration_code_has_no_findings():
    proc = bandit("config", "deploy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_configuration_still_catches_real_problems(tmp_path):
    (tmp_path / "risky.py").write_text(
        "import subprocess\n"
        "from django.utils.safestring import mark_safe\n"
        "def run(cmd, html):\n"
        "    subprocess.run(cmd, shell=True)\n"
        "    password = 'hunter2'\n"
        "    return mark_safe(html), password\n"
    )
    proc = bandit(tmp_path)
    assert proc.returncode == 1
    assert {"B602", "B105", "B308"} <= findings(proc)


def test_the_configuration_skips_only_argument_list_subprocess_calls(tmp_path):
    (tmp_path / "fine.py").write_text(
        "import subprocess, sys\n"
        "def run():\n"
        '    subprocess.run([sys.executable, "-m", "celery", "-A", "config", "worker"])\n'
    )
    proc = bandit(tmp_path)
    assert proc.returncode == 0, proc.stdout


def _dependency_audit():
    spec = importlib.util.spec_from_file_location(
        "dependency_audit", DEPLOY / "dependency_audit.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("dependency_audit", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


REPORT = {
    "dependencies": [
        {"name": "django", "version": "5.2.19", "vulns": []},
        {
            "name": "oldlib",
            "version": "1.0",
            "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["1.1", "2.0"]}],
        },
        {"name": "private", "skip_reason": "Dependency not found on PyPI: private (0.1)"},
    ],
    "fixes": [],
}


def test_the_audit_report_separates_vulnerable_clean_and_not_audited():
    audit = _dependency_audit()
    summary = audit.summarize(REPORT)
    assert summary.audited == 2
    assert summary.vulnerable == ["oldlib 1.0: PYSEC-2099-1 (fixed in 1.1, 2.0)"]
    assert summary.not_audited == ["private: Dependency not found on PyPI: private (0.1)"]
    assert audit.exit_code(summary, strict=False) == 1


def test_packages_that_could_not_be_audited_fail_only_in_strict_mode():
    audit = _dependency_audit()
    summary = audit.summarize({"dependencies": [REPORT["dependencies"][2]]})
    assert audit.exit_code(summary, strict=False) == 0
    assert audit.exit_code(summary, strict=True) == 2
    clean = audit.summarize({"dependencies": [REPORT["dependencies"][0]]})
    assert audit.exit_code(clean, strict=True) == 0


def test_pip_audit_finds_no_known_vulnerability_in_the_installed_packages():
    proc = subprocess.run(
        [sys.executable, str(DEPLOY / "dependency_audit.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.removeprefix("pip-audit: ").split())
    if int(figures["audited"]) == 0:
        pytest.skip(f"pip-audit could not reach PyPI's vulnerability data: {last}")
    assert figures["vulnerable"] == "0"
