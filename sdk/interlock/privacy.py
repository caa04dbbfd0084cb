"""Masking of personal data. Names and phone numbers leave an adapter only masked."""

from __future__ import annotations

import re

__all__ = ["mask_name", "mask_phone"]

_DIGITS = re.compile(r"\D")


def mask_name(name: str) -> str:
    """``张三`` → ``张*``, ``欧阳娜娜`` → ``欧***``, ``Li Wei`` → ``L* W**``.

    Chinese names keep the first character (the family name); Latin names keep the first
    letter of each word. Empty input stays empty.
    """
    name = name.strip()
    if not name:
        return ""
    words = name.split()
    if len(words) == 1:
        return name[0] + "*" * (len(name) - 1) if len(name) > 1 else "*"
    return " ".join(w[0] + "*" * (len(w) - 1) for w in words)


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``; shorter numbers keep only their last two digits."""
    digits = _DIGITS.sub("", phone)
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]
