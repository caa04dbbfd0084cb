"""``settle_heap``: start-up objects frozen, the young generation collected less often.

Run in a child process: the collector's settings are global to the process that runs them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .cli_support import invoke

_CHILD = """
import gc, json
from interlock_gateway.heap import YOUNG_THRESHOLD, settle_heap
import interlock_gateway.app  # a gateway's worth of imports
before = {"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}
settle_heap()
after = {"frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}
cycle = []
cycle.append(cycle)  # garbage made after start-up is still collected
del cycle
found = gc.collect()
print(json.dumps({"before": before, "after": after, "young": YOUNG_THRESHOLD, "found": found}))
"""


def test_settle_heap_freezes_start_up_objects_and_raises_the_young_threshold() -> None:
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(out.stdout)
    assert report["before"]["frozen"] == 0
    assert report["after"]["frozen"] > 100_000  # FastAPI, pydantic, SQLAlchemy, adapters
    young, middle, old = report["after"]["threshold"]
    assert young == report["young"] > report["before"]["threshold"][0]
    assert [middle, old] == report["before"]["threshold"][1:]
    assert report["found"] >= 1  # cycles made later are still collected


def test_interlock_serve_settles_the_heap_after_building_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from interlock_gateway.cli import serve as serve_module

    calls: list[str] = []
    monkeypatch.setattr(serve_module, "configure_logging", lambda level: None)
    monkeypatch.setattr(serve_module, "settle_heap", lambda: calls.append("settle_heap"))
    monkeypatch.setattr(
        serve_module.uvicorn, "run", lambda app, **kw: calls.append(type(app).__name__)
    )
    config = tmp_path / "interlock.toml"
    config.write_text('[accounts.sbx]\nadapter = "sandbox"\n', encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}"

    result = invoke("serve", "--config", str(config), "--database-url", url, "--no-migrate")

    assert result.exit_code == 0, result.output
    assert calls == ["settle_heap", "FastAPI"]  # settled once, before serving the app
