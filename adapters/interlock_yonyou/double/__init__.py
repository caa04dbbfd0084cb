"""The Yonyou (YonBIP) vendor double: open platform, gateway and a tenant's interview API."""

from interlock_yonyou.double._app import (
    APP_KEY,
    APP_SECRET,
    TENANT_ID,
    YonyouDouble,
)

__all__ = ["APP_KEY", "APP_SECRET", "TENANT_ID", "YonyouDouble"]
