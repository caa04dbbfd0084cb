"""The candidate page's texts in zh-CN and en (few enough to keep in one table)."""

from __future__ import annotations

__all__ = ["LANGUAGES", "TEXTS", "pick_language"]

LANGUAGES = ("zh-CN", "en")

TEXTS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "title": "AI 面试",
        "hello": "{name}，您好",
        "hello_anonymous": "您好",
        "active": "您的 AI 面试已暂停。您可以在 {deadline} 前继续面试。",
        "continue": "继续面试",
        "later": "我需要改约时间",
        "qr": "用手机扫码，在手机上继续：",
        "resumed": "面试已恢复，正在为您打开面试页面……",
        "resumed_no_url": "面试已恢复，请回到面试应用中继续。",
        "open": "打开面试",
        "later_done": "我们已通知 HR，HR 会与您联系改约时间。",
        "used": "此链接已使用过。如需帮助，请联系 HR。",
        "expired": "此链接已过期（继续面试的期限已过）。请联系 HR 重新安排。",
        "revoked": "此链接已失效。请联系 HR。",
        "ended": "此面试已结束，无法继续。HR 会与您联系后续安排。",
        "invalid": "此链接无效。请检查链接，或联系 HR。",
        "busy": "请求过于频繁，请稍后再试。",
        "failed": "暂时无法恢复面试，请稍后再试，或联系 HR。",
        "switch": "English",
    },
    "en": {
        "title": "AI interview",
        "hello": "Hello {name}",
        "hello_anonymous": "Hello",
        "active": "Your AI interview is paused. You can continue it until {deadline}.",
        "continue": "Continue the interview",
        "later": "I need another time",
        "qr": "Scan with your phone to continue there:",
        "resumed": "The interview is resumed; opening it for you…",
        "resumed_no_url": "The interview is resumed; please go back to the interview app.",
        "open": "Open the interview",
        "later_done": "We told HR; they will contact you to find another time.",
        "used": "This link was already used. Please contact HR if you need help.",
        "expired": "This link has expired (the time to continue is over). Please contact HR.",
        "revoked": "This link is no longer valid. Please contact HR.",
        "ended": "This interview has ended and cannot be continued. HR will contact you.",
        "invalid": "This link is not valid. Please check it or contact HR.",
        "busy": "Too many requests; please try again in a moment.",
        "failed": "The interview could not be resumed right now; please try again or contact HR.",
        "switch": "中文",
    },
}


def pick_language(asked: str | None, link_language: str | None, accept: str | None) -> str:
    """``?lang=`` first, then the link's language, then the browser's, then zh-CN."""
    for candidate in (asked, link_language):
        if candidate in LANGUAGES:
            return str(candidate)
    if accept and accept.lower().startswith("en"):
        return "en"
    return "zh-CN"
