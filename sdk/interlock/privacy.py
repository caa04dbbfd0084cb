"""Masking of personal data. Names and phone numbers leave an adapter only masked."""

from __future__ import annotations

import re

__all__ = ["mask_name", "mask_phone"]

_DIGITS = re.compile(r"\D")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_COUNTRY_PREFIXES = ("0086", "86")  # +86 / 0086 in front of an 11-digit mainland mobile


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``, ``Li Wei`` → ``L* W**``.

    Chinese names keep the first character (the family name), even when a vendor puts a space
    between family and given name (``张 三`` → ``张*``); Latin names keep the first letter of
    each word. Empty input stays empty.
    """
    words = name.split()
    if not words:
        return ""
    if _CJK.search(name):
        words = ["".join(words)]
    if len(words) == 1 and len(words[0]) == 1:
        return "*"
    return " ".join(w[0] + "*" * (len(w) - 1) for w in words)


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234`` (also from ``+86 138 1234 1234``); shorter numbers
    keep only their last two digits."""
    digits = _DIGITS.sub("", phone)
    for prefix in _COUNTRY_PREFIXES:
        if len(digits) == len(prefix) + 11 and digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]
