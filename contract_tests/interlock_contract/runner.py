"""Run the whole contract suite against an installed adapter, out of process.

``interlock contract NAME`` and ``--all`` use this: pytest runs the shipped generic module
(:mod:`interlock_contract.cli_suite`) in a subprocess with ``--interlock-adapter NAME``, the
kit's own ini file (so the caller's pytest configuration and conftest files do not interfere)
and the plug-in's JSON report, which is read back into a :class:`ContractRun`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CONCERN_ORDER", "CheckResult", "ConcernSummary", "ContractRun", "run_contract"]

KIT = Path(__file__).parent
CONCERN_ORDER = (
    "session reads",
    "pagination & filters",
    "verbs",
    "idempotency",
    "invalid transitions",
    "not found",
    "batch",
    "errors & retries",
    "auth",
    "callbacks",
    "observability",
    "capabilities",
)
"""The concerns in the order a reader meets them (and the table prints them)."""


@dataclass(frozen=True)
class CheckResult:
    """One check of the suite: its id, concern, outcome and skip reason or failure message."""

    nodeid: str
    concern: str
    outcome: str
    detail: str = ""

    @property
    def check(self) -> str:
        return self.nodeid.rsplit("::", 1)[-1]

    @property
    def headline(self) -> str:
        """The first line of the failure message (what to fix)."""
        return self.detail.strip().splitlines()[0] if self.detail.strip() else ""


@dataclass
class ConcernSummary:
    """Counts for one concern, with every skip reason and how often it occurred."""

    concern: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class ContractRun:
    """The outcome of running the suite against one adapter."""

    adapter: str
    results: list[CheckResult] = field(default_factory=list)
    returncode: int = 0
    output: str = ""
    problem: str | None = None
    """Why the suite could not run at all (no double, broken plug-in, collection error)."""

    @property
    def ok(self) -> bool:
        return (
            self.problem is None
            and self.returncode == 0
            and bool(self.results)
            and not self.failures
        )

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if r.outcome == "failed"]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    def by_concern(self) -> list[ConcernSummary]:
        summaries: dict[str, ConcernSummary] = {c: ConcernSummary(c) for c in CONCERN_ORDER}
        for result in self.results:
            summary = summaries.setdefault(result.concern, ConcernSummary(result.concern))
            if result.outcome == "passed":
                summary.passed += 1
            elif result.outcome == "failed":
                summary.failed += 1
            else:
                summary.skipped += 1
                summary.skip_reasons[result.detail] += 1
        return [s for s in summaries.values() if s.passed or s.failed or s.skipped]

    def next_step(self) -> str | None:
        """The most common failure headline: usually the one thing to implement next."""
        headlines = Counter(_generalise(f.headline) for f in self.failures if f.headline)
        if not headlines:
            return None
        headline, count = headlines.most_common(1)[0]
        return f"{headline}  ({count} failing check{'s' if count != 1 else ''})"


def _generalise(headline: str) -> str:
    """Drop per-check details (ids, numbers) so that equal causes count together."""
    return re.sub(r"'[^']*-[0-9a-f]{6,}[^']*'", "'…'", headline)


def run_contract(
    adapter: str,
    *,
    python: str | None = None,
    extra_args: tuple[str, ...] = (),
    timeout_s: float = 600.0,
) -> ContractRun:
    """Run the whole suite against the installed adapter ``adapter`` and collect the results."""
    with tempfile.TemporaryDirectory(prefix="interlock-contract-") as tmp:
        report = Path(tmp) / "report.jsonl"
        command = [
            python or sys.executable,
            "-m",
            "pytest",
            str(KIT / "cli_suite.py"),
            "-c",
            str(KIT / "contract.ini"),
            "--rootdir",
            tmp,
            f"--interlock-adapter={adapter}",
            f"--interlock-contract-report={report}",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:asyncio",
            "-q",
            "--tb=line",  # the report keeps each failure's message; full tracebacks cost 3x time
            *extra_args,
        ]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            completed = subprocess.run(  # noqa: S603 - our interpreter, our arguments
                command,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
                env=env,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            return ContractRun(adapter, problem=f"the suite did not finish in {timeout_s:g} s")
        results = _read(report)
    run = ContractRun(adapter, results, completed.returncode, completed.stdout + completed.stderr)
    if not results:
        run.problem = "the suite did not run: " + _last_error(run.output)
    return run


def _read(report: Path) -> list[CheckResult]:
    if not report.exists():
        return []
    results: dict[str, CheckResult] = {}  # one per check: a failing teardown overrides a pass
    for line in report.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        result = CheckResult(data["nodeid"], data["concern"], data["outcome"], data["detail"])
        if result.nodeid not in results or result.outcome == "failed":
            results[result.nodeid] = result
    return list(results.values())


def _last_error(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E ") or "Error" in line]
    return (errors or lines or ["no output"])[-1].removeprefix("E ").strip()
