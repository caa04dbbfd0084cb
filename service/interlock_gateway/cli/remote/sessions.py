"""``interlock sessions list|get``, the four verbs and ``undo``, through the gateway: its
permissions, approvals, undo window and audit apply to every one of them."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from interlock import ReasonCode, SessionRef, SessionState, Verb
from interlock.client import AsyncGatewayClient
from interlock.client.models import Operation

from .._common import JsonOption, console, fail, handle_errors, print_json, take
from ..output import local_time, print_sessions
from ..when import parse_when
from .connection import GatewayOption, ProfileOption, ask, gateway_errors

__all__ = ["describe", "register", "sessions_app"]

sessions_app = typer.Typer(
    help="Find interview sessions (through the gateway).", no_args_is_help=True
)

NameArgument = Annotated[
    str, typer.Argument(help="the session's name: accounts/ACCOUNT/sessions/ID", show_default=False)
]
ReasonOption = Annotated[
    str, typer.Option("--reason", "-r", help="reason code: " + ", ".join(ReasonCode))
]
NoteOption = Annotated[str | None, typer.Option(help="free text; required for 'other'")]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="print only the names or ids (for scripts)")
]


def register(app: typer.Typer) -> None:
    app.add_typer(sessions_app, name="sessions")
    for verb in Verb:
        app.command(str(verb), help=f"{verb.capitalize()} one session (through the gateway).")(
            _verb_command(verb)
        )
    app.command("undo")(undo)


def parse_name(name: str) -> SessionRef:
    try:
        return SessionRef.parse(name)
    except ValueError as exc:
        fail(f"{exc}", hint="names look like accounts/dingtalk-hq/sessions/4711")


@sessions_app.command("list")
@handle_errors
@gateway_errors
def list_sessions(
    account: Annotated[list[str] | None, typer.Option(help="only these accounts")] = None,
    state: Annotated[list[SessionState] | None, typer.Option(help="only these states")] = None,
    candidate: Annotated[
        str | None, typer.Option(help="candidate id, full name or part of the masked name")
    ] = None,
    position: Annotated[str | None, typer.Option(help="position id or title")] = None,
    batch_no: Annotated[str | None, typer.Option("--batch-no", help="batch number")] = None,
    start_from: Annotated[
        str | None, typer.Option("--from", help="scheduled at or after (a date is your local day)")
    ] = None,
    start_to: Annotated[
        str | None,
        typer.Option("--to", help="scheduled before (a date: up to the end of that day)"),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="at most this many")] = 200,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """List the sessions your key may see, with filters."""
    filters: dict[str, Any] = {
        "account": account or None,
        "state": [str(s) for s in state] if state else None,
        "candidate": candidate,
        "position": position,
        "batch_no": batch_no,
        "start_from": parse_when(start_from, option="--from"),
        "start_to": parse_when(start_to, option="--to", end_of_day=True),
    }

    sessions = ask(
        profile,
        gateway,
        lambda client: take(client.sessions(page_size=min(limit, 200), **filters), limit),
    )
    if as_json:
        print_json([s.model_dump(mode="json") for s in sessions])
    elif quiet:
        typer.echo("\n".join(s.name for s in sessions))
    else:
        print_sessions(sessions)


@sessions_app.command("get")
@handle_errors
@gateway_errors
def get_session(
    name: NameArgument,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
) -> None:
    """One session, read from its vendor now, and any stop pending on it."""
    ref = parse_name(name)

    session = ask(profile, gateway, lambda client: client.session(ref.account, ref.session_id))
    if as_json:
        print_json(session)
        return
    rows = [
        ("session", session.name),
        ("vendor", session.vendor),
        ("state", f"{session.state} (vendor: {session.vendor_state})"),
        ("candidate", f"{session.candidate.masked_name} · {session.candidate.id}"),
        ("position", f"{session.position.title} · {session.position.id}"),
        ("batch", session.batch_no or "-"),
        ("scheduled", local_time(session.scheduled_at)),
        ("started", local_time(session.started_at)),
        ("resume by", local_time(session.resume_deadline)),
    ]
    if session.pending:
        pending = session.pending
        rows.append(
            (
                "pending",
                f"{pending.verb} by {pending.requested_by}, commits {local_time(pending.commit_at)}"
                f" — undo: interlock undo {pending.operation}",
            )
        )
    for label, value in rows:
        console.print(Text(f"{label:>10}  ") + Text(value), soft_wrap=True)


def describe(op: Operation) -> list[str]:
    """An operation in plain sentences: what happened and what the user can do next."""
    head = f"{op.verb} {op.session}: "
    states = f"({op.state_before or '?'} → {op.state_after or '?'})"
    lines: list[str]
    if op.status == "grace" or op.outcome == "grace":
        lines = [
            head + f"held — commits {local_time(op.commit_at)} {states}",
            f"  undo before then: interlock undo {op.id}",
        ]
    elif op.approval is not None and op.approval.state == "pending":
        lines = [
            head
            + f"awaiting approval {op.approval.id} (expires {local_time(op.approval.expires_at)})",
            f"  a manager decides: interlock approvals approve {op.approval.id}",
        ]
    elif op.outcome:
        lines = [head + f"{op.outcome} {states}"]
    else:
        lines = [head + f"{op.status} (queued; follow it: interlock operations get {op.id})"]
    if op.reason:
        note = op.reason.get("note")
        lines.append(f"  reason: {op.reason.get('code')}" + (f" — {note}" if note else ""))
    if op.error is not None:
        lines.append(f"  error: [{op.error.code}] {op.error.message or ''}".rstrip())
    lines += [f"  note: {n.text}" for n in op.notices]
    lines.append(f"  operation {op.id}")
    return lines


def print_operation(op: Operation, as_json: bool, *, quiet: bool = False) -> None:
    if as_json:
        print_json(op)
    elif quiet:
        typer.echo(op.id)
    else:
        for line in describe(op):
            console.print(Text(line), soft_wrap=True)
    if op.outcome in ("failed", "rejected"):
        raise typer.Exit(2)


def _verb_command(verb: Verb):  # type: ignore[no-untyped-def]  # typer reads the signature
    @handle_errors
    @gateway_errors
    def command(
        name: NameArgument,
        reason: ReasonOption,
        note: NoteOption = None,
        profile: ProfileOption = None,
        gateway: GatewayOption = None,
        as_json: JsonOption = False,
        quiet: QuietOption = False,
    ) -> None:
        ref = parse_name(name)
        if reason not in ReasonCode.__members__.values():
            fail(f"unknown reason code {reason!r}", hint="codes: " + ", ".join(ReasonCode))

        async def act(client: AsyncGatewayClient) -> Operation:
            perform = getattr(client, str(verb))
            result: Operation = await perform(ref.account, ref.session_id, reason, note)
            return result

        print_operation(ask(profile, gateway, act), as_json, quiet=quiet)

    command.__name__ = str(verb)
    command.__doc__ = f"{verb.capitalize()} one session through the gateway (reason required)."
    return command


@handle_errors
@gateway_errors
def undo(
    operation: Annotated[str, typer.Argument(help="the operation id a stop printed")],
    note: Annotated[str | None, typer.Option(help="why (kept in the audit trail)")] = None,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Undo a terminate or revoke inside its undo window."""

    undone = ask(profile, gateway, lambda client: client.undo(operation, note))
    print_operation(undone, as_json, quiet=quiet)
