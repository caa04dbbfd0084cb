"""Direct SDK mode: ``interlock adapters``, ``sessions list`` and the four verbs, no gateway."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from interlock import Interlock, Reason, ReasonCode, SessionFilter, SessionRef, SessionState, Verb
from interlock.doubles import make_double, wire_adapter
from interlock.errors import InvalidRequest
from interlock.models import OperationResult, Session
from interlock.plugins import get_plugin_manager
from interlock_gateway.cli._common import (
    ConfigOption,
    JsonOption,
    console,
    err_console,
    handle_errors,
    print_json,
    run,
)

sessions_app = typer.Typer(help="Find interview sessions across accounts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("adapters")(adapters)
    app.add_typer(sessions_app, name="sessions")
    for verb in Verb:
        app.command(str(verb), help=f"{verb.capitalize()} one session.")(_verb_command(verb))


@handle_errors
def adapters(
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", envvar="INTERLOCK_CONFIG", help="per account if given"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The capability matrix: per configured account, or per installed adapter."""
    plugins = get_plugin_manager()
    rows: list[dict[str, str]] = []
    if config:
        interlock = Interlock.from_config(config, plugins=plugins)
        manual = _manual_verbs(config)
        for name, adapter in sorted(interlock.accounts.items()):
            row = {"account": name, "adapter": adapter.vendor, **_row(adapter)}
            for verb in manual.get(name, ()):  # a person does it: its own level, "manual"
                if row.get(verb) == "unsupported":
                    row[verb] = "manual"
            rows.append(row)
        run(interlock.aclose())
    else:
        for name, spec in sorted(plugins.adapters.items()):
            try:
                adapter = wire_adapter(spec, make_double(spec))
            except LookupError as exc:
                rows.append({"adapter": name, "error": str(exc)})
                continue
            rows.append({"adapter": name, "vendor": spec.vendor, **_row(adapter)})
            run(adapter.aclose())
    failures = [{"plugin": f.name, "error": f.error, "fix": f.fix} for f in plugins.failures]
    if as_json:
        print_json({"adapters": rows, "plugin_failures": failures})
        return
    console.print(_matrix(rows))
    for row in rows:
        if row.get("notes"):
            console.print(f"[bold]{row['adapter']}[/]: {row['notes']}", highlight=False)
    for failure in failures:
        err_console.print(
            f"[yellow]plug-in {failure['plugin']!r} not loaded:[/] {failure['error']}"
        )
        err_console.print(f"  fix: {failure['fix']}")


_VERBS = ("pause", "resume", "terminate", "revoke")


def _matrix(rows: list[dict[str, str]]) -> Table:
    """One row per adapter in five narrow columns, readable at 80 columns: the verbs' levels
    stacked in one cell, filters one per line, and the notes printed under the table."""
    table = Table(title="Interlock adapters: capability matrix", show_lines=True)
    for column in ("adapter", "verbs", "batch · restore", "server-side filters", "events"):
        table.add_column(column, overflow="fold")
    for row in rows:
        if "error" in row:
            table.add_row(row["adapter"], row["error"], "", "", "")
            continue
        name = row.get("account", row["adapter"])
        if "account" in row:
            name = f"{row['account']}\n({row['adapter']})"
        verbs = "\n".join(f"{verb} {row[verb]}" for verb in _VERBS)
        batch = f"batch {row['native_batch'].replace(',', ', ')}\nrestore {row['restore']}"
        filters = "\n".join(row["filters"].split(","))
        table.add_row(name, verbs, batch, filters, row["events"])
    return table


def _manual_verbs(config: str) -> dict[str, tuple[str, ...]]:
    """``[gateway] manual_verbs`` of the config (account → verbs done by hand)."""
    import tomllib
    from pathlib import Path

    try:
        table = tomllib.loads(Path(config).read_text(encoding="utf-8")).get("gateway", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    found = table.get("manual_verbs", {}) if isinstance(table, dict) else {}
    if not isinstance(found, dict):
        return {}
    return {str(k): tuple(str(v) for v in verbs) for k, verbs in found.items()}


def _row(adapter: object) -> dict[str, str]:
    from interlock.adapter import InterviewAdapter

    assert isinstance(adapter, InterviewAdapter)
    capabilities = adapter.capabilities
    return {**capabilities.matrix_row(), "notes": capabilities.notes or ""}


@sessions_app.command("list")
@handle_errors
def list_sessions(
    config: ConfigOption,
    account: Annotated[list[str] | None, typer.Option(help="only these accounts")] = None,
    state: Annotated[list[SessionState] | None, typer.Option(help="only these states")] = None,
    candidate: Annotated[str | None, typer.Option(help="candidate id or masked name")] = None,
    position: Annotated[str | None, typer.Option(help="position id")] = None,
    batch_no: Annotated[str | None, typer.Option("--batch-no", help="batch number")] = None,
    start_from: Annotated[datetime | None, typer.Option(help="scheduled at or after (UTC)")] = None,
    start_to: Annotated[datetime | None, typer.Option(help="scheduled before (UTC)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 200,
    as_json: JsonOption = False,
) -> None:
    """List sessions across accounts, with filters."""
    session_filter = SessionFilter(
        states=frozenset(state or ()),
        candidate=candidate,
        position=position,
        batch_no=batch_no,
        start_from=_utc(start_from),
        start_to=_utc(start_to),
    )

    async def collect() -> list[Session]:
        async with Interlock.from_config(config) as interlock:
            found: list[Session] = []
            async for session in interlock.sessions(session_filter, accounts=account or None):
                found.append(session)
                if len(found) >= limit:
                    break
            return found

    sessions = run(collect())
    if as_json:
        print_json([s.model_dump(mode="json", exclude={"vendor_data"}) for s in sessions])
        return
    print_sessions(sessions)


def print_sessions(sessions: list[Session]) -> None:
    """A table when the terminal is wide enough to keep every name whole, else a list."""
    widest = max((len(s.ref.name) for s in sessions), default=0)
    if console.width >= widest + _OTHER_COLUMNS_WIDTH:
        console.print(_sessions_table(sessions))
        return
    # Too narrow for a table that keeps names whole: the name on its own line, the rest below.
    for s in sessions:
        console.print(Text(s.ref.name), soft_wrap=True)
        console.print(Text("  " + " · ".join(_cells(s)[1:])), soft_wrap=False)
    console.print(Text(f"{len(sessions)} session(s)"))


_OTHER_COLUMNS_WIDTH = 70  # what state, candidate, position, level, batch and time need


def _cells(s: Session) -> tuple[str, ...]:
    return (
        s.ref.name,
        str(s.state),
        s.candidate.masked_name,
        s.position.title,
        s.position.level or "-",
        s.batch_no or "-",
        # In the user's zone, with the zone named (vendors store UTC).
        s.scheduled_at.astimezone().strftime("%Y-%m-%d %H:%M %Z") if s.scheduled_at else "-",
    )


def _sessions_table(sessions: list[Session]) -> Table:
    """Session names whole on one line (the next command needs them); other columns wrap.
    Cells are :class:`~rich.text.Text`, so brackets in vendor data are never markup."""
    table = Table(title=f"{len(sessions)} session(s)")
    widest = max((len(s.ref.name) for s in sessions), default=7)
    table.add_column("session", no_wrap=True, min_width=widest)
    for column in ("state", "candidate", "position", "level", "batch", "scheduled"):
        table.add_column(column, overflow="fold")
    for s in sessions:
        table.add_row(*(Text(cell) for cell in _cells(s)))
    return table


def _utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    from datetime import UTC

    return value.replace(tzinfo=UTC)


DIRECT_WARNING = (
    "warning: direct mode: the vendor is called with this config's credentials; no approval, "
    "no undo window and no audit record (people's stops go through the gateway)"
)


def warn_direct() -> None:
    """Say, every time, what a direct command bypasses (one line on stderr, never wrapped)."""
    sys.stderr.write(DIRECT_WARNING + "\n")
    sys.stderr.flush()


def _verb_command(verb: Verb):  # type: ignore[no-untyped-def]  # typer builds the signature
    @handle_errors
    def command(
        name: Annotated[str, typer.Argument(help="accounts/ACCOUNT/sessions/ID")],
        config: ConfigOption,
        reason: Annotated[
            str, typer.Option("--reason", "-r", help="reason code: " + ", ".join(ReasonCode))
        ],
        note: Annotated[str | None, typer.Option(help="free text; required for 'other'")] = None,
        as_json: JsonOption = False,
    ) -> None:
        try:
            ref = SessionRef.parse(name)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        if reason not in ReasonCode.__members__.values():
            raise InvalidRequest(
                f"unknown reason code {reason!r}", hint="codes: " + ", ".join(ReasonCode)
            )
        parsed = Reason(code=ReasonCode(reason), note=note)
        warn_direct()

        async def act() -> OperationResult:
            async with Interlock.from_config(config) as interlock:
                return await interlock.perform(verb, ref, parsed)

        result = run(act())
        if as_json:
            print_json(result)
            return
        console.print(
            f"{verb} {ref.name}: [bold]{result.outcome}[/] "
            f"({result.state_before or '?'} → {result.state_after or '?'})"
        )

    command.__name__ = str(verb)
    command.__doc__ = f"{verb.capitalize()} one session (reason required)."
    return command
