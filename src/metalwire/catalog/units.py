"""Units of measure, currency conversion and per-series rounding, all in exact decimals.

Pure code: no database, no web. Prices are quoted as ``currency/unit`` (yuan/kg, USD/oz);
converting a price between mass units multiplies by the ratio of the units' masses.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

from metalwire.errors import InvalidInput

# The context of every published calculation (prices, indices, arbitrage, ore normalization,
# survey statistics): sums and products stay exact, and 50 significant digits keep the last digit
# of a division (a mean, a link, a division by 1 + VAT) far below any published decimal. Our own
# context, so a caller's decimal settings cannot change a published figure; ``localcontext``
# works on a copy of it.
EXACT = Context(prec=50, traps=[InvalidOperation, DivisionByZero, Overflow])

GRAMS_PER_TROY_OUNCE = Decimal("31.1034768")
TROY_OUNCES_PER_KG = Decimal("32.1507466")  # the trade's published factor (1 kg = 32.1507466 oz)

# Mass of one unit in grams. "oz" is always the troy ounce in precious metals.
MASS_UNITS: dict[str, Decimal] = {
    "g": Decimal(1),
    "kg": Decimal(1000),
    "oz": GRAMS_PER_TROY_OUNCE,
    "lb": Decimal("453.59237"),
    "mt": Decimal(1_000_000),
    "dmt": Decimal(1_000_000),
    "wmt": Decimal(1_000_000),
}

# Units that are not masses: prices in them convert only to themselves.
OTHER_UNITS = frozenset({"dmtu", "mtu", "piece", "Wh", "m2", "pt"})

UNIT_NAMES: dict[str, tuple[str, str]] = {
    "g": ("g", "克"),
    "kg": ("kg", "千克"),
    "oz": ("oz", "盎司"),
    "lb": ("lb", "磅"),
    "mt": ("mt", "吨"),
    "dmt": ("dmt", "干吨"),
    "wmt": ("wmt", "湿吨"),
    "dmtu": ("dmtu", "干吨度"),
    "mtu": ("mtu", "吨度"),
    "piece": ("piece", "片"),
    "Wh": ("Wh", "瓦时"),
    "m2": ("m²", "平方米"),
    "pt": ("pt", "点"),
}

CURRENCY_NAMES: dict[str, tuple[str, str]] = {
    "CNY": ("yuan", "元"),
    "USD": ("USD", "美元"),
    "": ("", ""),
}

KNOWN_UNITS = frozenset(MASS_UNITS) | OTHER_UNITS
KNOWN_CURRENCIES = frozenset(CURRENCY_NAMES)


class UnitError(InvalidInput):
    """An unknown unit or a conversion between incompatible units."""


def _check(unit: str) -> None:
    if unit not in KNOWN_UNITS:
        raise UnitError(f"unknown unit {unit!r}; known: {', '.join(sorted(KNOWN_UNITS))}")


def convert_quantity(quantity: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """How many ``to_unit`` are in ``quantity`` ``from_unit`` (1 kg -> 1000 g)."""
    _check(from_unit)
    _check(to_unit)
    if from_unit == to_unit:
        return quantity
    if from_unit not in MASS_UNITS or to_unit not in MASS_UNITS:
        raise UnitError(f"cannot convert {from_unit} to {to_unit}")
    if {from_unit, to_unit} == {"kg", "oz"}:
        factor = TROY_OUNCES_PER_KG
        return quantity * factor if from_unit == "kg" else quantity / factor
    return quantity * MASS_UNITS[from_unit] / MASS_UNITS[to_unit]


def convert_price(price: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Re-express a price per ``from_unit`` as a price per ``to_unit`` (yuan/kg -> yuan/g)."""
    # A price per unit scales inversely to the quantity: the price of one to_unit.
    return price * convert_quantity(Decimal(1), to_unit, from_unit)


def cny_per_kg_to_usd_per_oz(price: Decimal, cny_per_usd: Decimal) -> Decimal:
    """yuan/kg -> USD/oz at an FX rate quoted as CNY per 1 USD."""
    if cny_per_usd <= 0:
        raise ValueError("FX rate must be positive")
    return price / cny_per_usd / TROY_OUNCES_PER_KG


def usd_per_oz_to_cny_per_kg(price: Decimal, cny_per_usd: Decimal) -> Decimal:
    """USD/oz -> yuan/kg at an FX rate quoted as CNY per 1 USD."""
    if cny_per_usd <= 0:
        raise ValueError("FX rate must be positive")
    return price * TROY_OUNCES_PER_KG * cny_per_usd


def round_price(value: Decimal, decimals: int) -> Decimal:
    """Round half-up to a series' published decimals (the trade rounds 0.5 away from zero)."""
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def round_signed(value: Decimal, decimals: int) -> Decimal:
    """``round_price`` for a figure that may be negative (a profit, a grade adjustment): a value
    that rounds to zero is shown as 0, never as -0."""
    rounded = round_price(value, decimals)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def price_unit_label(currency: str, unit: str, lang: str = "en") -> str:
    """'yuan/kg', 'USD/oz', '元/吨', 'pt'."""
    _check(unit)
    index = 1 if lang == "zh" else 0
    money = CURRENCY_NAMES.get(currency, (currency, currency))[index]
    measure = UNIT_NAMES[unit][index]
    if unit == "pt" or not money:
        return measure
    return f"{money}/{measure}"


def instrument_unit_label(kind: str, code: str, currency: str, unit: str, lang: str = "en") -> str:
    """An instrument's unit as read: an exchange rate is the quote currency per unit of the
    base one ("yuan per USD", "元/美元"; the code names the pair: USDCNY-FIX, FRED-USDCNY),
    not "pt"."""
    pair = next(
        (part for part in code.upper().split("-") if len(part) == 6 and part.isalpha()), None
    )
    if kind == "fx" and pair is not None:
        index = 1 if lang == "zh" else 0
        base, quote = pair[:3], pair[3:]
        base_name = CURRENCY_NAMES.get(base, (base, base))[index]
        quote_name = CURRENCY_NAMES.get(quote, (quote, quote))[index]
        return f"{quote_name}/{base_name}" if lang == "zh" else f"{quote_name} per {base_name}"
    return price_unit_label(currency, unit, lang)


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form: 50.000000 -> '50'."""
    return format(value.normalize(), "f")
