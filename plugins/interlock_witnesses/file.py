"""A witness that appends each checkpoint to a JSON lines file and syncs it to disk.

The file is opened for appending only, one line per checkpoint, ``fsync`` after each. Put it
on a volume the database's writers cannot reach (another host's mount, a WORM bucket synced
from it): its worth is that whoever could rewrite the database could not rewrite it too.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from interlock.errors import ConfigurationError
from interlock.witnesses import SignedCheckpoint

__all__ = ["FileOptions", "FileWitness"]


class FileOptions(BaseModel):
    """``path``: the JSON lines file (created with its directory, mode 0600)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path


class FileWitness:
    """Appends checkpoints to a file; reads them back for verification."""

    def __init__(self, name: str, options: FileOptions) -> None:
        self.name = name
        self.path = options.path

    async def keep(self, checkpoint: SignedCheckpoint) -> None:
        line = json.dumps(checkpoint.as_dict(), separators=(",", ":")) + "\n"
        await asyncio.to_thread(self._append, line)

    def _append(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    async def checkpoints(self) -> list[SignedCheckpoint]:
        return await asyncio.to_thread(self._read)

    def _read(self) -> list[SignedCheckpoint]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ConfigurationError(
                f"audit witness {self.name!r}: cannot read {self.path} ({exc.strerror})"
            ) from None
        kept = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                kept.append(SignedCheckpoint.from_dict(json.loads(line)))
            except ValueError as exc:
                raise ConfigurationError(
                    f"audit witness {self.name!r}: line {number} of {self.path} is not a "
                    f"checkpoint ({exc})",
                    hint="the witness file was damaged; compare it with its copies",
                ) from None
        return kept
