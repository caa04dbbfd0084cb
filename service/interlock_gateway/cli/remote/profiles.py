"""Where ``interlock login`` keeps gateways and their API keys.

A profile names a gateway URL. Its key goes to the user's keyring (macOS Keychain, Windows
Credential Locker, the Secret Service) when one works, else to ``credentials.toml`` readable by
the user alone (0600, in a 0700 folder). ``profiles.toml`` holds only URLs and which profile is
the default, so it can be shown and copied. ``INTERLOCK_CONFIG_HOME`` moves the folder.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import keyring
import keyring.errors
import platformdirs
import tomli_w

from .._common import fail

__all__ = ["CONFIG_HOME_ENV", "KEYRING_SERVICE", "Profile", "ProfileStore"]

CONFIG_HOME_ENV = "INTERLOCK_CONFIG_HOME"
KEYRING_SERVICE = "interlock"
KeyStore = Literal["keyring", "file"]


@dataclass(frozen=True)
class Profile:
    """A gateway the user logged in to, and where its key is kept."""

    name: str
    gateway: str
    key_store: KeyStore
    principal: str | None = None


class ProfileStore:
    """The profiles of one user (one folder)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.profiles_file = home / "profiles.toml"
        self.credentials_file = home / "credentials.toml"

    @classmethod
    def default(cls) -> ProfileStore:
        home = os.environ.get(CONFIG_HOME_ENV) or platformdirs.user_config_dir("interlock")
        return cls(Path(home))

    # -- reading ----------------------------------------------------------------------------

    def profiles(self) -> dict[str, Profile]:
        table = _read(self.profiles_file).get("profiles", {})
        return {
            name: Profile(
                name=name,
                gateway=str(entry["gateway"]),
                key_store="keyring" if entry.get("key_store") == "keyring" else "file",
                principal=entry.get("principal"),
            )
            for name, entry in table.items()
            if isinstance(entry, dict) and "gateway" in entry
        }

    def default_name(self) -> str | None:
        name = _read(self.profiles_file).get("default")
        return str(name) if name else None

    def key(self, profile: Profile) -> str | None:
        """The stored API key of ``profile`` (``None`` if it is gone from its store)."""
        if profile.key_store == "keyring":
            try:
                return keyring.get_password(KEYRING_SERVICE, _account(profile))
            except keyring.errors.KeyringError:
                return None
        found = _read(self.credentials_file).get(profile.name, {}).get("api_key")
        return str(found) if found else None

    # -- writing ----------------------------------------------------------------------------

    def save(self, name: str, gateway: str, key: str, *, principal: str | None = None) -> Profile:
        """Store ``key`` for ``gateway`` under ``name``; the first profile becomes the default."""
        self.remove(name)
        profile = Profile(name, gateway, _store_key(name, gateway, key, self), principal)
        document = _read(self.profiles_file)
        entry: dict[str, Any] = {"gateway": gateway, "key_store": profile.key_store}
        if principal:
            entry["principal"] = principal
        document.setdefault("profiles", {})[name] = entry
        document.setdefault("default", name)
        self._write(self.profiles_file, document)
        return profile

    def use(self, name: str) -> None:
        document = _read(self.profiles_file)
        document["default"] = name
        self._write(self.profiles_file, document)

    def remove(self, name: str) -> bool:
        """Forget ``name`` and its key, wherever it was kept. :returns: whether it existed."""
        profile = self.profiles().get(name)
        if profile is not None and profile.key_store == "keyring":
            with contextlib.suppress(keyring.errors.KeyringError):  # already gone from it
                keyring.delete_password(KEYRING_SERVICE, _account(profile))
        credentials = _read(self.credentials_file)
        if credentials.pop(name, None) is not None:
            self._write(self.credentials_file, credentials)
        document = _read(self.profiles_file)
        existed = document.get("profiles", {}).pop(name, None) is not None
        if document.get("default") == name:
            document.pop("default")
            if document.get("profiles"):
                document["default"] = sorted(document["profiles"])[0]
        if existed:
            self._write(self.profiles_file, document)
        return existed

    def write_credential(self, name: str, key: str) -> None:
        credentials = _read(self.credentials_file)
        credentials[name] = {"api_key": key}
        self._write(self.credentials_file, credentials)

    def _write(self, path: Path, document: dict[str, Any]) -> None:
        """Write ``document`` readable by the user alone (created 0600, never widened)."""
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        scratch = path.with_name(f".{path.name}.tmp")
        descriptor = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            tomli_w.dump(document, out)
        os.replace(scratch, path)


def _account(profile: Profile) -> str:
    return f"{profile.name} {profile.gateway}"


def _store_key(name: str, gateway: str, key: str, store: ProfileStore) -> KeyStore:
    """Put ``key`` in the keyring if one works here, else in the 0600 credentials file."""
    try:
        keyring.set_password(KEYRING_SERVICE, f"{name} {gateway}", key)
    except (keyring.errors.KeyringError, RuntimeError):
        store.write_credential(name, key)
        return "file"
    return "keyring"


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        fail(f"{path}: not valid TOML ({exc})", hint=f"fix or delete {path}, then log in again")
