"""Every endpoint a double's reference (its ``VENDOR_API.md``) lists is served by the double.

The references name endpoints as `` `METHOD /path` ``; placeholders (``{sessionId}``, ``{a|b}``)
and the reference's shorthand (``{gatewayUrl}``, ``…/``) are expanded, then each endpoint is
looked up in the double's own routing table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from interlock.doubles import DoubleSettings
from interlock_beisen.double import BeisenDouble
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.double._routes import match
from interlock_yonyou.double._app import AUTH_PREFIX, DATA_CENTRE_PATH, GATEWAY_PREFIX, TOKEN_PATHS
from interlock_yonyou.double._interviews import API_PREFIX, ROUTES

ADAPTERS = Path(__file__).resolve().parents[2] / "adapters"
_ENDPOINT = re.compile(r"`(GET|POST|PUT|DELETE) ([^`\s?]+)")
_CHOICE = re.compile(r"\{([^{}]*\|[^{}]*)\}")
_PLACEHOLDER = re.compile(r"\{(sessionId|interviewId|jobId|flowId)\}")
SHORTHAND = {
    "yonyou": {
        "{gatewayUrl}": GATEWAY_PREFIX,
        "{tokenUrl}": AUTH_PREFIX,
        "…": GATEWAY_PREFIX + API_PREFIX,
    },
}


def endpoints(vendor: str) -> set[tuple[str, str]]:
    """``(METHOD, path)`` of every endpoint the reference names, with choices expanded."""
    text = (ADAPTERS / f"interlock_{vendor}" / "VENDOR_API.md").read_text(encoding="utf-8")
    found: set[tuple[str, str]] = set()
    for method, path in _ENDPOINT.findall(text.replace("\\|", "|")):
        for short, full in SHORTHAND.get(vendor, {}).items():
            path = path.replace(short, full)
        if not path.startswith("/") or path.startswith("/v1/callbacks"):
            continue  # shorthand of a path listed in full elsewhere, or the gateway's own route
        choices = _CHOICE.search(path)
        options = choices.group(1).split("|") if choices else [""]
        found |= {(method, _CHOICE.sub(option, path)) for option in options}
    return found


def _dingtalk() -> Callable[[str, str], bool]:
    double = DingTalkDouble(DoubleSettings(sessions=2))
    session = next(iter(double.world.sessions))
    values = {"sessionId": session, "interviewId": session, "jobId": double.world.positions[0].id}
    values["flowId"] = double.tenant.flow_id_of(session)

    def served(method: str, path: str) -> bool:
        concrete = _PLACEHOLDER.sub(lambda m: values[m.group(1)], path)
        return match(httpx.Request(method, double.base_url + concrete)) is not None

    return served


def _beisen() -> Callable[[str, str], bool]:
    double = BeisenDouble(DoubleSettings(sessions=2))

    def served(method: str, path: str) -> bool:
        route = double.routes.get(path)
        token = path in double.token_paths and method == "POST"
        return token or (route is not None and route.method == method)

    return served


def _yonyou() -> Callable[[str, str], bool]:
    def served(method: str, path: str) -> bool:
        if path == DATA_CENTRE_PATH or path.removeprefix(AUTH_PREFIX) in TOKEN_PATHS:
            return method == "GET"
        route = ROUTES.get(path.removeprefix(GATEWAY_PREFIX))
        return route is not None and route[0] == method

    return served


SERVED = {"dingtalk": _dingtalk, "beisen": _beisen, "yonyou": _yonyou}


@pytest.mark.parametrize("vendor", list(SERVED))
def test_every_endpoint_the_reference_lists_is_served(vendor: str) -> None:
    listed = endpoints(vendor)
    assert len(listed) >= 6, f"found only {sorted(listed)} in {vendor}'s VENDOR_API.md"
    served = SERVED[vendor]()
    missing = sorted(f"{method} {path}" for method, path in listed if not served(method, path))
    assert not missing, f"{vendor}'s reference lists endpoints its double does not serve: {missing}"


def test_the_beisen_reference_lists_the_documented_process_endpoints() -> None:
    listed = endpoints("beisen")
    assert ("GET", "/RecruitV6/api/v1/Setting/GetProcessConfigById") in listed
    assert ("POST", "/RecruitV6/api/v1/Apply/TransferPhase") in listed
