"""JSON logs through structlog: one pipeline for structlog and standard-library loggers.

Every line is one JSON object with ``timestamp``, ``level``, ``logger``, ``event``, the
record's ``extra`` fields (the SDK's ``vendor.call`` lines carry account, api, status, vendor
request id, elapsed time) and, inside a request, ``request_id``. The id lives in structlog's
context variables, bound by :class:`~.metrics.ObservabilityMiddleware`; a standard-library
record is rendered synchronously in the task that logged it, so the SDK's vendor-call lines
made during a request carry that request's id too.

Defence in depth: a processor masks mobile numbers, API-key secrets and bearer tokens in every
string before rendering. The code never logs them on purpose; this catches the day it does.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any, TextIO

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

from ..audit.entry import mask_free_text

__all__ = ["REQUEST_ID", "configure_logging", "current_request_id", "scrub_text"]

REQUEST_ID = "request_id"
"""The context-variable key (and JSON field) of the request id."""

# ``ilk_<8-char prefix>_<secret>``: the prefix names the key and may be logged; the secret never.
_API_KEY = re.compile(r"\b(ilk_[a-z0-9]{8})_[A-Za-z0-9_-]{20,}")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
# Libraries that log every SQL statement (and, at DEBUG, every row) once the root logger is at
# INFO: SQLAlchemy falls back to the root level when ``echo`` is off. Their lines would carry
# bound parameters, so they stay at WARNING unless someone asks for them explicitly.
_QUIET = ("sqlalchemy", "aiosqlite")
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")
_HANDLER_FLAG = "_interlock_handler"


def scrub_text(text: str) -> str:
    """Mask mobile numbers and cut the secret off API keys and bearer tokens."""
    text = _API_KEY.sub(r"\1_[REDACTED]", text)
    text = _BEARER.sub(r"\1[REDACTED]", text)
    return mask_free_text(text)


def _scrub(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = scrub_text(value)
    return event_dict


def _drop_color_message(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    # uvicorn adds an ANSI-coloured copy of its message as ``extra``; the JSON needs one.
    event_dict.pop("color_message", None)
    return event_dict


def current_request_id() -> str | None:
    """The request id bound to the current context, if any."""
    value = structlog.contextvars.get_contextvars().get(REQUEST_ID)
    return value if isinstance(value, str) else None


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _formatter(json: bool) -> structlog.stdlib.ProcessorFormatter:
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        # Records from standard-library loggers (the SDK, uvicorn, alembic): their ``extra``
        # fields become JSON keys.
        foreign_pre_chain=[
            *_shared_processors(),
            structlog.stdlib.ExtraAdder(),
            _drop_color_message,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _scrub,
            renderer,
        ],
    )


def configure_logging(
    level: int | str = "INFO", *, json: bool = True, stream: TextIO | None = None
) -> logging.Handler:
    """Send every log line (structlog and standard library) through one JSON formatter.

    Replaces the handler an earlier call installed (never other handlers), routes uvicorn's
    loggers through it, and returns the handler. Call it once at process start
    (``interlock serve``); importing the gateway configures nothing.

    :param level: the root level, e.g. ``"INFO"`` or ``logging.DEBUG``.
    :param json: JSON lines (default) or a human console format.
    :param stream: where lines go (default: stderr).
    """
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_formatter(json))
    setattr(handler, _HANDLER_FLAG, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_FLAG, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    for name in _UVICORN:  # uvicorn's own handlers would print a second, unstructured line
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    return handler


def bind_request_id(request_id: str) -> dict[str, Any]:
    """Bind ``request_id`` to the current context; returns the tokens to reset it with."""
    return dict(structlog.contextvars.bind_contextvars(**{REQUEST_ID: request_id}))


def reset_request_id(tokens: dict[str, Any]) -> None:
    """Undo :func:`bind_request_id`."""
    structlog.contextvars.reset_contextvars(**tokens)
