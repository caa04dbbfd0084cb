"""Run the whole contract suite against an installed adapter, out of process.

``interlock contract NAME`` and ``--all`` use this: pytest runs the shipped generic module
(:mod:`interlock_contract.cli_suite`) in a subprocess with ``--interlock-adapter NAME``, the
kit's own ini file (so the caller's pytest configuration and conftest files do not interfere)
and the plug-in's JSON report, which is read back into a :class:`ContractRun`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CONCERN_ORDER", "CheckResult", "ConcernSummary", "ContractRun", "run_contract"]

KIT = Path(__file__).parent
CONCERN_ORDER = (
    "vendor double",
    "session reads",
    "pagination & filters",
    "verbs",
    "idempotency",
    "invalid transitions",
    "not found",
    "batch",
    "races",
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
        """The first cause: the headline of the first failing check in the suite's order (the
        double, then reads, verbs…; later failures often follow from it), with the count of
        every failing check."""
        failures = self.failures
        if not failures:
            return None
        position = {id(result): n for n, result in enumerate(self.results)}

        def order(result: CheckResult) -> tuple[int, int]:
            rank = CONCERN_ORDER.index(result.concern) if result.concern in CONCERN_ORDER else 99
            return rank, position[id(result)]

        first = min(failures, key=order)
        count = len(failures)
        headline = first.headline or f"{first.check} failed"
        return f"{headline}  ({count} failing check{'s' if count != 1 else ''})"


def run_contract(
    adapter: str,
    *,
    python: str | None = None,
    extra_args: tuple[str, ...] = (),
    timeout_s: float = 600.0,
) -> ContractRun:
    """Run the whole suite against the installed adapter ``adapter`` and collect the results."""
    missing = _missing_dependencies(python)
    if missing:
        return ContractRun(
            adapter,
            returncode=1,
            problem=f"the contract kit needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: "
            "pip install 'interlock[contract]' (a scaffolded adapter: pip install -e '.[test]')",
        )
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


KIT_DEPENDENCIES = ("pytest", "respx")
"""What the suite imports beyond Interlock itself (the ``contract`` extra)."""


def _missing_dependencies(python: str | None) -> list[str]:
    """The kit's dependencies that ``python`` (this interpreter when None) cannot import."""
    if python is None:
        return [name for name in KIT_DEPENDENCIES if importlib.util.find_spec(name) is None]
    program = (
        "import importlib.util, sys; "
        f"print(' '.join(n for n in {KIT_DEPENDENCIES!r} if importlib.util.find_spec(n) is None))"
    )
    done = subprocess.run(  # noqa: S603 - the given interpreter, our program
        [python, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout.split()


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
