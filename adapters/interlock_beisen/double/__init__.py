"""The Beisen vendor double: Beisen's OpenAPI gateway and RecruitV6 interview APIs, simulated."""

from interlock_beisen.double._app import BeisenDouble, BeisenDoubleConfig
from interlock_beisen.double._auth import APP_ID, APP_KEY, APP_SECRET, OAUTH_SECRET, TENANT_ID
from interlock_beisen.double._throttle import ApiLimit

__all__ = [
    "APP_ID",
    "APP_KEY",
    "APP_SECRET",
    "OAUTH_SECRET",
    "TENANT_ID",
    "ApiLimit",
    "BeisenDouble",
    "BeisenDoubleConfig",
]
