"""The mutation score of an adapter against its contract suite (``make mutation``).

For one installed adapter, mutmut mutates the adapter's own modules (not its vendor double, its
options model, its plug-in registration or its ``extras/``: the double is the suite's fixture,
the options and registration are configuration, the extras lie beyond the contract; the
adapter's own tests cover those) and runs the contract suite against each mutant. A
mutant the suite does not kill is a bug the suite would let through — unless it is equivalent
(it cannot change behaviour). ``--equivalents`` names classes of equivalent mutants, each a
regular expression over the mutant's diff and the reason it cannot change behaviour::

    [[equivalent]]
    diff = '^\\+.*"(get|post|put)"'
    reason = "the toolkit upper-cases the HTTP method"

The work happens in a scratch folder: the adapter's package is copied to ``src/`` there, and
mutmut puts its mutated copy first on ``sys.path``, ahead of the installed one.

Usage: ``python -m interlock_contract.mutation NAME [--equivalents FILE] [--json OUT]
[--only MODULE] [--max-children N]``. ``--only _interpret`` mutates one module of the adapter
(a quick measure while working on one class of survivors); the score then covers that module.
"""

from __future__ import annotations

import argparse
import fnmatch
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["MutationScore", "main", "score_adapter"]

NOT_MUTATED = ("double/*", "extras/*", "plugin.py", "options.py", "__init__.py")
"""Parts of an adapter package left alone (see the module docstring), and ``extras/``: what an
adapter offers beyond the interview-adapter contract (DingTalk's work notifications), which
the suite does not judge and other parts' tests cover. The suite's checks of the double itself
(``test_the_double_*``) are not run either: they cannot see the adapter."""

_SUITE = '''"""The contract suite against {name} (written by interlock_contract.mutation)."""

from interlock_contract import AdapterContractSuite


class TestMutatedContract(AdapterContractSuite):
    adapter_name = "{name}"
'''


@dataclass
class MutationScore:
    """What the suite made of one adapter's mutants."""

    adapter: str
    killed: int = 0
    survived: int = 0
    equivalent: int = 0
    timeout: int = 0
    suspicious: int = 0
    no_tests: int = 0
    seconds: float = 0.0
    survivors: list[str] = field(default_factory=list)
    wording: int = 0
    """Survivors that only reword one of the adapter's own sentences (``XX`` around it, another
    case): counted as survivors, and shown apart because no contract judges an adapter's words."""
    untested: list[str] = field(default_factory=list)
    """The mutants in code no check runs (``no tests``), by name."""
    timed_out: list[str] = field(default_factory=list)
    """Mutants killed by their timeout: a loop, or a machine too busy (worth a second look)."""
    equivalent_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """Killed (timeouts count as killed) out of all non-equivalent mutants, in percent."""
        caught = self.killed + self.timeout
        judged = caught + self.survived + self.suspicious + self.no_tests
        return 100.0 * caught / judged if judged else 0.0

    @property
    def score_without_wording(self) -> float:
        """:attr:`score` with the wording survivors left out of the count (shown beside it)."""
        caught = self.killed + self.timeout
        judged = caught + self.survived - self.wording + self.suspicious + self.no_tests
        return 100.0 * caught / judged if judged else 0.0


def _package_of(name: str) -> Path:
    from interlock.plugins import get_plugin_manager

    spec = get_plugin_manager().adapter(name)
    package = spec.factory.__module__.split(".")[0]
    found = importlib.util.find_spec(package)
    if found is None or found.origin is None:
        raise LookupError(f"cannot find the source of {package!r}")
    return Path(found.origin).parent


def _workspace(name: str, root: Path, processes: int) -> Path:
    package = _package_of(name)
    target = root / "src" / package.name
    shutil.copytree(package, target, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "tests").mkdir()
    (root / "tests" / "test_contract.py").write_text(_SUITE.format(name=name), encoding="utf-8")
    (root / "tests" / "conftest.py").write_text(_FAST_FIRST, encoding="utf-8")
    skipped = ", ".join(f'"src/{package.name}/{part}"' for part in NOT_MUTATED)
    (root / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"do_not_mutate = [{skipped}]\n"
        'pytest_add_cli_args_test_selection = ["tests/test_contract.py"]\n'
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:asyncio", "--tb=no",'
        ' "-k", "not test_the_double"]\n'
        # A mutant that loops (a page token that never ends, a token refreshed forever) is
        # killed by its timeout: a few times the time its tests take when nothing is mutated.
        "timeout_multiplier = 3.0\n"
        "timeout_constant = 2.0\n"
        "use_git_change_detection = false\n"
        "\n[tool.pytest.ini_options]\n"
        'python_classes = ["Test*"]\n',
        encoding="utf-8",
    )
    return root


_FAST_FIRST = '''"""Run the quickest checks first (written by interlock_contract.mutation).

mutmut stops a mutant's run at the first failing check (-x), so a mutant that a quick check
kills should not wait for the slow ones; the durations are mutmut's own, from its clean run.
"""

import json
from pathlib import Path


def pytest_collection_modifyitems(items):
    stats = Path("mutmut-stats.json")
    if not stats.exists():
        return
    took = json.loads(stats.read_text()).get("duration_by_test", {})
    items.sort(key=lambda item: took.get(item.nodeid, 0.0))
'''

_DIFFS = """
import json, sys
from mutmut.mutation.diff_apply import get_diff_for_mutant
for name in sys.argv[1:]:
    print(json.dumps([name, get_diff_for_mutant(name)]))
"""


def _diffs(root: Path, names: list[str]) -> dict[str, str]:
    """Each mutant's diff against the original (read in the scratch folder)."""
    if not names:
        return {}
    done = subprocess.run(  # noqa: S603 - our interpreter, our program
        [sys.executable, "-c", _DIFFS, *names], cwd=root, capture_output=True, text=True, check=True
    )
    return dict(json.loads(line) for line in done.stdout.splitlines() if line.startswith("["))


def _reason(diff: str, rules: list[dict[str, str]]) -> str | None:
    """The reason of the first rule whose pattern matches a changed line of ``diff``."""
    changed = "\n".join(line for line in diff.splitlines() if line[:1] in "+-")
    for rule in rules:
        if re.search(rule["diff"], changed, re.MULTILINE):
            return rule["reason"]
    return None


_MODULE = re.compile(r"^_?[a-z][a-z0-9_]*$")
_LITERAL = re.compile(r"""[rbfu]*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def is_wording(diff: str) -> bool:
    """Whether ``diff`` only rewords sentences: each changed line differs from its original in
    string literals alone, each such literal holds a space (a sentence, not a key, code or
    path) and became ``XX…XX`` or another case of itself."""
    removed = [line[1:] for line in diff.splitlines() if line[:1] == "-" and line[:3] != "---"]
    added = [line[1:] for line in diff.splitlines() if line[:1] == "+" and line[:3] != "+++"]
    if not removed or len(removed) != len(added):
        return False
    changed = False
    for old, new in zip(removed, added, strict=True):
        if _LITERAL.sub("S", old) != _LITERAL.sub("S", new):
            return False
        olds, news = _LITERAL.findall(old), _LITERAL.findall(new)
        for was, now in zip(olds, news, strict=True):
            if was == now:
                continue
            text, got = was[1:-1], now[1:-1]
            if " " not in text.strip() or got not in (f"XX{text}XX", text.lower(), text.upper()):
                return False
            changed = True
    return changed


def _statuses(root: Path, pattern: str | None) -> dict[str, str]:
    """Every mutant's status (``mutmut results --all``), optionally those matching ``pattern``."""
    listed = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    pairs = (line.strip().rsplit(": ", 1) for line in listed.splitlines() if ": " in line)
    return {n: s for n, s in pairs if pattern is None or fnmatch.fnmatchcase(n, pattern)}


def score_adapter(
    name: str,
    *,
    equivalents: list[dict[str, str]] | None = None,
    processes: int | None = None,
    only: str | None = None,
) -> MutationScore:
    """Run mutmut over ``name``'s modules with its contract suite; the score and survivors.

    :param only: one module of the adapter (``_interpret``): only its mutants are run and scored.
    """
    if only is not None and not _MODULE.match(only):
        raise ValueError(f"--only takes a module name of the adapter such as _interpret: {only!r}")
    processes = processes or os.cpu_count() or 2
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"interlock-mutation-{name}-") as scratch:
        root = _workspace(name, Path(scratch), processes)
        pattern = f"{_package_of(name).name}.{only}.*" if only else None
        subprocess.run(  # noqa: S603 - our interpreter, our arguments
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(processes)]
            + ([pattern] if pattern else []),
            cwd=root,
            check=False,
            stdout=subprocess.DEVNULL,
        )
        statuses = _statuses(root, pattern)
        if not statuses:
            raise LookupError(f"no mutant of {name} matched {pattern or 'anything'}")
        survivors = sorted(n for n, status in statuses.items() if status == "survived")
        diffs = _diffs(root, survivors)
    stats = {s: sum(1 for v in statuses.values() if v == s) for s in set(statuses.values())}
    reasons = {n: _reason(diffs.get(n, ""), equivalents or []) for n in survivors}
    by_reason: dict[str, int] = {}
    for reason in reasons.values():
        if reason is not None:
            by_reason[reason] = by_reason.get(reason, 0) + 1
    left = [n for n in survivors if reasons[n] is None]
    return MutationScore(
        wording=sum(1 for n in left if is_wording(diffs.get(n, ""))),
        untested=sorted(n for n, status in statuses.items() if status == "no tests"),
        adapter=name,
        killed=stats.get("killed", 0),
        survived=len(left),
        equivalent=len(survivors) - len(left),
        timeout=stats.get("timeout", 0),
        suspicious=stats.get("suspicious", 0) + stats.get("segfault", 0),
        no_tests=stats.get("no tests", 0),
        seconds=round(time.monotonic() - started, 1),
        survivors=[f"{n}\n{diffs.get(n, '')}" for n in left],
        timed_out=sorted(n for n, status in statuses.items() if status == "timeout"),
        equivalent_by_reason=by_reason,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("adapters", nargs="+", help="installed adapters (entry-point names)")
    parser.add_argument("--equivalents", type=Path, help="TOML: [adapter] mutant = 'why'")
    parser.add_argument("--json", type=Path, help="write the scores here")
    parser.add_argument("--minimum", type=float, default=90.0, help="the score each must reach")
    parser.add_argument("--only", help="mutate and score one module of the adapter (_interpret)")
    parser.add_argument(
        "--max-children", type=int, help="mutants run in parallel (default: the CPU count)"
    )
    args = parser.parse_args(argv)
    listed = tomllib.loads(args.equivalents.read_text()) if args.equivalents else {}
    scores = []
    for name in args.adapters:
        rules = [r for r in listed.get("equivalent", []) if name in r.get("adapters", [name])]
        score = score_adapter(name, equivalents=rules, processes=args.max_children, only=args.only)
        scores.append(score)
        print(
            f"{name}: {score.score:.1f}% killed — killed {score.killed}, survived "
            f"{score.survived} (of them wording {score.wording}), equivalent "
            f"{score.equivalent}, timeout {score.timeout}, suspicious {score.suspicious}, no "
            f"tests {score.no_tests} ({score.seconds:.0f} s); without the wording survivors "
            f"{score.score_without_wording:.1f}%",
            flush=True,
        )
        for reason, count in sorted(score.equivalent_by_reason.items()):
            print(f"    equivalent ×{count}: {reason}")
        for survivor in score.survivors:
            print(f"    survived: {survivor}")
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in scores], indent=2) + "\n")
    return 0 if all(s.score >= args.minimum for s in scores) else 1


if __name__ == "__main__":
    raise SystemExit(main())
