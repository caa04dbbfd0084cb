"""``interlock batch ACTION``: preview, confirm, then watch a batch run on a gateway.

::

    interlock login --gateway https://interlock.example.com
    interlock batch pause --filter "account=dingtalk-hq state=in_progress batch_no=B7" \\
        --reason system_fault --note "vendor outage"
    interlock batch terminate --session accounts/beisen-cn/sessions/42 --reason operator_error
    interlock batch pause --filter 'position="Backend Engineer" from=2026-12-04' -r system_fault

The preview is shown first (counts, approvals, refusals, estimate); the batch is sent only
after confirmation (or ``--yes``), with the preview's ``confirm_token`` and a fresh
``Idempotency-Key``. Progress comes from the gateway's event stream (polling if a proxy
breaks it), one bar per account; the summary lists every item that did not succeed.
Exit status: 0 all done, 2 some items failed, 1 the batch was refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from interlock.client import AsyncGatewayClient, filters
from interlock.client.errors import GatewayError, GatewayUnavailable

from ._common import console, err_console, fail, handle_errors, print_json, run
from .remote.connection import GatewayOption, ProfileOption, connect, gateway_errors
from .when import parse_when

__all__ = ["batch", "parse_filter"]

_DONE = ("completed", "cancelled", "rejected")


def parse_filter(expression: str) -> dict[str, Any]:
    """``--filter``'s expression as the API's filter object (see docs/search.md); bounds
    without a zone are the user's local time, a date alone the user's local day."""
    try:
        spec = filters.parse_filter(expression)
    except ValueError as exc:
        fail(f"--filter: {exc}", hint="e.g. --filter 'state=in_progress position=\"QA Lead\"'")
    if "tz" not in spec:  # the gateway would read them in its own zone: send them aware
        for key, end_of_day in (("start_from", False), ("start_to", True)):
            if key in spec:
                spec[key] = parse_when(spec[key], option=f"--filter {key}", end_of_day=end_of_day)
    return spec


def _listed(error: GatewayError) -> None:
    """The sessions or accounts a refusal names (the first 20), before its one-line reason."""
    listed = error.body.get("sessions") or error.body.get("accounts") or []
    if listed:
        err_console.print(Text("\n".join(f"  {item}" for item in listed[:20])))


def _show_preview(impact: dict[str, Any]) -> None:
    table = Table(title=f"Preview: {impact['action']} {impact['total']} session(s)")
    table.add_column("account")
    table.add_column("vendor")
    table.add_column("items", justify="right")
    table.add_column("vendor calls", justify="right")
    table.add_column("est. seconds", justify="right")
    for account in impact["accounts"]:
        seconds = account["seconds"]
        table.add_row(
            account["account"],
            account["vendor"],
            str(account["items"]),
            str(account["vendor_calls"]),
            "-" if seconds is None else f"{seconds:.1f}",
        )
    console.print(table)
    states = ", ".join(f"{k}: {v}" for k, v in sorted(impact["by_state"].items()))
    console.print(f"by state: {states or '-'}   answering now: {impact['answering_now']}")
    console.print(
        f"already in state: {impact['already_in_state']}   "
        f"refused by state: {len(impact['invalid_transition'])}"
    )
    for label, key in (
        ("need approval", "needs_approval"),
        ("[red]not permitted (the batch will be refused)[/]", "not_permitted"),
        ("[red]accounts without this verb[/]", "unsupported_accounts"),
    ):
        if impact[key]:
            console.print(f"{label}: {len(impact[key])}: " + ", ".join(impact[key][:10]))
    console.print(f"estimated duration: {impact['estimate_seconds']:.1f} s")


async def _events(client: AsyncGatewayClient, batch_id: str) -> AsyncIterator[dict[str, Any]]:
    """Progress payloads from the event stream; polling when a proxy breaks the stream."""
    try:
        async for _event, data in client.batch_events(batch_id):
            if isinstance(data, dict) and "by_account" in data:
                yield data
        return
    except GatewayUnavailable:
        pass
    while True:
        batch = await client.batch(batch_id, page_size=1)
        yield {k: batch[k] for k in ("status", "item_count", "counts", "by_account")}
        if batch["status"] in _DONE:
            return
        await asyncio.sleep(0.5)


def _done(counts: dict[str, int]) -> int:
    return counts["succeeded"] + counts["failed"] + counts["skipped"]


async def _watch(client: AsyncGatewayClient, batch_id: str, *, quiet: bool) -> None:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console, disable=quiet) as progress:
        tasks: dict[str, Any] = {}
        async for event in _events(client, batch_id):
            for account, counts in event["by_account"].items():
                total = sum(counts.values()) - counts.get("in_grace", 0)
                if account not in tasks:
                    tasks[account] = progress.add_task(account, total=total)
                progress.update(tasks[account], completed=_done(counts), total=total)


def _summary(batch: dict[str, Any], items: list[dict[str, Any]]) -> None:
    counts = batch["counts"]
    console.print(
        f"batch {batch['id']}: {batch['status']} — succeeded {counts['succeeded']}, "
        f"failed {counts['failed']}, skipped {counts['skipped']}"
        + (f" (held until commit: {counts['in_grace']})" if counts["in_grace"] else ""),
        soft_wrap=True,
    )
    problems = [i for i in items if i["error"]]
    if problems:
        table = Table(title="Items that did not succeed")
        for column in ("session", "status", "error", "vendor request id"):
            table.add_column(column)
        for item in problems:
            error = item["error"]
            cells = (  # vendor messages may hold brackets: Text, never markup
                item["session"],
                item["status"],
                f"{error['code']}: {error.get('message') or ''}",
                item["vendor_request_id"] or "-",
            )
            table.add_row(*(Text(cell) for cell in cells))
        console.print(table)


@handle_errors
@gateway_errors
def batch(
    action: Annotated[str, typer.Argument(help="pause, resume, terminate or revoke")],
    reason: Annotated[str, typer.Option("--reason", "-r", help="reason code, e.g. system_fault")],
    session: Annotated[
        list[str] | None, typer.Option("--session", help="a session name (repeatable)")
    ] = None,
    filter_expression: Annotated[
        str | None,
        typer.Option("--filter", help="e.g. 'account=a state=in_progress position=\"QA Lead\"'"),
    ] = None,
    note: Annotated[str | None, typer.Option(help="free text (required for 'other')")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="do not ask for confirmation")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
) -> None:
    """Preview ACTION on sessions (names or a filter), confirm, run it, and summarise."""
    if bool(session) == bool(filter_expression):
        fail("give --session NAME (repeatable) or --filter EXPR, not both or neither")
    target: dict[str, Any] = (
        {"sessions": list(session or ())}
        if session
        else {"filter": parse_filter(filter_expression or "")}
    )
    impact = run(_preview(connect(profile, gateway), action, reason, note, target))
    if not as_json:
        _show_preview(impact)
    if not yes and (as_json or not typer.confirm("Run this batch?", default=False)):
        fail("not confirmed; nothing was done", hint="pass --yes to skip the question")
    client = connect(profile, gateway)  # a fresh one: the preview's is closed
    final, items = run(_carry_out(client, action, reason, note, target, impact, quiet=as_json))
    if as_json:
        print_json({**final, "items": items})
    else:
        _summary(final, items)
    if final["counts"]["failed"]:
        raise typer.Exit(2)


async def _preview(
    client: AsyncGatewayClient, action: str, reason: str, note: str | None, target: dict[str, Any]
) -> dict[str, Any]:
    try:
        async with client:
            return await client.preview(action, reason, note, **target)
    except GatewayError as error:
        _listed(error)
        raise


async def _carry_out(
    client: AsyncGatewayClient,
    action: str,
    reason: str,
    note: str | None,
    target: dict[str, Any],
    impact: dict[str, Any],
    *,
    quiet: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    async with client:
        try:
            created = await client.create_batch(
                action, reason, note, confirm_token=impact["confirm_token"], **target
            )
        except GatewayError as error:
            _listed(error)
            raise
        await _watch(client, created["id"], quiet=quiet)
        final = await client.batch(created["id"], page_size=1)
        final.pop("next_page_token", None)
        final.pop("items", None)
        items = [item async for item in client.batch_items(created["id"])]
    return final, items
