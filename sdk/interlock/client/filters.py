"""The filter expression language of the CLI's ``--filter`` and batch commands.

``parse_filter('state=in_progress,paused position="Backend Engineer" start_from=2026-12-04')``
gives the API's filter object (the body of ``POST /v1/previews``' ``filter``; the same keys are
the query parameters of ``GET /v1/sessions``)::

    {"states": ["in_progress", "paused"], "position": "Backend Engineer",
     "start_from": "2026-12-04"}

Words are split like a POSIX shell (:mod:`shlex`): quote a value that holds spaces, with
double or single quotes (``candidate='张 伟'``); a backslash escapes the next character. Each
word is ``KEY=VALUE``; ``state`` (or ``states``) takes a comma list. Values are checked here
as far as the client can (known states, a real time zone, ISO dates) and sent as typed: the
gateway reads dates in ``tz``. See docs/search.md.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from interlock.models import SessionState
from interlock.timespan import parse_bound, zone_named

__all__ = ["FILTER_KEYS", "parse_filter"]

_STATES_KEYS = ("state", "states")
_TEXT_KEYS = ("account", "vendor", "candidate", "position", "batch_no")
_BOUND_KEYS = ("start_from", "start_to")
FILTER_KEYS = (*_STATES_KEYS, *_TEXT_KEYS, *_BOUND_KEYS, "tz")
"""Every key an expression may use."""

_QUOTING = 'quote a value with spaces: position="Backend Engineer"'
# Messages quote what was typed only when it has the shape of a key or a state: a value may
# be a person's name, and an error may end up in a log.
_KEY_LIKE = re.compile(r"^[a-z][a-z_]{0,31}$")


def _shown(text: str) -> str:
    return repr(text) if _KEY_LIKE.fullmatch(text) else "(not shown: it may be a name)"


def parse_filter(expression: str) -> dict[str, Any]:
    """``expression`` as the API's filter object (an empty expression: ``{}``, everything).

    :raises ValueError: with a message naming the problem: an unbalanced quote, a word without
        ``=`` (by its number), an unknown key (listing the allowed ones), an empty or repeated
        value, an unknown state or time zone, a date that is not ISO 8601. Typed text is
        quoted only when it looks like a key, never when it could be a name.
    """
    try:
        words = shlex.split(expression)
    except ValueError:
        raise ValueError(
            "the filter has an unbalanced quote: close every \" or ' you open"
        ) from None
    spec: dict[str, Any] = {}
    for number, word in enumerate(words, 1):
        key, value = _key_value(word, number)
        target = "states" if key in _STATES_KEYS else key
        if target in spec:
            raise ValueError(f"{key!r} is given twice; give each key once")
        spec[target] = _states(value) if target == "states" else _checked(key, value)
    return spec


def _key_value(word: str, number: int) -> tuple[str, str]:
    key, sep, value = word.partition("=")
    if not sep:
        raise ValueError(
            f"word {number} {_shown(word)} is not KEY=VALUE (no spaces around '='; {_QUOTING})"
        )
    if key not in FILTER_KEYS:
        raise ValueError(f"unknown filter key {_shown(key)}; keys: {', '.join(FILTER_KEYS)}")
    if not value.strip():
        raise ValueError(f"{key}= needs a value ({_QUOTING})")
    return key, value


def _states(value: str) -> list[str]:
    names = [part.strip() for part in value.split(",") if part.strip()]
    known = {s.value for s in SessionState}
    for name in names:
        if name not in known:
            raise ValueError(f"unknown state {_shown(name)}; states: {', '.join(sorted(known))}")
    return names


def _checked(key: str, value: str) -> str:
    if key == "tz":
        zone_named(value)  # raises naming the zone
    elif key in _BOUND_KEYS:
        try:
            parse_bound(value)
        except ValueError as error:
            raise ValueError(f"{key}: {error}") from None
    return value
