"""Numbers, dates, lists and wording thresholds for generated reports, per language.

Pure code. English follows the trade press (SMM, Reuters style): thousands separators, "3.55%",
"1,397.32 mt", "30-50 yuan/mt", "October 2025", "Oct 31, 2025", lists with the Oxford comma.
Chinese follows Chinese financial writing: the same digits and separators ("1,397.32吨"), units
written straight after the number ("30-50元/吨"), dates as "2025年10月31日", lists joined with
"、" and a final "和".

Every number and date goes through Babel in the draft's locale (the site's: ``web/i18n.py``).
Where CLDR's standard form is not the house style, an explicit pattern keeps the house style:
figures keep the decimals they were published with (``#,##0.00`` for "1,397.32"), counts are
not grouped ("1500 smelters"), a month alone is "October" / "10月".

Wording thresholds (one place, so every generator reads a change the same way):

* ``FLAT_BELOW`` (0.5 %): a change smaller than this is "held steady" / "基本持平". Survey
  totals carry imputation and rounding noise of that order, so calling a 0.3 % move a rise
  would report noise as news.
* ``SLIGHT_BELOW`` (1 %): 0.5 % to under 1 % "edged up/down" / "小幅增长/下降".
* ``LARGE_ABOVE`` (10 %): above 10 % "surged/plunged" / "大幅增长/下降"; in between the plain
  verbs ("rose", "decreased" / "增长", "下降").
* ``approximate_percent``: changes of 10 % and more (smelter stocks, which swing widely on a
  small base) are rounded to the nearest 5 %: "nearly 50%" / "近50%" when the actual figure is
  short of it (49.60 %: nearly 50 — never more than 2.5 points short), "approximately 45%" /
  "约45%" when past it, the bare figure when exact. Under 10 % the exact figure is quoted, since
  a 5-point rounding step would swamp it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Literal

from babel.core import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton
from babel.numbers import NumberPattern, format_decimal, format_percent, parse_pattern

from metalwire.i18n import LOCALES

Lang = Literal["en", "zh"]
Direction = Literal["up", "down", "flat"]
Magnitude = Literal["flat", "slight", "moderate", "large"]

FLAT_BELOW = Decimal("0.5")
SLIGHT_BELOW = Decimal(1)
LARGE_ABOVE = Decimal(10)
APPROXIMATE_FROM = Decimal(10)
APPROXIMATE_STEP = Decimal(5)

# The site's locales (web/i18n.py): numbers and dates read as on the pages.
# A month named alone: CLDR's stand-alone wide month in English; Chinese writes the number
# ("10月", not "十月").
_MONTH_ALONE: dict[Lang, str] = {"en": "LLLL", "zh": "M月"}

# Headline words English keeps lower case unless first (AP/Chicago style, the trade's usage).
_MINOR_WORDS = frozenset(
    {"a", "amid", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the"}
    | {"to", "vs", "with"}
)


def check_lang(lang: str) -> Lang:
    if lang == "en":
        return "en"
    if lang == "zh":
        return "zh"
    raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")


# --- classification -----------------------------------------------------------------------------


def direction(pct: Decimal) -> Direction:
    """A percentage change read as up, down or flat (|pct| < ``FLAT_BELOW``)."""
    if abs(pct) < FLAT_BELOW:
        return "flat"
    return "up" if pct > 0 else "down"


def magnitude(pct: Decimal) -> Magnitude:
    size = abs(pct)
    if size < FLAT_BELOW:
        return "flat"
    if size < SLIGHT_BELOW:
        return "slight"
    if size > LARGE_ABOVE:
        return "large"
    return "moderate"


# --- numbers ------------------------------------------------------------------------------------


@cache
def _locale(lang: Lang) -> Locale:
    return Locale.parse(LOCALES[lang])


@cache
def _pattern(places: int, *, plus: bool, percent: bool) -> NumberPattern:
    # Parsed once per shape: a daily report formats a few hundred figures.
    digits = "#,##0" + ("." + "0" * places if places else "") + ("%" if percent else "")
    return parse_pattern(f"+{digits};-{digits}" if plus else digits)


def _places(value: Decimal) -> int:
    """The decimals a figure was published with (1397.320 has three; 1E+3 none)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def number(value: Decimal, lang: Lang, *, signed: bool = False) -> str:
    """'1,397.32', keeping the decimals the figure was published with; '+120' when signed."""
    if value == 0:
        value = abs(value)  # no "-0.00" from a negative zero
    pattern = _pattern(_places(value), plus=signed and value > 0, percent=False)
    return format_decimal(value, format=pattern, locale=_locale(lang))


def percent(value: Decimal, lang: Lang, *, signed: bool = False) -> str:
    """'3.55%' for 3.55 (the figure is already in per cent); '+0.20%' when signed."""
    if value == 0:
        value = abs(value)
    pattern = _pattern(_places(value), plus=signed and value > 0, percent=True)
    return format_percent(value.scaleb(-2), format=pattern, locale=_locale(lang))


def integer(n: int, lang: Lang) -> str:
    """A count as the desk writes it: digits without grouping ('5', '1500')."""
    return format_decimal(n, format="0", locale=_locale(lang))


def quantity(text: str, unit: str, lang: Lang) -> str:
    """A formatted number with its (already localized) unit: '1,397.32 mt' / '1,397.32吨'."""
    if not unit:
        return text
    return f"{text}{unit}" if lang == "zh" else f"{text} {unit}"


def value_range(low: Decimal, high: Decimal, lang: Lang) -> str:
    """'30-50'; one value when low equals high; 'to' / '至' when a hyphen would read as a sign."""
    first, last = number(low, lang), number(high, lang)
    if low == high:
        return first
    if low < 0 or high < 0:
        return f"{first}至{last}" if lang == "zh" else f"{first} to {last}"
    return f"{first}-{last}"


def approximate_percent(value: Decimal, lang: Lang) -> str:
    """The size of a change (sign dropped) in the rounded wording the module docstring sets."""
    size = abs(value)
    if size < APPROXIMATE_FROM:
        return percent(size, lang)
    target = (size / APPROXIMATE_STEP).quantize(Decimal(1), ROUND_HALF_UP) * APPROXIMATE_STEP
    shown = percent(target, lang)
    if size == target:
        return shown
    if size < target:
        return f"近{shown}" if lang == "zh" else f"nearly {shown}"
    return f"约{shown}" if lang == "zh" else f"approximately {shown}"


# --- dates --------------------------------------------------------------------------------------


def parse_period(period: str) -> tuple[int, int]:
    """'2025-10' -> (2025, 10)."""
    year, sep, month = period.partition("-")
    if not (sep and len(year) == 4 and year.isdigit() and month.isdigit() and len(month) == 2):
        raise ValueError(f"period must be a month YYYY-MM, got {period!r}")
    if not 1 <= int(month) <= 12:
        raise ValueError(f"period must be a month YYYY-MM, got {period!r}")
    return int(year), int(month)


def shift_period(period: str, months: int) -> str:
    year, month = parse_period(period)
    number_ = year * 12 + month - 1 + months
    return f"{number_ // 12:04d}-{number_ % 12 + 1:02d}"


def month_name(period: str, lang: Lang) -> str:
    """'October' / '10月' (the year is understood from the context)."""
    year, month = parse_period(period)
    return babel_date(date(year, month, 1), _MONTH_ALONE[lang], locale=_locale(lang))


def month_year(period: str, lang: Lang) -> str:
    """'October 2025' / '2025年10月'."""
    year, month = parse_period(period)
    return format_skeleton("yMMMM", date(year, month, 1), locale=_locale(lang))


def format_date(day: date, lang: Lang, *, short: bool = False) -> str:
    """'October 31, 2025' ('Oct 31, 2025' when short, as datelines and headlines write it) /
    '2025年10月31日'."""
    return babel_date(day, "medium" if short else "long", locale=_locale(lang))


# --- words --------------------------------------------------------------------------------------


def join(items: Sequence[str], lang: Lang) -> str:
    """'Henan', 'Henan and Yunnan', 'Henan, Yunnan, and Zhejiang' / '河南、云南和浙江'."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if lang == "zh":
        return f"{'、'.join(items[:-1])}和{items[-1]}"
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return f"{', '.join(items[:-1])}, and {items[-1]}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """English count with its noun: '1 smelter', '3 smelters'."""
    return f"{integer(n, 'en')} {singular if n == 1 else plural or singular + 's'}"


def capitalize(text: str) -> str:
    """First letter up, the rest untouched ('maintenance at X' -> 'Maintenance at X')."""
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    """Headline case: every word capitalized but the minor ones (unless first); words already
    holding capitals (names, 'MoM') are left as written."""
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        if word != word.lower() or (i > 0 and word in _MINOR_WORDS):
            out.append(word)
        else:
            out.append(capitalize(word))
    return " ".join(out)
