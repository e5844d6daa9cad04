"""Iron ore value-in-use: an off-spec cargo's price brought to the 62% Fe base specification.

Pure code: no database, no web. The base specification is Fastmarkets' 62% Fe fines (METHODS.md,
"Iron ore 62% Fe"): Fe 62%, SiO2 4.0%, Al2O3 2.3%. A cargo's price, USD per dry metric ton, is
normalized to that specification with linear value-in-use coefficients::

    value62 = price − (Fe − 62) × Fe VIU
                    + max(0, SiO2 − 4.0) × SiO2 penalty
                    + max(0, Al2O3 − 2.3) × Al2O3 penalty

Sign convention: the adjustment is what is *added to the cargo's price* to reach its 62%
equivalent. A 65% Fe cargo sold at a premium for its iron is brought down (−3 points × Fe VIU);
a 58% cargo is brought up; a high-silica or high-alumina cargo, whose price was penalized, is
brought up by the penalty it suffered. This is the number a submission's ``adjustment`` field
takes (``adjustment_for``): the assessment engine adds it to the submitted price.

Choices the methodology documents:

* Fe is valued both ways (above and below 62%); silica and alumina are penalized only above
  their base levels and earn no credit below them, as the trade's penalty scales do.
* Coefficients are USD/dmt per percentage point. The defaults are illustrative; in production
  they are calibrated on history (traded differentials between grades) and updated periodically,
  and each normalization records the coefficients it used.
* Exact decimal arithmetic in a private context; every element's adjustment and the total
  adjustment are rounded half-up (ties away from zero) to ``decimals`` once, from their exact
  values, so the elements may miss the total by a last-digit rounding; a figure that rounds to
  zero is shown as 0, never -0. value62 is the price plus the *rounded* total adjustment
  (rounded again only if the price has more places than ``decimals``): exactly what the
  assessment engine computes from a submission carrying that adjustment. Rounding price +
  exact adjustment instead would differ by one step on a negative tie (100 − 1.005 rounds to
  99.00, 100 + round(−1.005) is 98.99).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from metalwire.catalog.units import EXACT, round_signed
from metalwire.records import JsonRecord

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)

BASE_FE = Decimal(62)
BASE_SIO2 = Decimal("4.0")
BASE_AL2O3 = Decimal("2.3")


@dataclass(frozen=True, slots=True)
class Coefficients:
    """Value-in-use coefficients, USD/dmt per percentage point."""

    fe_viu: Decimal  # value of one Fe point, both ways
    sio2_penalty: Decimal  # per SiO2 point above 4.0%
    al2o3_penalty: Decimal  # per Al2O3 point above 2.3%


# Illustrative only, of the order seen in recent years' grade differentials; production
# coefficients are calibrated on history and revised under the methodology change procedure.
DEFAULT_COEFFICIENTS = Coefficients(
    fe_viu=Decimal("3.00"),
    sio2_penalty=Decimal("1.50"),
    al2o3_penalty=Decimal("3.00"),
)


@dataclass(frozen=True, slots=True)
class NormalizedPrice(JsonRecord):
    """A cargo's price, its analysis, the coefficients used and its 62% Fe equivalent."""

    price_usd_dmt: Decimal
    fe: Decimal  # % dry basis
    sio2: Decimal
    al2o3: Decimal
    fe_viu: Decimal
    sio2_penalty: Decimal
    al2o3_penalty: Decimal
    fe_adjustment: Decimal  # −(Fe − 62) × Fe VIU
    sio2_adjustment: Decimal  # +max(0, SiO2 − 4.0) × penalty
    al2o3_adjustment: Decimal  # +max(0, Al2O3 − 2.3) × penalty
    adjustment: Decimal  # the three together: added to the price
    value62: Decimal  # USD/dmt at the 62% Fe base specification
    decimals: int


def normalize_to_62(
    price_usd_dmt: Decimal,
    fe: Decimal,
    sio2: Decimal,
    al2o3: Decimal,
    *,
    fe_viu: Decimal = DEFAULT_COEFFICIENTS.fe_viu,
    sio2_penalty: Decimal = DEFAULT_COEFFICIENTS.sio2_penalty,
    al2o3_penalty: Decimal = DEFAULT_COEFFICIENTS.al2o3_penalty,
    decimals: int = 2,
) -> NormalizedPrice:
    """A cargo's price at the 62% Fe, 4.0% SiO2, 2.3% Al2O3 base specification."""
    if not price_usd_dmt > 0:
        raise ValueError(f"price_usd_dmt must be positive, not {price_usd_dmt}")
    with localcontext(EXACT):
        parts = _adjustments(fe, sio2, al2o3, fe_viu, sio2_penalty, al2o3_penalty)
        adjustment = round_signed(sum(parts, _ZERO), decimals)
        fe_part, sio2_part, al2o3_part = (round_signed(part, decimals) for part in parts)
        return NormalizedPrice(
            price_usd_dmt=price_usd_dmt,
            fe=fe,
            sio2=sio2,
            al2o3=al2o3,
            fe_viu=fe_viu,
            sio2_penalty=sio2_penalty,
            al2o3_penalty=al2o3_penalty,
            fe_adjustment=fe_part,
            sio2_adjustment=sio2_part,
            al2o3_adjustment=al2o3_part,
            adjustment=adjustment,
            value62=round_signed(price_usd_dmt + adjustment, decimals),
            decimals=decimals,
        )


def adjustment_for(
    fe: Decimal,
    sio2: Decimal,
    al2o3: Decimal,
    *,
    fe_viu: Decimal = DEFAULT_COEFFICIENTS.fe_viu,
    sio2_penalty: Decimal = DEFAULT_COEFFICIENTS.sio2_penalty,
    al2o3_penalty: Decimal = DEFAULT_COEFFICIENTS.al2o3_penalty,
    decimals: int = 2,
) -> Decimal:
    """The amount to put in a submission's ``adjustment``: added to its price, it gives value62.

    It does not depend on the price: the coefficients are in USD/dmt per point.
    """
    with localcontext(EXACT):
        parts = _adjustments(fe, sio2, al2o3, fe_viu, sio2_penalty, al2o3_penalty)
        return round_signed(sum(parts, _ZERO), decimals)


def _adjustments(
    fe: Decimal,
    sio2: Decimal,
    al2o3: Decimal,
    fe_viu: Decimal,
    sio2_penalty: Decimal,
    al2o3_penalty: Decimal,
) -> tuple[Decimal, Decimal, Decimal]:
    if not _ZERO < fe <= _HUNDRED:
        raise ValueError(f"fe is a percentage above 0 and at most 100, not {fe}")
    for name, share in (("sio2", sio2), ("al2o3", al2o3)):
        if not _ZERO <= share <= _HUNDRED:
            raise ValueError(f"{name} is a percentage from 0 to 100, not {share}")
    if fe + sio2 + al2o3 > _HUNDRED:
        raise ValueError(f"fe + sio2 + al2o3 is {fe + sio2 + al2o3}%, above 100%")
    for name, coefficient in (
        ("fe_viu", fe_viu),
        ("sio2_penalty", sio2_penalty),
        ("al2o3_penalty", al2o3_penalty),
    ):
        if coefficient < 0:
            raise ValueError(f"{name} must be >= 0, not {coefficient}")
    return (
        -(fe - BASE_FE) * fe_viu,
        max(_ZERO, sio2 - BASE_SIO2) * sio2_penalty,
        max(_ZERO, al2o3 - BASE_AL2O3) * al2o3_penalty,
    )
