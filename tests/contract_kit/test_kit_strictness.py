"""Strictness of the kit itself: loud failures, visible skips, written bypasses, a light plug-in.

One pytest subprocess runs a generated module with several opted-in classes (each exercising one
rule) and writes the kit's JSON report; the tests read the report and the terminal output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent

MODULE = textwrap.dedent(
    """
    from dataclasses import replace

    import pytest
    from interlock.capabilities import Capabilities, CapabilityLevel
    from interlock.plugins import get_plugin_manager
    from interlock_contract import AdapterContractSuite
    from interlock_sandbox.adapter import SandboxAdapter


    class ManualPauseSandbox(SandboxAdapter):
        @property
        def capabilities(self) -> Capabilities:
            return super().capabilities.model_copy(update={"pause": CapabilityLevel.MANUAL})


    class TestNoAdapterName(AdapterContractSuite):
        pass


    class TestNotInstalled(AdapterContractSuite):
        adapter_name = "sandbx"


    class TestBypassed(AdapterContractSuite):
        adapter_name = "sandbox"
        bypass_reasons = {
            "test_concurrent_first_calls_fetch_one_token": "the vendor signs every call",
            "CallbacksContract": "the vendor's push is tested elsewhere",
        }


    class TestStaleBypass(AdapterContractSuite):
        adapter_name = "sandbox"
        bypass_reasons = {"test_no_such_check": "left over from an old version"}


    class TestManualPause(AdapterContractSuite):
        @pytest.fixture(scope="class")
        @classmethod
        def contract_spec(cls):
            spec = get_plugin_manager().adapter("sandbox")
            return replace(spec, factory=ManualPauseSandbox)
    """
)

SELECT = (
    "capabilities_are_data or fetch_one_token or push or callback or bypass_reasons"
    " or test_verb_applies or unsupported_verb"
)


@dataclass
class Run:
    output: str
    results: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("strictness")
    (folder / "test_opted_in.py").write_text(MODULE, encoding="utf-8")
    report = folder / "report.jsonl"
    completed = subprocess.run(  # noqa: S603 - our interpreter, our arguments
        [
            sys.executable,
            "-m",
            "pytest",
            str(folder / "test_opted_in.py"),
            "-k",
            SELECT,
            "-p",
            "no:cacheprovider",
            "-p",
            "no:asyncio",
            f"--interlock-contract-report={report}",
            "--rootdir",
            str(folder),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    results = {line["nodeid"].split("::", 1)[1]: line for line in lines}
    return Run(completed.stdout + completed.stderr, results)


def test_a_class_that_names_no_adapter_fails_saying_what_to_define(run: Run) -> None:
    line = run.results["TestNoAdapterName::test_capabilities_are_data"]
    assert line["outcome"] == "failed"
    assert 'set `adapter_name = "<entry-point name>"`' in line["detail"]
    assert "override the `double` and `adapter` fixtures" in line["detail"]


def test_an_adapter_that_is_not_installed_fails_listing_the_installed(run: Run) -> None:
    line = run.results["TestNotInstalled::test_capabilities_are_data"]
    assert line["outcome"] == "failed"
    assert "no adapter named 'sandbx' is installed (installed: " in line["detail"]
    assert "sandbox" in line["detail"]


def test_a_bypass_skips_with_its_reason_and_the_run_prints_it(run: Run) -> None:
    line = run.results["TestBypassed::test_concurrent_first_calls_fetch_one_token"]
    assert line["outcome"] == "skipped"
    assert line["detail"] == "bypassed: the vendor signs every call"
    whole_class = run.results["TestBypassed::test_capabilities_agree_about_push"]
    assert whole_class["detail"] == "bypassed: the vendor's push is tested elsewhere"
    assert "interlock contract: checks not run" in run.output
    assert (
        "BYPASSED   test_opted_in.py::TestBypassed::test_concurrent_first_calls_fetch_one_token: "
        "the vendor signs every call"
    ) in run.output
    assert run.results["TestBypassed::test_bypass_reasons_name_real_checks"]["outcome"] == "passed"


def test_a_bypass_naming_no_check_fails(run: Run) -> None:
    line = run.results["TestStaleBypass::test_bypass_reasons_name_real_checks"]
    assert line["outcome"] == "failed"
    assert "'test_no_such_check', which is no check" in line["detail"]


def test_an_undeclared_verb_is_skipped_visibly_and_its_refusal_is_checked(run: Run) -> None:
    skipped = run.results["TestManualPause::test_verb_applies[pause-from-in_progress]"]
    assert (skipped["outcome"], skipped["detail"]) == ("skipped", "pause: capability manual")
    refusal = run.results[
        "TestManualPause::test_unsupported_verb_is_refused_before_any_vendor_call[pause]"
    ]
    assert refusal["outcome"] == "passed"
    applied = run.results["TestManualPause::test_verb_applies[resume-from-paused]"]
    assert applied["outcome"] == "passed"
    assert "CAPABILITY test_opted_in.py::TestManualPause: pause: capability manual (" in run.output


def test_the_plugin_imports_nothing_heavy() -> None:
    program = (
        "import sys, interlock_contract.plugin, interlock_contract.runner;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'interlock', 'respx', 'httpx', 'pydantic', 'interlock_sandbox'}))"
    )
    done = subprocess.run(  # noqa: S603 - our interpreter
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


def test_the_cli_table_knows_every_concern() -> None:
    from interlock_contract import CONCERN_CLASSES
    from interlock_contract.runner import CONCERN_ORDER

    concerns = {vars(cls)["contract_concern"] for cls in CONCERN_CLASSES}
    assert concerns == set(CONCERN_ORDER)
