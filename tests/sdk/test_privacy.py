"""Masking of names and phone numbers: what leaves an adapter."""

from __future__ import annotations

import pytest

from interlock.privacy import mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        pytest.param("张三", "张*", id="two-chinese"),
        pytest.param("欧阳娜娜", "欧***", id="four-chinese"),
        pytest.param("王", "*", id="one-character"),
        pytest.param(" 李娜 ", "李*", id="surrounding-space"),
        pytest.param("张 三", "张*", id="chinese-with-space"),
        pytest.param("张\u3000三", "张*", id="chinese-with-ideographic-space"),
        pytest.param("Li Wei", "L* W**", id="latin-two-words"),
        pytest.param("Anna Müller", "A*** M*****", id="latin-diacritics"),
        pytest.param("Madonna", "M******", id="latin-one-word"),
        pytest.param("Jean-Luc  Picard", "J******* P*****", id="latin-double-space"),
        pytest.param("", "", id="empty"),
        pytest.param("   ", "", id="blank"),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    "name", ["张三", "张 三", "欧阳 娜娜", "Li Wei", "Wang Fang", "Bo"], ids=str
)
def test_masked_name_never_holds_more_than_the_initials(name: str) -> None:
    masked = mask_name(name)
    visible = [c for c in masked if c not in "* "]
    words = name.split()
    assert len(visible) <= len(words)
    assert masked != name


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        pytest.param("13812341234", "138****1234", id="mobile"),
        pytest.param("138-1234-1234", "138****1234", id="dashes"),
        pytest.param("+86 138 1234 1234", "138****1234", id="country-code"),
        pytest.param("0086 13812341234", "138****1234", id="country-code-00"),
        pytest.param("12345", "***45", id="short"),
        pytest.param("12", "**", id="two-digits"),
        pytest.param("", "", id="empty"),
    ],
)
def test_mask_phone(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


def test_masked_phone_hides_the_middle_digits() -> None:
    assert "1234" not in mask_phone("13812349999")[:7]
