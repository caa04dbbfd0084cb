"""``interlock adapters``: the capability matrix of the installed adapters, or of a config's
accounts (read from each adapter's declared capabilities: no vendor call)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from interlock import Interlock
from interlock.doubles import make_double, wire_adapter
from interlock.plugins import get_plugin_manager

from ._common import JsonOption, console, err_console, handle_errors, print_json, run

__all__ = ["adapters"]


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
            console.print(Text(f"{row['adapter']}: {row['notes']}"))
    for failure in failures:  # plug-in errors quote paths and code: never markup
        err_console.print(Text(f"plug-in {failure['plugin']!r} not loaded: {failure['error']}"))
        err_console.print(Text(f"  fix: {failure['fix']}"))


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
