"""Running the ``interlock`` CLI in-process for tests."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from interlock_gateway.cli import app


def invoke(*args: str) -> Result:
    """Run ``interlock ARGS`` and return the result (stdout and stderr kept apart)."""
    return CliRunner().invoke(app, list(args))


def assert_clean_failure(result: Result) -> None:
    """Non-zero exit, one clear error on stderr, and no traceback anywhere."""
    assert result.exit_code != 0
    assert "error" in result.stderr.lower()  # ours: "error: ...", usage errors: "Error"
    assert "Traceback" not in result.output + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
