"""Account options: strict, complete per app type, secrets never printed."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from interlock.plugins import get_plugin_manager
from interlock_dingtalk.double import DingTalkDouble
from interlock_dingtalk.options import DingTalkOptions

INTERNAL: dict[str, Any] = {"app_key": "dingkey", "app_secret": "s3cr3t-app"}
ISV: dict[str, Any] = {
    "app_type": "isv",
    "suite_key": "suitekey",
    "suite_secret": "s3cr3t-suite",
    "auth_corp_id": "dingcorp",
    "suite_ticket": "s3cr3t-ticket",
}
PUSH: dict[str, Any] = {
    "callback_token": "s3cr3t-token",
    "callback_aes_key": "INkIWpf6XNveEFzuldhEqyN6dx7j06BhxeZuJu9DFpI",
}


def test_internal_app_needs_key_and_secret() -> None:
    assert DingTalkOptions.model_validate(INTERNAL).owner_key == "dingkey"
    with pytest.raises(ValidationError, match="app_secret"):
        DingTalkOptions.model_validate({"app_key": "dingkey"})


def test_isv_app_needs_all_four_suite_fields() -> None:
    assert DingTalkOptions.model_validate(ISV).owner_key == "suitekey"
    with pytest.raises(ValidationError, match="suite_ticket"):
        DingTalkOptions.model_validate({**ISV, "suite_ticket": ""})


def test_unknown_keys_are_errors() -> None:
    with pytest.raises(ValidationError, match="appsecret"):
        DingTalkOptions.model_validate({**INTERNAL, "appsecret": "typo"})


def test_push_options_go_together_and_the_aes_key_is_checked() -> None:
    assert DingTalkOptions.model_validate({**INTERNAL, **PUSH}).push_configured
    with pytest.raises(ValidationError, match="go together"):
        DingTalkOptions.model_validate({**INTERNAL, "callback_token": "t"})
    with pytest.raises(ValidationError, match="43-character") as caught:
        DingTalkOptions.model_validate({**INTERNAL, **PUSH, "callback_aes_key": "short-key"})
    assert "short-key" not in str(caught.value)


def test_validation_errors_never_print_the_input() -> None:
    with pytest.raises(ValidationError) as caught:
        DingTalkOptions.model_validate({**INTERNAL, **PUSH, "callback_token": None})
    assert "s3cr3t-app" not in str(caught.value)
    assert PUSH["callback_aes_key"] not in str(caught.value)


def test_batch_size_is_at_most_dingtalks_50() -> None:
    with pytest.raises(ValidationError):
        DingTalkOptions.model_validate({**INTERNAL, "native_batch_size": 51})


def test_secrets_never_print() -> None:
    options = DingTalkOptions.model_validate({**ISV, **PUSH})
    text = f"{options!r} {options} {options.model_dump()} {options.model_dump_json()}"
    for secret in ("s3cr3t-suite", "s3cr3t-ticket", "s3cr3t-token", PUSH["callback_aes_key"]):
        assert secret not in text
    assert set(options.secret_values()) == {
        "s3cr3t-suite",
        "s3cr3t-ticket",
        "s3cr3t-token",
        PUSH["callback_aes_key"],
    }


def test_the_doubles_options_validate_for_both_app_types() -> None:
    double = DingTalkDouble()
    for options in (double.adapter_options("http://x"), double.isv_adapter_options("http://x")):
        assert DingTalkOptions.model_validate(options).push_configured


def test_the_adapter_is_registered_through_its_entry_point() -> None:
    spec = get_plugin_manager().adapters["dingtalk"]
    assert spec.vendor == "dingtalk"
    assert spec.options_model is DingTalkOptions
    assert spec.double_factory is DingTalkDouble
