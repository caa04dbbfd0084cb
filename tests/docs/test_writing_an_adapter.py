"""Every code block of docs/writing-an-adapter.md runs.

* ``python`` blocks run in order, in one namespace, in a scratch folder;
* ``bash`` blocks run line by line in the same folder with this environment's ``interlock`` —
  unless the line before the fence is ``<!-- not-executed: REASON -->``, which must give a reason;
* ``toml`` blocks must parse;
* ``text`` blocks are sample output, not code: the concerns they show must be the suite's.

Any other fence language fails the test, so a new block cannot slip through unexecuted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from interlock_contract.runner import CONCERN_ORDER

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "writing-an-adapter.md"
FENCE = re.compile(
    r"(?:<!-- not-executed: (?P<reason>[^>]*?) -->\n)?```(?P<lang>[a-z]*)\n(?P<code>.*?)```",
    re.S,
)
LANGUAGES = {"python", "bash", "toml", "text"}


@dataclass(frozen=True)
class Block:
    lang: str
    code: str
    line: int
    not_executed: str | None


def blocks() -> list[Block]:
    text = GUIDE.read_text(encoding="utf-8")
    return [
        Block(m["lang"], m["code"], text[: m.start()].count("\n") + 1, m["reason"])
        for m in FENCE.finditer(text)
    ]


def test_every_block_has_a_known_language() -> None:
    found = blocks()
    assert len(found) >= 12
    for block in found:
        assert block.lang in LANGUAGES, f"line {block.line}: a ```{block.lang} block is not run"
        if block.not_executed is not None:
            assert block.lang == "bash", f"line {block.line}: only shell may be not-executed"
            assert block.not_executed.strip(), f"line {block.line}: say why it is not executed"


def test_python_blocks_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "writing_an_adapter"}
    for block in blocks():
        if block.lang == "python":
            code = compile(block.code, f"{GUIDE.name}:{block.line}", "exec")
            exec(code, namespace)  # noqa: S102 - the guide's own code, on purpose
    assert "TestSandboxContract" in namespace


def test_shell_blocks_run(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    ran = 0
    for block in blocks():
        if block.lang != "bash" or block.not_executed is not None:
            continue
        for command in filter(None, (c.strip() for c in block.code.splitlines())):
            done = subprocess.run(  # noqa: S603 - the guide's commands, on purpose
                ["bash", "-c", command],  # noqa: S607
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, f"line {block.line}: {command}\n{done.stdout}{done.stderr}"
            ran += 1
    assert ran >= 3


def test_toml_blocks_parse() -> None:
    for block in blocks():
        if block.lang == "toml":
            tomllib.loads(block.code)


def test_sample_output_shows_the_real_concerns() -> None:
    samples = [b.code for b in blocks() if b.lang == "text" and "┃ suite" in b.code]
    assert samples, "the guide shows no sample table"
    rows = [line.split("│")[1].strip() for line in samples[0].splitlines() if line.startswith("│")]
    concerns = [row for row in rows if row]
    assert concerns == list(CONCERN_ORDER)
