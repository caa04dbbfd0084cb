"""Languages: Simplified Chinese and English, chosen from a remembered choice or
``Accept-Language``; catalogs are gettext ``.po`` files read with Babel; dates, times and
numbers are formatted by Babel in the user's language and time zone.

The ``.po`` files are compiled in memory when the console starts (no compiled ``.mo`` is
shipped, so a catalog can never be stale against its source).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_ZONE",
    "LANGUAGES",
    "Formats",
    "negotiate",
    "translations",
    "zone_or_default",
]

#: Language tag → Babel locale name. The first is the default for unknown preferences.
LANGUAGES = {"zh-CN": "zh_Hans_CN", "en": "en"}
LANGUAGE_NAMES = {"zh-CN": "简体中文", "en": "English"}
DEFAULT_LANGUAGE = "zh-CN"
DEFAULT_ZONE = "Asia/Shanghai"
#: Zones offered in the picker first (the users are in China; others can be typed).
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "UTC")


def negotiate(remembered: str | None, accept_language: str | None) -> str:
    """The user's language: the remembered choice, else the best match of the header."""
    if remembered in LANGUAGES:
        return remembered
    for tag, _ in _weighted(accept_language or ""):
        tag = tag.lower()
        if tag.startswith("zh"):
            return "zh-CN"  # zh, zh-CN, zh-Hans…: the only Chinese we have
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE


def _weighted(header: str) -> list[tuple[str, float]]:
    ranked = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag:
            ranked.append((tag, quality))
    return sorted(ranked, key=lambda item: -item[1])


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of ``language`` (English is the source language: no catalog)."""
    if language == "en":
        return NullTranslations()
    folder = LANGUAGES[language].replace("_Hans", "")  # zh_Hans_CN → zh_CN
    source = files(__package__).joinpath("locales", folder, "LC_MESSAGES", "messages.po")
    with source.open("rb") as po:
        catalog = read_po(po, locale=LANGUAGES[language])
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone_or_default(name: str | None) -> str:
    """``name`` when it is a known IANA zone, else :data:`DEFAULT_ZONE`."""
    if name and name in _zone_names():
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return DEFAULT_ZONE
        return name
    return DEFAULT_ZONE


@dataclass(frozen=True)
class _ShortPatterns:
    """A language's parsed ``short`` date and time patterns (Babel's, looked up once)."""

    locale: Locale
    joint: str  # how date {1} and time {0} combine
    date: DateTimePattern
    time: DateTimePattern

    def time_of(self, local: dt.datetime) -> str:
        return self.time.apply(local, self.locale, reference_date=local.date())


@cache
def _short_patterns(language: str) -> _ShortPatterns:
    locale = Locale.parse(LANGUAGES[language])
    return _ShortPatterns(
        locale=locale,
        joint=str(get_datetime_format("short", locale=locale)).replace("'", ""),
        date=parse_pattern(get_date_format("short", locale=locale)),
        time=parse_pattern(get_time_format("short", locale=locale)),
    )


@dataclass(frozen=True)
class Formats:
    """Formatting for one user: language and time zone."""

    language: str
    zone_name: str

    @property
    def locale(self) -> Locale:
        return _short_patterns(self.language).locale

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.zone_name)  # cached by zoneinfo

    def datetime(self, value: dt.datetime | None) -> str:
        """Date and time in the user's zone (``2026/12/3 14:32`` / ``12/3/26, 2:32 PM``):
        what ``babel.dates.format_datetime(value, "short", ...)`` gives, without looking up
        the locale and parsing its patterns again for every cell of a table."""
        if value is None:
            return ""
        short, local = _short_patterns(self.language), value.astimezone(self.zone)
        return short.joint.replace("{0}", short.time_of(local)).replace(
            "{1}", short.date.apply(local.date(), short.locale)
        )

    def time(self, value: dt.datetime | None) -> str:
        """Time of day in the user's zone (``14:32`` / ``2:32 PM``)."""
        if value is None:
            return ""
        return _short_patterns(self.language).time_of(value.astimezone(self.zone))

    def number(self, value: float | int | None) -> str:
        return "" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, value: float) -> str:
        return format_percent(value, "#,##0.0%", locale=self.locale)

    def local_input(self, value: dt.datetime | None) -> str:
        """A ``datetime-local`` input's value in the user's zone."""
        return "" if value is None else value.astimezone(self.zone).strftime("%Y-%m-%dT%H:%M")

    def from_local_input(self, text: str) -> dt.datetime:
        """An aware datetime from a ``datetime-local`` value typed in the user's zone.

        :raises ValueError: not a date and time.
        """
        return dt.datetime.fromisoformat(text).replace(tzinfo=self.zone)
