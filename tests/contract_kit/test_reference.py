"""The adapter-author API reference (``make reference``) is generated from the docstrings, and
every name the guide sends authors to is documented there.

The reference is generated here, in every test run, rather than committed: it is a function of
the code, so it cannot go stale, and it costs no diff when a docstring changes.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pdoc
import pdoc.doc
import pytest

MODULES = (
    "interlock.adapter",
    "interlock.capabilities",
    "interlock.http",
    "interlock.doubles",
    "interlock.transitions",
    "interlock.privacy",
    "interlock.errors",
    "interlock.models",
    "interlock_contract",
)
DOCUMENTED = {
    "interlock.adapter": [
        "InterviewAdapter",
        "InterviewAdapter.change_state",
        "InterviewAdapter.batch_chunk",
        "InterviewAdapter.rate_limiter",
        "InterviewAdapter.vendor_signals",
        "AccountContext",
        "failed_result",
        "confirmed_result",
        "read_back_result",
        "read_back_results",
        "explain_refusal",
    ],
    "interlock.capabilities": ["Capabilities", "Capabilities.native_batch", "CapabilityLevel"],
    "interlock.http": [
        "VendorClient",
        "VendorClient.request",
        "VendorReply",
        "TokenCache",
        "RetryPolicy",
        "TokenBucketLimiter",
        "VendorSignals",
        "ThrottleSignal",
        "AmbiguousSignal",
        "wait_seconds",
    ],
    "interlock.doubles": [
        "VendorDouble",
        "VendorDouble.issue_token",
        "VendorDouble.record_query",
        "VendorDouble.shuffled",
        "VendorDouble.monotonic",
        "VendorDouble.inject",
        "World",
        "World.apply",
        "WorldSession",
        "FaultPlan",
        "SlidingWindowLimit",
        "VirtualClock",
        "wire_adapter",
    ],
    "interlock.transitions": ["plan_transition"],
    "interlock.privacy": ["mask_name", "mask_phone"],
    "interlock_contract": ["AdapterContractSuite", "Scenario"],
}


def test_the_reference_is_generated_offline(tmp_path: Path) -> None:
    pdoc.render.configure(docformat="restructuredtext", search=False, show_source=False)
    pdoc.pdoc(*MODULES, output_directory=tmp_path)
    pages = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.html")}
    assert {"index.html", "interlock/adapter.html", "interlock_contract.html"} <= pages
    adapter_page = (tmp_path / "interlock" / "adapter.html").read_text(encoding="utf-8")
    assert 'id="InterviewAdapter.rate_limiter"' in adapter_page


@pytest.mark.parametrize("module", list(DOCUMENTED))
def test_every_name_the_guide_points_to_has_a_docstring(module: str) -> None:
    documented = pdoc.doc.Module(importlib.import_module(module))
    for name in DOCUMENTED[module]:
        member = documented.get(name)
        assert member is not None, f"{module}.{name} is not in the reference"
        assert member.docstring.strip(), f"{module}.{name} has no docstring"
