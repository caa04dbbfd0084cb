"""The import-linter contracts in ``pyproject.toml``: kept by the code, and able to fail.

A copy of the DingTalk adapter whose double borrows the adapter's push crypto (the bug the
contract exists for: a double sharing its adapter's crypto cannot see that crypto's bugs) is
put first on ``PYTHONPATH``; ``lint-imports`` must name the forbidden import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")
PUSH = Path("interlock_dingtalk", "double", "_push.py")
OWN_CRYPTO = "from interlock_dingtalk.double._crypto import decrypt, encrypt, signature\n"
BORROWED = (
    "from interlock_dingtalk._crypto import sign as signature\n"
    "from interlock_dingtalk.double._crypto import decrypt, encrypt\n"
)


def lint(pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(  # noqa: S603 - the project's own tool and config
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_code_keeps_every_import_contract() -> None:
    done = lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Vendor doubles are independent of their adapters KEPT" in done.stdout


def test_a_double_borrowing_its_adapters_crypto_breaks_the_contract(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "adapters" / "interlock_dingtalk", tmp_path / "interlock_dingtalk")
    push = tmp_path / PUSH
    source = push.read_text(encoding="utf-8")
    assert OWN_CRYPTO in source, "the double's push module no longer imports its own crypto"
    push.write_text(source.replace(OWN_CRYPTO, BORROWED), encoding="utf-8")
    done = lint(pythonpath=tmp_path)
    assert done.returncode != 0, done.stdout
    assert "interlock_dingtalk.double is not allowed to import interlock_dingtalk._crypto" in (
        done.stdout
    )
