"""The client examples in README.md and docs/client.md run against a served gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Served

ROOT = Path(__file__).resolve().parents[2]


def _snippet(path: Path, after: str) -> str:
    return path.read_text(encoding="utf-8").split(after)[1].split("```python\n")[1].split("```")[0]


@pytest.mark.parametrize(
    ("document", "heading"),
    [
        ("README.md", "## Internal tools: the gateway client"),
        ("docs/client.md", "## Example"),
    ],
)
def test_example_runs(
    document: str,
    heading: str,
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INTERLOCK_URL", served.url)
    monkeypatch.setenv("INTERLOCK_API_KEY", served.keys["admin"])
    code = _snippet(ROOT / document, heading)
    exec(compile(code, document, "exec"), {"__name__": "example"})  # noqa: S102
    printed = capsys.readouterr().out.splitlines()
    assert printed, "the example printed nothing"
    assert printed[-1].startswith(("SESSION.", "done")), printed[-1]
