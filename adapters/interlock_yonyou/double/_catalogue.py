"""Every code the Yonyou double can answer, with its HTTP status and wire message.

Four tables, because YonBIP uses four code spaces: the data centre and the token endpoint
(success ``"00000"``), the API gateway (``"310xxx"``, business success ``"200"``) and, inside a
business failure ``"999"``, the tenant API's own ``displayCode``. The adapter's
``_errors.py`` maps each of them; a test checks that both sides list the same codes.
"""

from __future__ import annotations

__all__ = [
    "CLOCK_SKEW_MESSAGE",
    "DATA_CENTRE_CODES",
    "DISPLAY_CODES",
    "DUPLICATE_SUBMISSION",
    "GATEWAY_CODES",
    "SIGNATURE_REJECTED",
    "SUCCESS",
    "TOKEN_CODES",
    "TOKEN_SUCCESS",
]

SUCCESS = "200"
TOKEN_SUCCESS = "00000"  # noqa: S105 - a status code, not a password
DUPLICATE_SUBMISSION = "100004"
"""MDD idempotency: the same ``resubmitCheckKey`` after its 1-hour replay window."""

SIGNATURE_REJECTED = "50000"

DATA_CENTRE_CODES: dict[str, str] = {
    "500": "根据租户id获取网关地址出现异常",
}
"""``GET /open-auth/dataCenter/getGatewayAddress`` failures (HTTP 200)."""

TOKEN_CODES: dict[str, str] = {
    "10018": "应用不存在或appKey已停用",
    SIGNATURE_REJECTED: "签名不正确",
}
"""``getAccessToken`` failures (HTTP 200). A timestamp outside the window is also 50000."""

CLOCK_SKEW_MESSAGE = "签名不正确：timestamp超出允许范围（±300秒），请校准服务器时间"

GATEWAY_CODES: dict[str, tuple[int, str]] = {
    # client level
    "310001": (200, "access_token不能为空。"),
    "310002": (200, "请求体必须是JSON结构"),
    "310005": (200, "应用不存在"),
    "310006": (200, "应用已停用"),
    "310008": (200, "参数校验失败，缺少必填参数"),
    "310015": (200, "参数校验错误，未通过参数正则匹配"),
    "310023": (200, "参数类型校验失败"),
    "310031": (200, "系统级IP访问控制，当前IP不允许访问"),
    "310032": (200, "触发了系统级限流，请稍后再试"),
    "310036": (200, "非法token"),
    "310037": (200, "API未被授权，请联系管理员在开放平台「API授权」中授权该API"),
    "310038": (200, "应用级IP访问控制，当前IP不允许访问"),
    "310039": (200, "触发了应用级限流，请稍后再试"),
    "310041": (200, "产品级IP访问控制，当前IP不允许访问"),
    "310042": (200, "触发了产品级限流，请稍后再试"),
    "310046": (200, "触发了API级限流，请稍后再试"),
    "310047": (200, "API级IP访问控制，当前IP不允许访问"),
    "310404": (404, "网关上没有注册此API[{path}]，请确认后重新调用"),
    "310405": (405, "请求方法不允许[{method}]"),
    # server level
    "202": (200, "幂等接口，后端服务正在处理中"),
    "310043": (200, "此API触发熔断"),
    "310071": (200, "HTTP请求失败（后端服务异常）"),
    "310072": (200, "HTTP连接被拒绝"),
    "310504": (200, "请求超时"),
    "315001": (200, "未知错误"),
    "999": (200, "服务端逻辑异常"),
}
"""Gateway answers: code → (HTTP status, message). 404 and 405 are the only non-200 ones."""

DISPLAY_CODES: dict[str, str] = {
    "HRC-AIV-100400": "请求参数不正确：{detail}",
    "HRC-AIV-100404": "面试会话不存在[id={id}]",
    "HRC-AIV-100409": "面试会话当前状态[{status_name}]不允许{action}",
}
"""The tenant interview API's business errors: ``{"code":"999","displayCode":…}``."""
