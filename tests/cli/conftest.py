"""Every CLI test runs in its own folder with its own profile store, and no gateway or key
from the environment: direct mode writes ``.interlock/direct`` under the working folder, and
``interlock login`` writes the profile store."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.conftest import served  # noqa: F401  (a real gateway for the gateway-mode tests)
from interlock_gateway.cli.remote.connection import GATEWAY_ENV, KEY_ENV, PROFILE_ENV
from interlock_gateway.cli.remote.profiles import CONFIG_HOME_ENV


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv(CONFIG_HOME_ENV, str(tmp_path / "config-home"))
    for name in (GATEWAY_ENV, KEY_ENV, PROFILE_ENV, "INTERLOCK_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return work
