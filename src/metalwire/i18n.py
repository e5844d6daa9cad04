"""UI translations (gettext catalogs via Babel) and localized numbers, dates and delays.

Outside the web package: the pages, the alert e-mails and the CLI speak the same two languages."""

from __future__ import annotations

import datetime as dt
import gettext
import re
from decimal import Decimal
from functools import cache
from importlib import resources
from io import BytesIO
from typing import NamedTuple

from babel.core import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_decimal, parse_pattern
from babel.support import Translations

LANGUAGES = ("en", "zh")
LOCALES = {"en": "en_US", "zh": "zh_Hans_CN"}
LOCALE_DIR = resources.files("metalwire").joinpath("locale")


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """Compile the shipped .po catalog in memory, so no build step is needed."""
    po_file = LOCALE_DIR.joinpath(f"{lang}/LC_MESSAGES/messages.po")
    if not po_file.is_file():
        return gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=LOCALES[lang])
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def N_(message: str) -> str:
    """Marks a message for translation (extracted by Babel); its reader's layer translates it."""
    return message


def gettext_in(lang: str, message: str) -> str:
    """``message`` in ``lang``: what a mail, a notice or a CLI line says to its reader."""
    return translations(lang).gettext(message)


# A Han character (CJK Unified Ideographs, Extension A, Compatibility Ideographs).
_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def has_chinese(text: str) -> bool:
    """Whether ``text`` holds a Chinese character: what a text published as the Chinese one
    must (English in its place would put English on every Chinese page)."""
    return _CHINESE.search(text) is not None


class Localized(NamedTuple):
    """A text as one reader reads it, and the language it is in (``tag``: the HTML lang)."""

    text: str
    lang: str

    @property
    def tag(self) -> str:
        return "zh-CN" if self.lang == "zh" else "en"


def localized(english: str, chinese: str | None, lang: str) -> Localized:
    """The Chinese text for a Chinese reader where it was written, else the English one (a row
    made before its Chinese was required stays English, and says so)."""
    if lang == "zh" and chinese:
        return Localized(chinese, "zh")
    return Localized(english, "en")


def reader_lang(lang: str | None) -> str:
    """A stored preference as one of LANGUAGES: an account made before a language was chosen,
    or holding one the platform no longer speaks, reads English."""
    return lang if lang in LANGUAGES else "en"


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(LOCALES[lang])


@cache
def _fixed_pattern(decimals: int) -> NumberPattern:
    # Parsed once: a price table formats hundreds of numbers per page.
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals else ""))


def fmt_number(value: Decimal | int | None, lang: str, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    if decimals is not None:
        return str(_fixed_pattern(decimals).apply(value, _locale(lang)))
    return format_decimal(value, locale=_locale(lang))


def fmt_date(value: dt.date, lang: str) -> str:
    """Oct 31, 2025 / 2025年10月31日."""
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return format_date(value, format="medium", locale=LOCALES[lang])


def fmt_delay(delay: dt.timedelta, lang: str) -> str:
    """How late a release was, to the minute: "5 h 13 min" / "5小时13分钟"."""
    minutes = max(1, round(delay.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    _ = translations(lang).gettext
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}
