"""``interlock operations``, ``approvals``, ``stats`` and ``audit list`` through the gateway."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from interlock.client.models import Operation

from .._common import JsonOption, console, handle_errors, print_json, take
from ..output import local_time, print_entries
from ..when import parse_when
from .connection import GatewayOption, ProfileOption, ask, gateway_errors
from .sessions import print_operation

__all__ = ["approvals_app", "audit_list", "operations_app", "stats"]

operations_app = typer.Typer(help="Your operations and where they stand.", no_args_is_help=True)
approvals_app = typer.Typer(help="Stops waiting for a manager's decision.", no_args_is_help=True)

IdArgument = Annotated[str, typer.Argument(help="the id the gateway gave", show_default=False)]
NoteOption = Annotated[str | None, typer.Option(help="why (kept in the audit trail)")]


@operations_app.command("list")
@handle_errors
@gateway_errors
def list_operations(
    limit: Annotated[int, typer.Option(min=1, max=200, help="at most this many")] = 50,
    hours: Annotated[
        int, typer.Option("--hours", min=1, max=720, help="requested in the last N hours")
    ] = 24,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
) -> None:
    """What you asked for recently, newest first; open stops show until when they can be
    undone."""

    ops = ask(profile, gateway, lambda c: c.my_operations(limit=limit, within_hours=hours))
    if as_json:
        print_json([o.model_dump(mode="json") for o in ops])
        return
    entries = []
    for op in ops:
        stands = op.outcome or op.status
        if op.status == "grace":
            stands = f"held, undo until {local_time(op.commit_at)}"
        entries.append(
            (f"{op.id}  {op.verb} {op.session}", f"{stands} · asked {local_time(op.created_at)}")
        )
    print_entries(f"{len(ops)} operation(s), newest first", entries)


@operations_app.command("get")
@handle_errors
@gateway_errors
def get_operation(
    operation: IdArgument,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
) -> None:
    """One operation: status, outcome, states, undo window, error and notices."""

    print_operation(ask(profile, gateway, lambda client: client.operation(operation)), as_json)


@approvals_app.command("list")
@handle_errors
@gateway_errors
def list_approvals(
    profile: ProfileOption = None, gateway: GatewayOption = None, as_json: JsonOption = False
) -> None:
    """Approvals you may see: pending first, with what they would do."""

    approvals = ask(profile, gateway, lambda client: take(client.approvals(), 10_000))
    if as_json:
        print_json([a.model_dump(mode="json") for a in approvals])
        return
    entries = []
    for a in approvals:
        what = f"{a.operation.verb} {a.operation.session}" if a.operation else f"batch {a.batch_id}"
        entries.append(
            (
                f"{a.id}  {what}",
                f"{a.state} · asked by {a.requester} · expires {local_time(a.expires_at)}",
            )
        )
    print_entries(f"{len(approvals)} approval(s)", entries)


def _decision(decision: str):  # type: ignore[no-untyped-def]  # typer reads the signature
    @handle_errors
    @gateway_errors
    def command(
        approval: IdArgument,
        note: NoteOption = None,
        profile: ProfileOption = None,
        gateway: GatewayOption = None,
        as_json: JsonOption = False,
    ) -> None:
        answer = ask(profile, gateway, lambda client: getattr(client, decision)(approval, note))
        if as_json:
            print_json(answer)
            return
        if isinstance(answer, dict) and "verb" in answer and "session" in answer:
            print_operation(Operation.model_validate(answer), as_json=False)
        else:
            console.print(Text(f"{decision}d {approval}"))

    command.__name__ = decision
    command.__doc__ = f"{decision.capitalize()} a pending approval (managers of its department)."
    return command


approvals_app.command("approve")(_decision("approve"))
approvals_app.command("reject")(_decision("reject"))


@handle_errors
@gateway_errors
def stats(
    since: Annotated[str | None, typer.Option("--from", help="at or after (a date: local)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="before (a date: to its end)")] = None,
    group_by: Annotated[
        str, typer.Option(help="reason, vendor, account, department, day, verb (comma list)")
    ] = "reason",
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why interviews were stopped: counts and shares per reason (or other groups)."""

    bounds = {
        "from": parse_when(since, option="--from"),
        "to": parse_when(until, option="--to", end_of_day=True),
    }
    answer = ask(profile, gateway, lambda client: client.stats(group_by=group_by, **bounds))
    if as_json:
        print_json(answer)
        return
    dimensions = list(answer["group_by"])
    table = Table(title=f"{answer['total']} stop(s)")
    for column in (*dimensions, "count", "share"):
        table.add_column(column, justify="right" if column in ("count", "share") else "left")
    for group in answer["groups"]:
        cells = [str(group.get(d) or "-") for d in dimensions]
        table.add_row(*(Text(c) for c in (*cells, str(group["count"]), f"{group['share']:.0%}")))
    console.print(table)


@handle_errors
@gateway_errors
def audit_list(
    account: Annotated[str | None, typer.Option(help="only this account")] = None,
    session: Annotated[str | None, typer.Option(help="only this session id")] = None,
    actor: Annotated[str | None, typer.Option(help="only this principal")] = None,
    action: Annotated[str | None, typer.Option(help="only this action")] = None,
    since: Annotated[str | None, typer.Option("--from", help="at or after (a date: local)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="before (a date: to its end)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="at most this many")] = 50,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
) -> None:
    """Audit records through the gateway (auditors and admins), newest first."""
    filters = {
        "account": account,
        "session": session,
        "actor": actor,
        "action": action,
        "from": parse_when(since, option="--from"),
        "to": parse_when(until, option="--to", end_of_day=True),
    }

    records = ask(
        profile,
        gateway,
        lambda client: take(client.audit(page_size=min(limit, 200), **filters), limit),
    )
    if as_json:
        print_json(records)
        return
    table = Table(title=f"{len(records)} record(s)")
    for column in ("seq", "at", "actor", "action", "target", "outcome"):
        table.add_column(column, overflow="fold", no_wrap=column == "seq")
    for view in records:
        record = view.get("record") or {}
        target = record.get("target") or {}
        cells = (
            str(view.get("seq")),
            local_time(datetime.fromisoformat(view["created_at"])),
            str((record.get("actor") or {}).get("principal") or "-"),
            str(record.get("action") or "-"),
            "/".join(str(target[k]) for k in ("account", "session_id") if target.get(k)) or "-",
            str(record.get("outcome") or "-"),
        )
        table.add_row(*(Text(c) for c in cells))
    console.print(table)
