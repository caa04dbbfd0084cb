"""A real SMTP server (aiosmtpd) in a process of its own that keeps every message it accepts.

``python -m harness.smtp_sink PORT DIR`` (with ``bench`` on the path) writes one JSON file per
message into DIR: its Message-ID, recipients, subject and body. Tests, the notification
benchmark and the demo use it; :class:`SmtpSink` starts and stops it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

__all__ = ["SmtpSink"]

_BENCH = Path(__file__).resolve().parents[1]


class _Keep:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        body = parsed.get_body(preferencelist=("plain",))
        record = {
            "message_id": parsed["Message-ID"],
            "to": list(envelope.rcpt_tos),
            "from": envelope.mail_from,
            "subject": parsed["Subject"],
            "event": parsed["X-Interlock-Event"],
            "body": body.get_content() if body is not None else "",
        }
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:6]}.json"
        tmp = self.directory / f".{name}"
        tmp.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        tmp.rename(self.directory / name)
        return "250 Message accepted for delivery"


class SmtpSink:
    """The sink process: ``start()``, ``messages()``, ``stop()``."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> SmtpSink:
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "harness.smtp_sink", str(self.port), str(self.directory)]
        self.process = subprocess.Popen(command, cwd=_BENCH)  # noqa: S603 - our own module
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the SMTP sink did not listen on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self) -> list[dict[str, Any]]:
        found = sorted(self.directory.glob("[!.]*.json"))
        return [json.loads(path.read_text(encoding="utf-8")) for path in found]


async def _serve(port: int, directory: Path) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_Keep(directory), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await asyncio.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    Path(sys.argv[2]).mkdir(parents=True, exist_ok=True)
    asyncio.run(_serve(int(sys.argv[1]), Path(sys.argv[2])))
