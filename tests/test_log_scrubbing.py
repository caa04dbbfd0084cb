"""The session-wide log scrubber of ``tests/conftest.py``: planted leaks fail a run, masked
forms do not. Each case runs pytest in a subprocess with a copy of the real conftest."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")
SECRET = "sandbox-secret-4f1c2a"  # the sandbox double's client secret


@pytest.fixture
def run(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    return pytester


def test_planted_leaks_fail_the_run_and_are_named(run: pytest.Pytester) -> None:
    run.makepyfile(
        test_leaky="""
        import logging

        import structlog
        from interlock.doubles import DoubleSettings
        from interlock_sandbox.double import SandboxDouble

        log = logging.getLogger("app")

        def test_phone():
            log.info("call the candidate on %s", "13912345678")

        def test_api_key():
            log.debug("key", extra={"key": "ilk_abcd1234_" + "k" * 43})

        def test_name():
            structlog.get_logger("app").warning("candidate", who="欧阳娜娜")

        def test_double_secret():
            double = SandboxDouble(DoubleSettings(sessions=1))
            log.warning("auth with %s failed", double.secrets[0])
        """
    )
    result = run.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*log scrubbing: secrets or personal data in the logs*",
            "an unmasked mobile number — logged during test_leaky.py::test_phone:",
            "an API key — logged during test_leaky.py::test_api_key:",
            "a candidate's full name — logged during test_leaky.py::test_name:",
            "a vendor double's secret (sand…) — logged during test_leaky.py::test_double_secret:",
            "4 leaking log line(s); the run fails.",
        ]
    )
    assert SECRET not in result.stdout.str()  # the report shortens what it found
    assert "k" * 43 not in result.stdout.str()


def test_masked_forms_and_key_prefixes_pass(run: pytest.Pytester) -> None:
    run.makepyfile(
        test_clean="""
        import logging

        log = logging.getLogger("app")

        def test_masked():
            log.info("candidate 张* (138****5678), L* W**, key ilk_abcd1234")
            log.info("key ilk_abcd1234_[REDACTED]; request id a13912345678b; ts 1391234567890")
        """
    )
    result = run.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert "log scrubbing" not in result.stdout.str()
