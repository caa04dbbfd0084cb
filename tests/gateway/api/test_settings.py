"""GatewaySettings: defaults, the [gateway] table, the environment, errors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from interlock.errors import ConfigurationError
from interlock_gateway.settings import GatewaySettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INTERLOCK_DATABASE_URL", "INTERLOCK_CONFIG", "INTERLOCK_GATEWAY_UNDO_WINDOW"):
        monkeypatch.delenv(name, raising=False)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "interlock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = GatewaySettings.load(tmp_path / "missing.toml")
    assert settings.undo_window == timedelta(minutes=10)
    assert settings.resume_window == timedelta(hours=24)
    assert settings.approval_ttl == settings.idempotency_retention == timedelta(hours=24)
    assert settings.protected_levels == ("executive",)
    assert (settings.max_body_bytes, settings.max_page_size, settings.max_batch_items) == (
        1024 * 1024,
        200,
        1000,
    )
    assert settings.run_migrations is True
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_database_url.endswith(".interlock/interlock.db")


def test_gateway_table_then_env_then_kwargs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        '[gateway]\nundo_window = 30\nresume_window = "PT2H"\nprotected_positions = ["p1"]\n'
        '[accounts.demo]\nadapter = "sandbox"\n',
    )
    settings = GatewaySettings.load(path)
    assert settings.undo_window == timedelta(seconds=30)
    assert settings.resume_window == timedelta(hours=2)
    assert settings.protected_positions == ("p1",)

    monkeypatch.setenv("INTERLOCK_GATEWAY_UNDO_WINDOW", "45")
    assert GatewaySettings.load(path).undo_window == timedelta(seconds=45)
    assert GatewaySettings.load(path, undo_window=5).undo_window == timedelta(seconds=5)
    assert GatewaySettings.load(path, undo_window=None).undo_window == timedelta(seconds=45)


def test_database_url_from_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[gateway]\ndatabase_url = "sqlite+aiosqlite:///from-file.db"\n')
    assert GatewaySettings.load(path).resolved_database_url.endswith("from-file.db")
    monkeypatch.setenv("INTERLOCK_DATABASE_URL", "postgresql+psycopg://db/interlock")
    assert GatewaySettings.load(path).resolved_database_url == "postgresql+psycopg://db/interlock"


def test_config_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[gateway]\nundo_window = 0\n")
    monkeypatch.setenv("INTERLOCK_CONFIG", str(path))
    settings = GatewaySettings.load()
    assert settings.config == path
    assert settings.undo_window == timedelta(0)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("[gateway]\nundo_windw = 5\n", "undo_windw", id="unknown-key"),
        pytest.param("[gateway]\nundo_window = -5\n", "undo_window", id="negative-window"),
        pytest.param("[gateway]\nmax_page_size = 0\n", "max_page_size", id="zero-page"),
        pytest.param('[gateway]\nresume_window = "soon"\n', "resume_window", id="not-a-duration"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigurationError, match=key):
        GatewaySettings.load(write(tmp_path, text))


def test_malformed_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        GatewaySettings.load(write(tmp_path, "[gateway\n"))
