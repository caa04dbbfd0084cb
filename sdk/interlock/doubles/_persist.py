"""A double's world kept in a file between runs (the CLI's direct mode against an in-process
sandbox: ``interlock direct pause X`` twice must say "already paused" the second time).

Only what changes is kept — each session's state, times and progress; the seeded parts (ids,
names, positions) come back from the seed. The file is tied to the world's seed and size and is
replaced atomically, so a crash mid-write leaves the previous world, never half of one. Two
commands at the same moment: the last to finish wins (a sandbox, not a vendor).
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from interlock.errors import ConfigurationError
from interlock.models import SessionState

from ._world import World

__all__ = ["load_world", "save_world"]

_FORMAT = 1
_TIMES = ("started_at", "resume_deadline", "updated_at")


def _identity(world: World, vendor: str) -> dict[str, Any]:
    return {"format": _FORMAT, "vendor": vendor, "seed": world.seed, "size": world.size}


def save_world(world: World, path: Path, *, vendor: str) -> None:
    """Write the changing part of ``world`` to ``path`` (atomically; the folder is created)."""
    sessions = {
        sid: {
            "state": str(s.state),
            "previous_state": str(s.previous_state) if s.previous_state else None,
            "progress": s.progress,
            **{name: _iso(getattr(s, name)) for name in _TIMES},
        }
        for sid, s in world.sessions.items()
    }
    text = json.dumps({**_identity(world, vendor), "sessions": sessions}, indent=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def load_world(world: World, path: Path, *, vendor: str) -> bool:
    """Bring ``world`` to the state saved in ``path``.

    :returns: ``False`` when there is no file, or it belongs to another seed or size (the
        world stays fresh and the next save replaces it).
    :raises ConfigurationError: the file is not a saved world (the error names the file).
    """
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as exc:
        raise _unreadable(path, type(exc).__name__) from None
    if not isinstance(saved, dict) or not isinstance(saved.get("sessions"), dict):
        raise _unreadable(path, "not a saved world")
    if {k: saved.get(k) for k in ("format", "vendor", "seed", "size")} != _identity(world, vendor):
        return False
    try:
        for sid, fields in saved["sessions"].items():
            if sid in world.sessions:
                _restore(world, sid, fields)
    except (KeyError, TypeError, ValueError) as exc:
        raise _unreadable(path, f"session entry ({type(exc).__name__})") from None
    return True


def _restore(world: World, session_id: str, fields: dict[str, Any]) -> None:
    session = world.sessions[session_id]
    session.state = SessionState(fields["state"])
    previous = fields.get("previous_state")
    session.previous_state = SessionState(previous) if previous else None
    session.progress = float(fields.get("progress") or 0.0)
    session.started_at = _time(fields.get("started_at"))
    session.resume_deadline = _time(fields.get("resume_deadline"))
    updated = _time(fields.get("updated_at"))
    if updated is not None:
        session.updated_at = updated


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: object) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError("a saved time without a zone")
    return parsed


def _unreadable(path: Path, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"the saved sandbox world {path} cannot be read: {why}",
        hint=f"delete {path} to start from the seeded world again",
    )
