"""Audit the installed Python packages for known vulnerabilities with pip-audit.

Used by ``make audit`` (and so by CI).  pip-audit exits 0 when it could not look
a package up at all, which would let "nothing was audited" pass as "no
vulnerabilities"; this wrapper reads its JSON report and says which it was:

- a known vulnerability: listed with its fix versions, exit 1;
- packages that could not be audited (the vulnerability data was unreachable):
  named and counted, exit 0, or 2 with ``--strict`` (``DECLASS_AUDIT_STRICT=1``);
- every package audited and clean: exit 0.

Usage: python deploy/dependency_audit.py [--strict] [--ignore-vuln ID ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class AuditSummary:
    audited: int = 0
    vulnerable: list[str] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)


def summarize(report: dict) -> AuditSummary:
    """Sort pip-audit's JSON report (``-f json``) into vulnerable, clean and not audited."""
    summary = AuditSummary()
    for dep in report.get("dependencies", []):
        name = f"{dep['name']} {dep.get('version', '')}".strip()
        if "skip_reason" in dep:
            summary.not_audited.append(f"{name}: {dep['skip_reason']}")
            continue
        summary.audited += 1
        for vuln in dep.get("vulns", []):
            fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed version yet"
            summary.vulnerable.append(f"{name}: {vuln['id']} (fixed in {fixes})")
    return summary


def exit_code(summary: AuditSummary, *, strict: bool) -> int:
    if summary.vulnerable:
        return 1
    if summary.not_audited and strict:
        return 2
    return 0


def run_pip_audit(ignore: list[str]) -> dict:
    """pip-audit over the environment of this interpreter (the project's .venv)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        args = [sys.executable, "-m", "pip_audit", "--format", "json", "--output", str(out)]
        args += ["--progress-spinner", "off"]
        for vuln_id in ignore:
            args += ["--ignore-vuln", vuln_id]
        proc = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
        if not out.exists():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"pip-audit stopped (status {proc.returncode}): {last}")
        return json.loads(out.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--strict",
        action="store_true",
        default=os.environ.get("DECLASS_AUDIT_STRICT") == "1",
        help="fail (status 2) when a package could not be audited",
    )
    parser.add_argument("--ignore-vuln", action="append", default=[], metavar="ID")
    args = parser.parse_args(argv)
    try:
        summary = summarize(run_pip_audit(args.ignore_vuln))
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        print(f"pip-audit: {exc}", file=sys.stderr)
        return 2 if args.strict else 0
    for line in summary.vulnerable:
        print(f"VULNERABLE {line}")
    if summary.not_audited:
        print(
            f"pip-audit: {len(summary.not_audited)} of "
            f"{len(summary.not_audited) + summary.audited} packages could NOT be audited "
            "(their vulnerability data was unreachable); first: "
            f"{summary.not_audited[0]}",
            file=sys.stderr,
        )
    print(
        f"pip-audit: audited={summary.audited} vulnerable={len(summary.vulnerable)} "
        f"not_audited={len(summary.not_audited)}"
    )
    return exit_code(summary, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
