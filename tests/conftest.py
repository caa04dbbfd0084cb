"""Log scrubbing for the whole test session: no secret or personal data in any log line.

Every log record of the run is captured (the root logger at DEBUG; structlog, when nothing
else configured it, is routed into the standard library so its lines are captured too).
When the session finishes, the run fails — with the offending lines printed, secrets cut
short — if any line holds:

* an API key's secret part (``ilk_<prefix>_<secret>``; the prefix alone is fine),
* a credential or access token known to any :class:`~interlock.doubles.VendorDouble` created
  during the run (``double.secrets``, read after each test, so tokens issued late count),
* an unmasked mainland mobile number (``1[3-9]`` and nine digits, not inside a longer run of
  digits or letters — hex request ids would otherwise match),
* a seeded candidate's full name (the doubles' world; the masked ``张*`` / ``L* W**`` pass).

SQLAlchemy and aiosqlite stay at WARNING, as in production (see
``interlock_gateway.observability.logs``): at DEBUG they print every statement and row.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Generator, Iterable
from typing import Any

import pytest
import structlog

from interlock.doubles import VendorDouble
from interlock.doubles._world import CHINESE_NAMES, LATIN_NAMES

pytest_plugins = ("pytester",)

API_KEY = re.compile(r"ilk_[a-z0-9]{8}_[A-Za-z0-9_-]{20,}")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
FULL_NAME = re.compile("|".join(re.escape(n) for n in (*CHINESE_NAMES, *LATIN_NAMES)))
_TOKENISH = re.compile(r"[A-Za-z0-9_\-+/=.~:]{8,}")
_MIN_SECRET = 8  # shorter strings would match by accident
_QUIET = ("sqlalchemy", "aiosqlite")
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class _Capture(logging.Handler):
    """Keeps every distinct rendered line, with the test that first logged it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: dict[str, str] = {}
        self.test = "(collection)"

    def emit(self, record: logging.LogRecord) -> None:
        try:
            extras = {k: v for k, v in record.__dict__.items() if k not in _STANDARD}
            text = f"{record.name} {record.levelname} {record.getMessage()} {extras!r}"
            if record.exc_info:
                text += " " + logging.Formatter().formatException(record.exc_info)
        except Exception as exc:  # a record that cannot render is still evidence
            text = f"{record.name} <unrenderable: {type(exc).__name__}> {record.msg!r}"
        self.lines.setdefault(text, self.test)


class _Doubles:
    """Every vendor double of the run, and the secrets they ever held."""

    def __init__(self) -> None:
        self.live: weakref.WeakSet[VendorDouble] = weakref.WeakSet()
        self.recent: list[VendorDouble] = []  # kept alive until the test that made them ends
        self.secrets: set[str] = set()

    def track(self, double: VendorDouble) -> None:
        self.live.add(double)
        self.recent.append(double)

    def harvest(self) -> None:
        for double in [*self.live, *self.recent]:
            try:
                self.secrets.update(s for s in double.secrets if len(s) >= _MIN_SECRET)
            except Exception:  # noqa: S112 - a half-built double has no secrets to leak
                continue
        self.recent.clear()


def _secret_in(line: str, index: dict[str, list[str]]) -> str | None:
    for token in _TOKENISH.findall(line):
        for start in range(len(token) - _MIN_SECRET + 1):
            for secret in index.get(token[start : start + _MIN_SECRET], ()):
                if token.startswith(secret, start):
                    return secret
    return None


def find_leaks(lines: Iterable[str], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """``(what, line)`` for every line that leaks (the check, usable on its own)."""
    index: dict[str, list[str]] = {}
    for secret in secrets:
        index.setdefault(secret[:_MIN_SECRET], []).append(secret)
    leaks = []
    for line in lines:
        if API_KEY.search(line):
            leaks.append(("an API key", line))
        elif MOBILE.search(line):
            leaks.append(("an unmasked mobile number", line))
        elif FULL_NAME.search(line):
            leaks.append(("a candidate's full name", line))
        elif (secret := _secret_in(line, index)) is not None:
            leaks.append((f"a vendor double's secret ({secret[:4]}…)", line))
    return leaks


def _shown(line: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        line = line.replace(secret, secret[:4] + "…")
    line = API_KEY.sub(lambda m: m.group(0)[:13] + "…", line)
    return line if len(line) <= 400 else line[:400] + " …"


class LogScrubber:
    """The plug-in: captures, tracks doubles, and judges the run at the end."""

    def __init__(self) -> None:
        self.capture = _Capture()
        self.doubles = _Doubles()
        self.leaks: list[tuple[str, str, str]] = []
        self._saved: dict[str, Any] = {}

    def start(self) -> None:
        root = logging.getLogger()
        self._saved = {"level": root.level, "init": VendorDouble.__init__}
        root.addHandler(self.capture)
        root.setLevel(logging.DEBUG)
        for name in _QUIET:
            logging.getLogger(name).setLevel(logging.WARNING)
        if not structlog.is_configured():
            structlog.configure(
                processors=[
                    structlog.contextvars.merge_contextvars,
                    structlog.processors.KeyValueRenderer(key_order=["event"]),
                ],
                logger_factory=structlog.stdlib.LoggerFactory(),
            )
        original, doubles = VendorDouble.__init__, self.doubles

        def tracked_init(double: VendorDouble, *args: Any, **kwargs: Any) -> None:
            original(double, *args, **kwargs)
            doubles.track(double)

        VendorDouble.__init__ = tracked_init  # type: ignore[method-assign]

    def keep_listening(self) -> None:
        """A test may reconfigure logging (``interlock serve`` does); listen again."""
        root = logging.getLogger()
        if self.capture not in root.handlers:
            root.addHandler(self.capture)
        root.setLevel(logging.DEBUG)

    def finish(self) -> None:
        self.doubles.harvest()
        lines = self.capture.lines
        self.leaks = [
            (what, lines[line], line) for what, line in find_leaks(lines, self.doubles.secrets)
        ]
        logging.getLogger().removeHandler(self.capture)
        logging.getLogger().setLevel(self._saved["level"])
        VendorDouble.__init__ = self._saved["init"]  # type: ignore[method-assign]


_KEY = pytest.StashKey[LogScrubber]()


def pytest_configure(config: pytest.Config) -> None:
    scrubber = LogScrubber()
    config.stash[_KEY] = scrubber
    scrubber.start()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Attribute the lines that follow to this test."""
    item.config.stash[_KEY].capture.test = item.nodeid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    scrubber = item.config.stash[_KEY]
    scrubber.doubles.harvest()  # before fixtures are torn down: their doubles still live
    try:
        return (yield)
    finally:
        scrubber.keep_listening()


def pytest_sessionfinish(session: pytest.Session) -> None:
    scrubber = session.config.stash[_KEY]
    scrubber.finish()
    if scrubber.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    scrubber = config.stash[_KEY]
    if not scrubber.leaks:
        return
    write = terminalreporter.write_line
    terminalreporter.section("log scrubbing: secrets or personal data in the logs", red=True)
    for what, test, line in scrubber.leaks[:50]:
        write(f"{what} — logged during {test}:")
        write(f"    {_shown(line, scrubber.doubles.secrets)}")
    write(f"{len(scrubber.leaks)} leaking log line(s); the run fails.")
