"""The pytest plug-in of the contract kit (loaded in every pytest run through ``pytest11``).

It stays light on purpose: only pytest and the standard library are imported here, nothing
happens unless a test class opts into the suite, and the heavy parts (the SDK, respx, the suite)
are imported by the test modules that use them. It adds:

* ``--interlock-adapter NAME``: the adapter that the shipped generic suite module
  (``interlock_contract.cli_suite``, run by ``interlock contract``) checks;
* ``--interlock-contract-report PATH``: one JSON line per contract check (concern, outcome,
  skip reason or failure message) for ``interlock contract`` to tabulate;
* a terminal summary section, "interlock contract: checks not run", listing every bypassed
  check with its written reason and every check skipped because of a declared capability.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["CONCERN_ATTRIBUTE", "ContractLedger", "concern_of", "ledger"]

CONCERN_ATTRIBUTE = "contract_concern"
"""Class attribute naming a concern class's concern (``"errors & retries"``)."""
_CONCERN_PROPERTY = "interlock_contract_concern"


@dataclass
class ContractLedger:
    """One run's record of checks that did not run, and of results for the JSON report."""

    bypassed: list[tuple[str, str]] = field(default_factory=list)
    capability_skips: list[tuple[str, str]] = field(default_factory=list)
    report_path: Path | None = None
    results: list[dict[str, Any]] = field(default_factory=list)


_LEDGER = pytest.StashKey[ContractLedger]()


def ledger(config: pytest.Config) -> ContractLedger:
    """The run's ledger (the suite records bypasses and capability skips in it)."""
    if _LEDGER not in config.stash:
        config.stash[_LEDGER] = ContractLedger()
    return config.stash[_LEDGER]


def concern_of(item: pytest.Item) -> str | None:
    """The concern of a contract check: ``contract_concern`` of the class defining the test."""
    cls = getattr(item, "cls", None)
    function = getattr(item, "function", None)
    if cls is None or function is None:
        return None
    for klass in cls.__mro__:
        if function.__name__ in vars(klass):
            concern = vars(klass).get(CONCERN_ATTRIBUTE)
            return concern if isinstance(concern, str) else None
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("interlock-contract", "Interlock adapter contract suite")
    group.addoption(
        "--interlock-adapter",
        dest="interlock_adapter",
        default=None,
        metavar="NAME",
        help="entry-point name of the adapter that interlock_contract.cli_suite checks",
    )
    group.addoption(
        "--interlock-contract-report",
        dest="interlock_contract_report",
        default=None,
        metavar="PATH",
        help="write one JSON line per contract check to PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    report = config.getoption("interlock_contract_report", default=None)
    ledger(config).report_path = Path(report) if report else None
    config.pluginmanager.register(_Reporter(config), "interlock-contract-reporter")


class _Reporter:
    """Tags contract reports with their concern, collects them and prints the summary."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report: pytest.TestReport = yield
        concern = concern_of(item)
        if concern is not None:
            report.user_properties.append((_CONCERN_PROPERTY, concern))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        concern = dict(report.user_properties).get(_CONCERN_PROPERTY)
        book = ledger(self.config)
        if concern is None or book.report_path is None:
            return
        final = report.when == "call" or report.skipped or report.failed
        if final:
            book.results.append(_result(report, str(concern)))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        book = ledger(self.config)
        if book.report_path is None:
            return
        with book.report_path.open("w", encoding="utf-8") as out:
            for line in book.results:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        book = ledger(self.config)
        if not (book.bypassed or book.capability_skips):
            return
        terminalreporter.section("interlock contract: checks not run")
        for nodeid, reason in book.bypassed:
            terminalreporter.write_line(f"BYPASSED   {nodeid}: {reason}")
        # capability skips are expected and many: one line per class and reason, with a count
        grouped: dict[tuple[str, str], int] = {}
        for nodeid, reason in book.capability_skips:
            key = (nodeid.rsplit("::", 1)[0], reason)
            grouped[key] = grouped.get(key, 0) + 1
        for (owner, reason), count in grouped.items():
            checks = f"{count} check{'s' if count != 1 else ''}"
            terminalreporter.write_line(f"CAPABILITY {owner}: {reason} ({checks})")


def _result(report: pytest.TestReport, concern: str) -> dict[str, Any]:
    if report.skipped:
        outcome, detail = "skipped", _skip_reason(report)
    elif report.failed:
        outcome, detail = "failed", _failure_summary(report)
    else:
        outcome, detail = "passed", ""
    return {
        "nodeid": report.nodeid,
        "concern": concern,
        "when": report.when,
        "outcome": outcome,
        "detail": detail,
    }


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure_summary(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    return str(message or report.longreprtext).strip()[:4000]
