"""Every API route family keeps the common contract (tests/support/api_contract.py) on the access
matrix's market: a new route gets its checks by a subclass here."""

from __future__ import annotations

from tests.pricing.conftest import PREMIUM, SILVER
from tests.support.api_contract import RouteContract
from tests.support.market import MATRIX_INDEX

API = "/api/v1"


class TestCatalog(RouteContract):
    route = f"{API}/catalog"
    rule = "public"
    example = f"{API}/catalog?lang=zh"
    bad_parameter = f"{API}/catalog?lang=fr"


class TestSeriesList(RouteContract):
    route = f"{API}/series"
    rule = "public"
    example = f"{API}/series?entry=silver"
    bad_parameter = f"{API}/series?limit=0"


class TestSeries(RouteContract):
    route = f"{API}/series/{{code}}"
    rule = "public"
    example = f"{API}/series/{SILVER}"
    bad_parameter = f"{API}/series/{SILVER}?lang=fr"
    unknown = f"{API}/series/NOPE"


class TestPriceHistory(RouteContract):
    route = f"{API}/series/{{code}}/prices"
    rule = "gated"
    example = f"{API}/series/{SILVER}/prices"
    bad_parameter = f"{API}/series/{SILVER}/prices?start=someday"
    unknown = f"{API}/series/NOPE/prices"
    premium = f"{API}/series/{PREMIUM}/prices"
    caches = True


class TestLatestPrices(RouteContract):
    route = f"{API}/prices/latest"
    rule = "gated"
    example = f"{API}/prices/latest?entry=silver"
    bad_parameter = f"{API}/prices/latest?group=nickel-alloys"
    caches = True


class TestPriceExport(RouteContract):
    route = f"{API}/prices/export"
    rule = "gated"
    example = f"{API}/prices/export?series={SILVER}"
    bad_parameter = f"{API}/prices/export?series={SILVER}&format=pdf"
    premium = f"{API}/prices/export?series={PREMIUM}"
    caches = True


class TestAverages(RouteContract):
    route = f"{API}/series/{{code}}/averages"
    rule = "gated"
    example = f"{API}/series/{SILVER}/averages?period=week"
    bad_parameter = f"{API}/series/{SILVER}/averages?period=decade"
    unknown = f"{API}/series/NOPE/averages"
    premium = f"{API}/series/{PREMIUM}/averages"
    caches = True


class TestAssessment(RouteContract):
    route = f"{API}/assessments/{{assessment_id}}"
    rule = "gated"
    example = f"{API}/assessments/2"  # the released free price (tests/support/market.py)
    bad_parameter = f"{API}/assessments/two"
    unknown = f"{API}/assessments/999999"
    embargoed = f"{API}/assessments/4"
    premium = f"{API}/assessments/3"
    caches = True


class TestCorrections(RouteContract):
    route = f"{API}/corrections"
    rule = "gated"
    example = f"{API}/corrections"
    bad_parameter = f"{API}/corrections?as_of=yesterday"
    caches = True


class TestLateReleases(RouteContract):
    route = f"{API}/late-releases"
    rule = "gated"
    example = f"{API}/late-releases"
    bad_parameter = f"{API}/late-releases?as_of=yesterday"
    caches = True


class TestDeskAssessments(RouteContract):
    route = f"{API}/desk/assessments"
    rule = "staff"
    caller = "analyst"
    example = f"{API}/desk/assessments?date=2026-11-26"
    bad_parameter = f"{API}/desk/assessments?date=someday"


class TestArticles(RouteContract):
    route = f"{API}/articles"
    rule = "gated"
    example = f"{API}/articles"
    bad_parameter = f"{API}/articles?limit=0"
    caches = True


class TestInstruments(RouteContract):
    route = f"{API}/instruments"
    rule = "gated"
    example = f"{API}/instruments?kind=reference"
    bad_parameter = f"{API}/instruments?kind=spaceship"
    caches = True


class TestSettlements(RouteContract):
    route = f"{API}/instruments/{{code}}/settlements"
    rule = "gated"
    example = f"{API}/instruments/LBMA-AG/settlements"
    bad_parameter = f"{API}/instruments/LBMA-AG/settlements?start=someday"
    unknown = f"{API}/instruments/NOPE/settlements"
    caches = True


class TestArbitrageWindows(RouteContract):
    route = f"{API}/arbitrage"
    rule = "gated"
    example = f"{API}/arbitrage"
    caches = True


class TestArbitrageWindow(RouteContract):
    route = f"{API}/arbitrage/{{code}}"
    rule = "gated"
    example = f"{API}/arbitrage/AG-EXPORT"
    bad_parameter = f"{API}/arbitrage/AG-EXPORT?start=someday"
    unknown = f"{API}/arbitrage/NOPE"
    caches = True


class TestIndices(RouteContract):
    route = f"{API}/indices"
    rule = "gated"
    example = f"{API}/indices"
    caches = True


class TestIndex(RouteContract):
    route = f"{API}/indices/{{code}}"
    rule = "gated"
    example = f"{API}/indices/{MATRIX_INDEX}"
    bad_parameter = f"{API}/indices/{MATRIX_INDEX}?format=pdf"
    unknown = f"{API}/indices/NOPE"
    premium = f"{API}/indices/{MATRIX_INDEX}"
    caches = True


class TestSurveys(RouteContract):
    route = f"{API}/surveys"
    rule = "public"
    example = f"{API}/surveys"
