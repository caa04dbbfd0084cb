"""``interlock contract NAME|--all``: the adapter contract suite against installed adapters.

Each adapter is checked against the double its ``AdapterSpec`` registers, by running the
contract kit's suite in a pytest subprocess (:func:`interlock_contract.runner.run_contract`).
The result is a table per adapter — concern, passed, failed, skipped with the reason — the
failing checks with what to fix, and a non-zero exit status on any failure. A broken plug-in or
an adapter without a double is a failure too, reported by name with the fix.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interlock.plugins import LoadedPlugins, PluginLoadFailure, get_plugin_manager
from interlock_contract.runner import CheckResult, ContractRun, run_contract
from interlock_gateway.cli._common import console, err_console, fail, handle_errors, print_json

__all__ = ["contract"]

_MAX_PARALLEL = 4


@handle_errors
def contract(
    name: Annotated[
        str | None, typer.Argument(help="entry-point name of an installed adapter")
    ] = None,
    all_adapters: Annotated[
        bool, typer.Option("--all", help="check every installed adapter")
    ] = False,
    show_output: Annotated[
        bool, typer.Option("--show-output", help="print pytest's own output, with tracebacks")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output only")] = False,
) -> None:
    """Run the adapter contract suite against installed adapters and their vendor doubles."""
    if (name is None) == (not all_adapters):
        fail("name one adapter or pass --all", hint="e.g. `interlock contract sandbox`")
    plugins = get_plugin_manager()
    if all_adapters:
        names = sorted(plugins.adapters)
        broken = list(plugins.failures)
    else:
        assert name is not None
        broken = [f for f in plugins.failures if f.name == name]
        if not broken:
            plugins.adapter(name)  # AdapterNotFound: lists the installed names, suggests one
        names = [name] if name in plugins.adapters else []
    runs: list[ContractRun] = [_no_double(n) for n in names if _lacks_double(plugins, n)]
    runnable = [n for n in names if not _lacks_double(plugins, n)]
    extra = ("--tb=short",) if show_output else ()
    with ThreadPoolExecutor(max_workers=_MAX_PARALLEL) as pool:
        runs += list(pool.map(lambda n: run_contract(n, extra_args=extra), runnable))
    runs.sort(key=lambda r: r.adapter)
    if as_json:
        print_json(_as_json(runs, broken))
    else:
        for run in runs:
            _print_run(run, show_output=show_output)
        _print_broken(broken)
        if len(runs) + len(broken) > 1:
            _print_overview(runs, broken)
    if broken or not runs or not all(r.ok for r in runs):
        raise typer.Exit(1)


def _lacks_double(plugins: LoadedPlugins, name: str) -> bool:
    return plugins.adapters[name].double_factory is None


def _no_double(name: str) -> ContractRun:
    return ContractRun(
        name,
        returncode=1,
        problem="the adapter registers no vendor double: pass double_factory=YourDouble in its "
        "AdapterSpec (the contract suite and `interlock vendors serve` need it)",
    )


def _print_run(run: ContractRun, *, show_output: bool) -> None:
    verdict = "[green]PASSED[/]" if run.ok else "[bold red]FAILED[/]"
    counts = (
        f"{run.count('passed')} passed, {run.count('failed')} failed, "
        f"{run.count('skipped')} skipped"
    )
    if run.problem is not None:
        console.print(
            f"[bold]{escape(run.adapter)}[/]: {verdict} — {escape(run.problem)}", highlight=False
        )
        if show_output:
            console.print(run.output, markup=False, highlight=False)
        return
    table = Table(title=f"interlock contract {escape(run.adapter)}: {verdict} ({counts})")
    for column, justify in (("suite", "left"), ("passed", "right"), ("failed", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    table.add_column("skipped (reason)")
    for summary in run.by_concern():
        reasons = "; ".join(
            f"{reason}" + (f" ×{n}" if n > 1 else "") for reason, n in summary.skip_reasons.items()
        )
        skipped = f"{summary.skipped}: {reasons}" if summary.skipped else "0"
        failed = f"[red]{summary.failed}[/]" if summary.failed else "0"
        table.add_row(escape(summary.concern), str(summary.passed), failed, escape(skipped))
    console.print(table)
    _print_failures(run)
    step = run.next_step()
    if step is not None:
        console.print(f"[bold]next:[/] {escape(step)}", highlight=False)
    if show_output:
        console.print(run.output, markup=False, highlight=False)


def _print_failures(run: ContractRun, *, examples: int = 3) -> None:
    """Failing checks grouped by what failed, so one cause is read once."""
    groups: dict[str, list[CheckResult]] = {}
    for failure in run.failures:
        groups.setdefault(failure.headline or "(no message)", []).append(failure)
    for headline, failures in sorted(groups.items(), key=lambda g: -len(g[1])):
        console.print(f"[red]✗[/] {escape(headline)}", highlight=False)
        for failure in failures[:examples]:
            console.print(f"    [dim]{escape(failure.concern)}:[/] {escape(failure.check)}")
        if len(failures) > examples:
            console.print(f"    [dim]… and {len(failures) - examples} more checks[/]")


def _print_broken(broken: list[PluginLoadFailure]) -> None:
    for failure in broken:
        err_console.print(
            f"[bold red]plug-in {failure.name!r} is broken:[/] {failure.error}", highlight=False
        )
        err_console.print(f"  fix: {failure.fix}", highlight=False)


def _print_overview(runs: list[ContractRun], broken: list[PluginLoadFailure]) -> None:
    table = Table(title="interlock contract: all adapters")
    for column in ("adapter", "passed", "failed", "skipped", "verdict"):
        table.add_column(column)
    for run in runs:
        verdict = "[green]passed[/]" if run.ok else f"[red]failed[/] {run.problem or ''}"
        table.add_row(
            run.adapter,
            str(run.count("passed")),
            str(run.count("failed")),
            str(run.count("skipped")),
            verdict,
        )
    for failure in broken:
        table.add_row(failure.name, "-", "-", "-", "[red]broken plug-in[/]")
    console.print(table)


def _as_json(runs: list[ContractRun], broken: list[PluginLoadFailure]) -> dict[str, object]:
    adapters = []
    for run in runs:
        adapters.append(
            {
                "adapter": run.adapter,
                "ok": run.ok,
                "problem": run.problem,
                "passed": run.count("passed"),
                "failed": run.count("failed"),
                "skipped": run.count("skipped"),
                "suites": [
                    {
                        "suite": s.concern,
                        "passed": s.passed,
                        "failed": s.failed,
                        "skipped": s.skipped,
                        "skip_reasons": dict(s.skip_reasons),
                    }
                    for s in run.by_concern()
                ],
                "failures": [
                    {"check": f.check, "suite": f.concern, "message": f.headline}
                    for f in run.failures
                ],
            }
        )
    return {
        "adapters": adapters,
        "plugin_failures": [{"plugin": f.name, "error": f.error, "fix": f.fix} for f in broken],
    }
