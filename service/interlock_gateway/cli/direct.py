"""``interlock direct …``: sessions and the four verbs straight at the vendor, no gateway.

For the people who run the gateway and for adapter work: every command here says, every time,
that it bypasses approvals, the undo window and the audit trail. An in-process sandbox keeps its
world in ``.interlock/direct/`` between commands, so a second pause says "already paused".
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from interlock import Interlock, Reason, ReasonCode, SessionFilter, SessionRef, SessionState, Verb
from interlock.errors import InvalidRequest
from interlock.models import OperationResult, Session
from interlock_gateway.cli._common import (
    ConfigOption,
    JsonOption,
    console,
    handle_errors,
    print_json,
    run,
    take,
)
from interlock_gateway.cli.output import print_sessions

#: Where in-process vendor doubles keep their worlds between direct commands.
STATE_DIR = Path(".interlock/direct")

direct_app = typer.Typer(
    help="Act on vendors directly with a config's credentials: no approval, no undo window, "
    "no audit (people's stops go through the gateway).",
    no_args_is_help=True,
)
sessions_app = typer.Typer(help="Find sessions straight at the vendors.", no_args_is_help=True)
direct_app.add_typer(sessions_app, name="sessions")


@direct_app.callback()
def _every_time() -> None:
    warn_direct()


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
        async with Interlock.from_config(config, state_dir=STATE_DIR) as interlock:
            return await take(interlock.sessions(session_filter, accounts=account or None), limit)

    sessions = run(collect())
    if as_json:
        print_json([s.model_dump(mode="json", exclude={"vendor_data"}) for s in sessions])
        return
    print_sessions(sessions)


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

        async def act() -> OperationResult:
            async with Interlock.from_config(config, state_dir=STATE_DIR) as interlock:
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
    command.__doc__ = f"{verb.capitalize()} one session at its vendor, bypassing the gateway."
    return command


for _verb in Verb:
    direct_app.command(str(_verb))(_verb_command(_verb))
