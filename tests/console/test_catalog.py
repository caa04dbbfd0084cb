"""Every text of the console has its Chinese translation; languages are negotiated."""

from __future__ import annotations

from importlib.resources import files

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from interlock_gateway.console.i18n import negotiate

_METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
_OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _source_messages() -> set[str]:
    folder = str(files("interlock_gateway.console"))
    keywords = {"_": None, "gettext": None, "N_": None}
    found = extract_from_dir(folder, _METHODS, options_map=_OPTIONS, keywords=keywords)
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_message_is_translated_to_chinese() -> None:
    source = files("interlock_gateway.console").joinpath(
        "locales", "zh_CN", "LC_MESSAGES", "messages.po"
    )
    with source.open("rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string}
    messages = _source_messages()
    assert len(messages) > 200
    assert sorted(messages - translated) == []


def test_language_from_the_choice_then_accept_language() -> None:
    assert negotiate(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert negotiate(None, "en-US,en;q=0.9,zh;q=0.8") == "en"
    assert negotiate(None, "fr, en;q=0.5") == "en"
    assert negotiate(None, None) == "zh-CN"
    assert negotiate("en", "zh-CN") == "en"
    assert negotiate("xx", "en") == "en"
