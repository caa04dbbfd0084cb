"""``interlock audit``: verify the chain, export it, show the public key, sign a checkpoint.

``verify`` and ``export`` go through the gateway for auditors (a key, no database), and read the
database directly where the gateway runs (``-c``, ``INTERLOCK_CONFIG`` or ``./interlock.toml``):
see :func:`~interlock_gateway.cli.remote.audit.through_gateway`. ``list`` is the gateway's.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from interlock.plugins import get_plugin_manager

from ..audit import (
    AuditFilter,
    AuditTrail,
    VerifyResult,
    export_csv,
    export_jsonl,
    load_public_key,
    verify_chain,
)
from ..audit.signing import key_id_of
from ..audit.witnessing import build_witnesses, verify_witnessed
from ..settings import AuditSettings, GatewaySettings
from ._common import JsonOption, console, fail, handle_errors, print_json
from ._store import DatabaseUrlOption, GatewayConfigOption, open_database, run_db, settings_for
from .remote.audit import export_via_gateway, through_gateway, verify_via_gateway
from .remote.connection import GatewayOption, ProfileOption, gateway_errors
from .when import parse_when

__all__ = ["app"]

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


class ExportFormat(StrEnum):
    """Export file formats."""

    JSONL = "jsonl"
    CSV = "csv"


def _public_keys(settings: GatewaySettings, public_key: Path | None) -> dict[str, Ed25519PublicKey]:
    path = public_key or settings.signing_key_path
    if not path.exists():
        if public_key:
            fail(f"no such file: {public_key}")
        return {}  # checkpoints will be reported as signed by an unknown key
    key = load_public_key(path.read_bytes())
    return {key_id_of(key): key}


def _witness_tables(
    settings: GatewaySettings, witnessed: bool, files: list[Path]
) -> dict[str, dict[str, Any]]:
    """The witnesses to check: the config's (unless ``--no-witnesses``) and copies of
    witness files an auditor was handed (``--witness FILE``)."""
    tables = dict(AuditSettings.load(settings.config).witnesses) if witnessed else {}
    for path in files:
        if not path.is_file():
            fail(f"no such witness file: {path}")
        tables[f"file:{path.name}"] = {"kind": "file", "path": str(path)}
    return tables


async def _verify(
    settings: GatewaySettings, keys: dict[str, Ed25519PublicKey], tables: dict[str, Any]
) -> VerifyResult:
    # Built before the database opens: a witness misconfigured is reported as such.
    witnesses = build_witnesses(get_plugin_manager().manager, AuditSettings(witnesses=tables))
    async with open_database(settings.resolved_database_url) as db, db.snapshot() as session:
        if not witnesses:
            return await verify_chain(session, keys)
        return await verify_witnessed(session, keys, witnesses)


@app.command("verify")
@handle_errors
def verify(
    public_key: Annotated[
        Path | None,
        typer.Option(help="PEM public key (default: the gateway's own signing key file)"),
    ] = None,
    witnesses: Annotated[
        bool,
        typer.Option(
            "--witnesses/--no-witnesses",
            help="Also hold the chain against the witnesses the gateway config's [audit] names",
        ),
    ] = True,
    witness: Annotated[
        list[Path] | None,
        typer.Option(
            "--witness",
            help="A copy of a file witness's checkpoints to check against (repeat for more)",
        ),
    ] = None,
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check every record and checkpoint (and what the audit witnesses kept); exit 1 naming
    the first broken record."""
    if through_gateway(config=config, database_url=database_url, profile=profile, gateway=gateway):
        if public_key or witness:
            fail(
                "--public-key and --witness check a database here; the gateway uses its own",
                hint="run them where the gateway runs (-c interlock.toml)",
            )
        result = VerifyResult.model_validate(_gateway_verify(profile, gateway, witnesses))
    else:
        settings = settings_for(config, database_url)
        tables = _witness_tables(settings, witnesses, witness or [])
        result = run_db(_verify(settings, _public_keys(settings, public_key), tables))
    if as_json:
        print_json(result)
    elif result.ok:
        console.print(
            f"audit trail OK: {result.records_checked} records, "
            f"{result.checkpoints_checked} signed checkpoints, last hash {result.last_hash or '-'}",
            soft_wrap=True,
        )
        for check in result.witnesses:
            console.print(
                f"witness {check.witness}: {check.checkpoints_checked} checkpoints agree",
                soft_wrap=True,
                markup=False,
            )
    if not result.ok:
        if not as_json:
            fail(f"audit trail BROKEN at record {result.first_broken_seq}: {result.reason}")
        raise typer.Exit(1)


@gateway_errors
def _gateway_verify(profile: str | None, gateway: str | None, witnesses: bool) -> Any:
    return run_db(verify_via_gateway(profile, gateway, witnesses=witnesses))


async def _export(
    settings: GatewaySettings, fmt: ExportFormat, audit_filter: AuditFilter, out: TextIO
) -> int:
    lines = 0
    async with open_database(settings.resolved_database_url) as db, db.snapshot() as session:
        chunks: AsyncIterator[str] = (
            export_jsonl(session, audit_filter)
            if fmt is ExportFormat.JSONL
            else export_csv(session, audit_filter)
        )
        async for chunk in chunks:
            out.write(chunk)
            lines += 1
    return lines


@app.command("export")
@handle_errors
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="jsonl (verifiable) or csv")] = (
        ExportFormat.JSONL
    ),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="file (default: stdout)")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="only this principal")] = None,
    account: Annotated[str | None, typer.Option(help="only this account")] = None,
    session_id: Annotated[
        str | None, typer.Option("--session", help="only this session id")
    ] = None,
    action: Annotated[str | None, typer.Option(help="only this action")] = None,
    outcome: Annotated[str | None, typer.Option(help="only this outcome")] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="at or after (a date: your local day)")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="before (a date: to its end)")] = None,
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    profile: ProfileOption = None,
    gateway: GatewayOption = None,
) -> None:
    """Stream the trail (oldest first) as JSON lines or CSV, in constant memory."""
    start = parse_when(since, option="--from")
    end = parse_when(until, option="--to", end_of_day=True)
    if through_gateway(config=config, database_url=database_url, profile=profile, gateway=gateway):
        filters = {
            "actor": actor,
            "account": account,
            "session": session_id,
            "action": action,
            "outcome": outcome,
            "from": start,
            "to": end,
        }
        _gateway_export(profile, gateway, str(fmt), filters, output)
        return
    settings = settings_for(config, database_url)
    audit_filter = AuditFilter(
        actor=actor,
        account=account,
        session_id=session_id,
        action=action,
        outcome=outcome,
        since=datetime.fromisoformat(start) if start else None,
        until=datetime.fromisoformat(end) if end else None,
    )
    if output is None:
        run_db(_export(settings, fmt, audit_filter, sys.stdout))
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        lines = run_db(_export(settings, fmt, audit_filter, handle))
    console.print(f"wrote {lines} lines to {output}", highlight=False)


@gateway_errors
def _gateway_export(
    profile: str | None, gateway: str | None, fmt: str, filters: dict[str, Any], output: Path | None
) -> None:
    if output is None:
        run_db(export_via_gateway(profile, gateway, fmt, filters, sys.stdout.buffer))
        return
    with output.open("wb") as handle:
        written = run_db(export_via_gateway(profile, gateway, fmt, filters, handle))
    console.print(f"wrote {written} bytes to {output}", highlight=False)


@app.command("public-key")
@handle_errors
def public_key_command(config: GatewayConfigOption = None) -> None:
    """Print the PEM public key that verifies the checkpoints (creates the key pair if new)."""
    settings = GatewaySettings.load(config)
    sys.stdout.write(AuditTrail.from_key_file(settings.signing_key_path).export_public_key())


async def _checkpoint(settings: GatewaySettings) -> int | None:
    trail = AuditTrail.from_key_file(settings.signing_key_path)
    async with open_database(settings.resolved_database_url) as db, db.write() as session:
        checkpoint = await trail.checkpoint(session)
    return checkpoint.seq if checkpoint else None


@app.command("checkpoint")
@handle_errors
def checkpoint_command(
    database_url: DatabaseUrlOption = None,
    config: GatewayConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sign a checkpoint over the newest record now."""
    seq = run_db(_checkpoint(settings_for(config, database_url)))
    if as_json:
        print_json({"checkpoint_seq": seq})
    else:
        console.print(f"signed checkpoint at record {seq}" if seq else "nothing new to sign")
