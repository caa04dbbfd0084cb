"""``interlock demo``: a running gateway with every installed vendor double and four demo keys.

One process, one event loop: each vendor double is served over loopback HTTP, a demo
``interlock.toml`` pointing the accounts at them is written under ``.interlock/demo/``, the
gateway starts on a fresh SQLite database there, four principals are created (their keys are
printed once, with three ``curl`` commands to try), and SIGINT/SIGTERM stop the gateway first
(finishing open requests) and then the doubles. Everything binds to loopback only.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import threading
from collections.abc import Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any

import typer

from interlock.doubles import (
    DEFAULT_DOUBLE_TIMEZONE,
    DoubleSettings,
    VendorDouble,
    WorldSession,
    asgi_app,
    make_double,
)
from interlock.models import SessionState
from interlock.plugins import AdapterSpec, LoadedPlugins, get_plugin_manager

from ..app import create_app
from ..audit import AuditActor
from ..observability import configure_logging
from ..operations import principal_admin
from ..runtime import Runtime
from ..server import is_loopback, serving
from ..settings import GatewaySettings
from ..store.engine import default_database_url
from ._common import fail, handle_errors

__all__ = ["demo"]

#: Account names for the adapters this repository ships; others are named ``<adapter>-demo``.
ACCOUNT_NAMES = {
    "sandbox": "sandbox",
    "dingtalk": "dingtalk-hq",
    "beisen": "beisen-cn",
    "yonyou": "yonyou-group",
}
DEMO_ACTOR = AuditActor(principal="local:demo", role="admin")
SPECIALIST_POSITIONS = ("Backend Engineer", "Frontend Engineer")
MANAGER_DEPARTMENTS = ("sales",)
_SEED = 7
_MARKER = "# Written by `interlock demo`"


@dataclass(frozen=True)
class ServedDouble:
    """One vendor double on loopback and the account that talks to it."""

    spec: AdapterSpec
    account: str
    double: VendorDouble
    url: str


def _specs(plugins: LoadedPlugins) -> list[AdapterSpec]:
    """Installed adapters that ship a double: this repository's first, then the rest."""
    known = [plugins.adapters[n] for n in ACCOUNT_NAMES if n in plugins.adapters]
    others = [s for n, s in sorted(plugins.adapters.items()) if n not in ACCOUNT_NAMES]
    return [s for s in (*known, *others) if s.double_factory is not None]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def _table(name: str, values: dict[str, Any]) -> str:
    lines = [f"[{name}]"]
    lines += [f"{key} = {_toml_value(v)}" for key, v in values.items() if v is not None]
    return "\n".join(lines) + "\n"


def _notifications_toml(mail_port: int | None, url: str) -> str:
    """``[notifications]`` of the demo: every HR event by e-mail to the demo's SMTP sink, the
    paused candidate's text (with the resume link) to a demo mailbox."""
    lines = ["[notifications]", f"link_base_url = {_toml_value(url)}", "poll_interval = 0.2"]
    if mail_port is None:
        return "\n".join(lines) + "\n"
    lines += [
        "",
        "[notifications.channels.demo-mail]",
        'type = "email"',
        'host = "127.0.0.1"',
        f"port = {mail_port}",
        'sender = "interlock@demo.invalid"',
    ]
    hr_events = ["operation.finished", "approval.requested", "approval.decided"]
    hr_events += ["batch.finished", "candidate.paused", "candidate.needs_time", "task.created"]
    lines += [
        "",
        "[[notifications.routes]]",
        f"events = {json.dumps(hr_events)}",
        'channel = "demo-mail"',
        'to = ["requester"]',
        "",
        "[[notifications.routes]]",
        'events = ["session.paused"]',
        'channel = "demo-mail"',
        'to = ["candidate@demo.invalid"]',
        'audience = "candidate"',
        "",
        "[notifications.contacts]",
    ]
    lines += [
        f'{role} = {{ demo-mail = "{role}@demo.invalid" }}'
        for role in ("specialist", "manager", "admin")
    ]
    return "\n".join(lines) + "\n"


def write_config(
    path: Path,
    doubles: Iterable[ServedDouble],
    data_dir: Path,
    *,
    mail_port: int | None = None,
    url: str = "http://127.0.0.1:8080",
) -> None:
    """The demo ``interlock.toml``: the gateway's database, one account per double, and
    notifications to the demo's SMTP sink."""
    gateway = {"database_url": default_database_url(data_dir), "data_dir": str(data_dir)}
    parts = [f"{_MARKER}; the doubles it points at run only with the demo.\n"]
    parts.append(_table("gateway", gateway))
    parts.append(_notifications_toml(mail_port, url))
    for served in doubles:
        account: dict[str, Any] = {"adapter": served.spec.name}
        if served.spec.needs_timezone:
            account["timezone"] = str(DEFAULT_DOUBLE_TIMEZONE)
        account.update(served.double.adapter_options(served.url))
        parts.append(_table(f'accounts."{served.account}"', account))
    path.write_text("\n".join(parts), encoding="utf-8")
    path.chmod(0o600)  # the doubles' (fake) credentials; the habit matters


def _owners(served: ServedDouble, titles: Iterable[str]) -> list[str]:
    """The vendor users who own the positions titled ``titles`` on one account (not the
    admin who owns them all)."""
    wanted = set(titles)
    owners = {o for p in served.double.world.positions if p.title in wanted for o in p.owners}
    shared = set.intersection(*(set(p.owners) for p in served.double.world.positions))
    return sorted(owners - shared)


async def create_demo_principals(runtime: Runtime, doubles: list[ServedDouble]) -> dict[str, str]:
    """The four demo principals, their ownership per account, audited like
    ``interlock principals add``; name → key."""
    specs: dict[str, dict[str, Any]] = {
        "specialist": {
            "vendor_users": {d.account: _owners(d, SPECIALIST_POSITIONS) for d in doubles}
        },
        "manager": {
            "departments": [f"{d.account}/{dept}" for d in doubles for dept in MANAGER_DEPARTMENTS]
        },
        "admin": {},
        "auditor": {},
    }
    keys: dict[str, str] = {}
    accounts = [d.account for d in doubles]
    for role, scope in specs.items():
        created = await principal_admin.add(
            runtime.db, runtime.trail, DEMO_ACTOR, role, role, accounts=accounts, **scope
        )
        keys[role] = created.key
    return keys


def _example_session(doubles: list[ServedDouble]) -> tuple[str, WorldSession]:
    """A running session the specialist owns (for the pause example)."""
    for served in doubles:
        for session in served.double.world.sessions.values():
            running = session.state is SessionState.IN_PROGRESS
            if running and session.position.title in SPECIALIST_POSITIONS:
                return served.account, session
    raise LookupError("no running session of the specialist's positions in the demo data")


def _paused_example(doubles: list[ServedDouble]) -> tuple[str, WorldSession]:
    """Another running session of the specialist's (the demo pauses it at start-up)."""
    first = _example_session(doubles)[1].id
    for served in doubles:
        for session in served.double.world.sessions.values():
            running = session.state is SessionState.IN_PROGRESS
            if running and session.position.title in SPECIALIST_POSITIONS and session.id != first:
                return served.account, session
    raise LookupError("no second running session of the specialist's positions")


class DemoMailbox:
    """A real SMTP server (aiosmtpd, in a thread) that keeps what the gateway sends."""

    def __init__(self, host: str) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        self.arrived = threading.Event()
        with socket.socket() as probe:  # a free loopback port (aiosmtpd checks it by connecting)
            probe.bind((host, 0))
            self.port: int = probe.getsockname()[1]
        self.controller = Controller(self, hostname=host, port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=email_policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.arrived.set()
        return "250 Message accepted for delivery"

    def start(self) -> int:
        self.controller.start()
        return self.port

    def stop(self) -> None:
        self.controller.stop()


async def show_candidate_side(
    url: str, doubles: list[ServedDouble], keys: dict[str, str], mailbox: DemoMailbox | None
) -> None:
    """Pause one session as the specialist, then print the notification the SMTP sink got,
    the candidate's resume link and its QR code."""
    import httpx
    import segno

    account, session = _paused_example(doubles)
    headers = {"Authorization": f"Bearer {keys['specialist']}", "Idempotency-Key": "demo-pause"}
    body = {"reason": {"code": "candidate_network", "note": "the demo's pause"}}
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        paused = await client.post(
            f"/v1/accounts/{account}/sessions/{session.id}/pause", json=body, headers=headers
        )
        op = (await client.get(f"/v1/operations/{paused.json()['id']}", headers=headers)).json()
    lines = ["", f"Paused {account}/{session.id} as the specialist (operation {op['id']})."]
    if mailbox is not None:
        await asyncio.to_thread(mailbox.arrived.wait, 15)
        await asyncio.sleep(0.5)  # the candidate's and the HR user's usually arrive together
        for message in mailbox.messages:
            text = message.get_body(preferencelist=("plain",))
            content = text.get_content().strip() if text is not None else ""
            lines += [
                "",
                f"Notification received by the demo SMTP server — to {message['To']}:",
                f"  Subject: {message['Subject']}",
                *(f"  {line}" for line in content.splitlines()),
            ]
    link = op.get("resume_link")
    if link:
        lines += ["", "The candidate's resume link (valid until the resume deadline):", f"  {link}"]
        print("\n".join(lines), flush=True)
        segno.make(link, error="l").terminal(compact=True)
    else:
        print("\n".join(lines), flush=True)


def _curl(key: str, url: str, body: dict[str, Any] | None = None) -> str:
    auth = f'-H "Authorization: Bearer {key}"'
    if body is None:
        return f'curl -sS {auth} "{url}"'
    data = json.dumps(body, separators=(",", ":"))
    return f'curl -sS -X POST {auth} -H "Content-Type: application/json" -d \'{data}\' "{url}"'


def print_banner(url: str, doubles: list[ServedDouble], keys: dict[str, str]) -> None:
    """Accounts, keys (shown once) and three commands to try, in plain, copyable lines."""
    account, session = _example_session(doubles)
    pause_url = f"{url}/v1/accounts/{account}/sessions/{session.id}/pause"
    reason = {"reason": {"code": "candidate_network", "note": "tried from the demo"}}
    lines = [
        "",
        f"Interlock gateway demo on {url}   (API docs: {url}/docs)",
        "",
        f"HR console: {url}/console   (sign in with the specialist's or the manager's key)",
        "",
        "Vendor doubles (seeded sessions):",
        *(f"  {d.account:<14} {d.spec.vendor:<10} {d.url}" for d in doubles),
        "",
        "API keys (shown once):",
        *(f"  {name:<11} {key}" for name, key in keys.items()),
        "",
        "Try:",
        "  # the CLI, as the specialist (paste the key when asked)",
        f"  interlock login --gateway {url}",
        "  interlock sessions list --state in_progress",
        "  # the same over HTTP: the sessions the specialist may see",
        f"  {_curl(keys['specialist'], f'{url}/v1/sessions?page_size=5')}",
        "  # pause one of them",
        f"  {_curl(keys['specialist'], pause_url, reason)}",
        "  # read the audit trail",
        f"  {_curl(keys['auditor'], f'{url}/v1/audit?page_size=5')}",
        "",
    ]
    print("\n".join(lines), flush=True)


async def _serve_doubles(
    stack: AsyncExitStack, plugins: LoadedPlugins, host: str
) -> list[ServedDouble]:
    served = []
    for spec in _specs(plugins):
        double = make_double(spec, DoubleSettings(seed=_SEED))
        url = await stack.enter_async_context(serving(asgi_app(double), host=host, lifespan=False))
        account = ACCOUNT_NAMES.get(spec.name, f"{spec.name}-demo")
        served.append(ServedDouble(spec=spec, account=account, double=double, url=url))
    return served


async def run_demo(host: str, port: int, data_dir: Path, stop: asyncio.Event) -> None:
    """Serve everything until ``stop`` is set, then shut down in order."""
    plugins = get_plugin_manager()
    async with AsyncExitStack() as stack:
        doubles = await _serve_doubles(stack, plugins, host)
        mailbox = _start_mailbox(host)
        if mailbox is not None:
            stack.callback(mailbox.stop)
        config = data_dir / "interlock.toml"
        url = f"http://{host}:{port}"
        mail_port = mailbox.start() if mailbox is not None else None
        write_config(config, doubles, data_dir, mail_port=mail_port, url=url)
        app = create_app(GatewaySettings.load(config), plugins=plugins)
        url = await stack.enter_async_context(serving(app, host=host, port=port))
        keys = await create_demo_principals(app.state.runtime, doubles)
        print_banner(url, doubles, keys)
        await show_candidate_side(url, doubles, keys, mailbox)
        print("\nReady. Ctrl-C stops the gateway and the doubles.", flush=True)
        await stop.wait()
        print("Stopping ...", flush=True)
    print("Stopped.", flush=True)


def _start_mailbox(host: str) -> DemoMailbox | None:
    try:
        return DemoMailbox(host)
    except ImportError:  # aiosmtpd comes with the dev extras (`make install`)
        print("(no demo SMTP server: pip install aiosmtpd to see notifications)", flush=True)
        return None


async def _until_signalled(host: str, port: int, data_dir: Path) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_demo(host, port, data_dir, stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _fresh_dir(path: Path) -> Path:
    """Empty ``path`` for a new demo — only if it is missing, empty or an earlier demo's."""
    if path.exists() and any(path.iterdir()):
        config = path / "interlock.toml"
        earlier = config.is_file() and config.read_text(encoding="utf-8").startswith(_MARKER)
        if not earlier:
            fail(f"{path} is not an earlier demo's folder", hint="pick another --data-dir")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@handle_errors
def demo(
    port: Annotated[int, typer.Option(min=1, max=65535, help="the gateway's port")] = 8080,
    host: Annotated[str, typer.Option(help="loopback address to bind")] = "127.0.0.1",
    data_dir: Annotated[
        Path, typer.Option(help="demo config, database and signing key (wiped first)")
    ] = Path(".interlock/demo"),
    log_level: Annotated[str, typer.Option(help="gateway log level (logs go to stderr)")] = (
        "WARNING"
    ),
) -> None:
    """Run the gateway with the vendor doubles, seeded sessions and four demo API keys."""
    if not is_loopback(host):
        fail(f"refusing to bind {host!r}", hint="the demo serves loopback only (127.0.0.1)")
    if not _port_free(host, port):
        fail(f"port {port} on {host} is in use", hint="pick another with --port")
    folder = _fresh_dir(data_dir)  # a fresh database every run
    configure_logging(log_level.upper(), json=False)
    asyncio.run(_until_signalled(host, port, folder))
