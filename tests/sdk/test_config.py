"""interlock.toml: accounts, environment overrides, secrets, and errors that say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from interlock import Interlock
from interlock.config import load_accounts
from interlock.errors import AdapterNotFound, ConfigurationError
from interlock.plugins import LoadedPlugins, get_plugin_manager
from interlock_sandbox.options import SandboxOptions


@pytest.fixture(scope="module")
def plugins() -> LoadedPlugins:
    return get_plugin_manager()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "interlock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_accounts_are_loaded_with_limits_and_options(
    tmp_path: Path, plugins: LoadedPlugins
) -> None:
    path = write(
        tmp_path,
        '[accounts.demo]\nadapter = "sandbox"\nvendor_qps = 40\nrate_share = 0.5\n'
        'concurrency = 4\nseed = 3\ntimezone = "Asia/Shanghai"\n',
    )
    [account] = load_accounts(path, plugins, env={})
    assert account.name == "demo"
    assert account.spec.name == "sandbox"
    assert account.concurrency == 4
    assert isinstance(account.options, SandboxOptions)
    assert (account.options.vendor_qps, account.options.rate_share) == (40, 0.5)
    assert account.options.seed == 3
    assert str(account.timezone) == "Asia/Shanghai"


def test_environment_overrides_any_value(tmp_path: Path, plugins: LoadedPlugins) -> None:
    path = write(tmp_path, '[accounts.demo-hq]\nadapter = "sandbox"\nseed = 3\n')
    env = {"INTERLOCK__ACCOUNTS__DEMO_HQ__SEED": "11"}
    [account] = load_accounts(path, plugins, env=env)
    assert isinstance(account.options, SandboxOptions)
    assert account.options.seed == 11


def test_secrets_from_env_and_file(tmp_path: Path, plugins: LoadedPlugins) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-file\n", encoding="utf-8")
    path = write(
        tmp_path,
        f'[accounts.a]\nadapter = "sandbox"\nclient_secret = "env:SBX_SECRET"\n'
        f'[accounts.b]\nadapter = "sandbox"\nclient_secret = "file:{secret_file}"\n',
    )
    a, b = load_accounts(path, plugins, env={"SBX_SECRET": "from-env"})
    assert isinstance(a.options, SandboxOptions)
    assert isinstance(b.options, SandboxOptions)
    assert a.options.client_secret.get_secret_value() == "from-env"
    assert b.options.client_secret.get_secret_value() == "from-file"
    assert "from-env" not in repr(a.options)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[accounts.x]\nseed = 1\n", "key 'adapter' is missing", id="no-adapter"),
        pytest.param('[accounts.x]\nadapter = "sandbox"\nseeed = 1\n', "key 'seeed'", id="typo"),
        pytest.param(
            '[accounts.x]\nadapter = "sandbox"\nconcurrency = "many"\n',
            "'concurrency'",
            id="concurrency",
        ),
        pytest.param(
            '[accounts.x]\nadapter = "sandbox"\nvendor_qps = -1\n', "'vendor_qps'", id="vendor-qps"
        ),
        pytest.param(
            '[accounts.x]\nadapter = "sandbox"\ntimezone = "Mars/Base"\n',
            "time zone",
            id="timezone",
        ),
        pytest.param(
            '[accounts.x]\nadapter = "sandbox"\nclient_secret = "env:NOPE"\n',
            "'NOPE'",
            id="missing-env",
        ),
        pytest.param("[other]\nx = 1\n", "no [accounts.NAME] table", id="no-accounts"),
        pytest.param("[accounts.x\n", "not valid TOML", id="syntax"),
    ],
)
def test_config_errors_name_file_key_and_fix(
    tmp_path: Path, plugins: LoadedPlugins, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigurationError) as info:
        load_accounts(path, plugins, env={})
    assert expected in info.value.message
    assert str(path) in info.value.message
    assert info.value.hint


def test_unknown_adapter_suggests_the_closest_installed(
    tmp_path: Path, plugins: LoadedPlugins
) -> None:
    path = write(tmp_path, '[accounts.x]\nadapter = "sandbx"\n')
    with pytest.raises(AdapterNotFound) as info:
        load_accounts(path, plugins, env={})
    assert "[accounts.x]" in info.value.message
    assert "did you mean 'sandbox'" in (info.value.hint or "")


def test_missing_file_is_a_configuration_error(plugins: LoadedPlugins, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="file not found"):
        Interlock.from_config(tmp_path / "absent.toml", plugins=plugins)
