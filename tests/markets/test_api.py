"""Markets over HTTP, on both databases: arbitrage and index values recomputed by hand from the
inputs the API returns, reads as of an instant before a correction, the access gate (tier of the
index series, locked constituents, embargo, exports), instruments, settlements, futures curves
and the pages."""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metalwire.accounts import service as accounts
from metalwire.accounts.models import Role, Scope
from metalwire.indices import service as indices
from metalwire.markets import service as markets
from tests.conftest import Desk, define_demo_series
from tests.markets.conftest import AS_OF, D1, D2, D3
from tests.markets.helpers import correct, load
from tests.support import publish, three_deals

OZ_PER_KG = Decimal("32.1507466")
CENT = Decimal("0.01")
PREMIUM_MIDS = ("4141", "4343", "4747")  # digits that appear nowhere else


@pytest.fixture
def market(silver: Desk, app: FastAPI) -> dict[str, dict[str, str]]:
    """The silver market, three indices and API keys for a reader and a subscriber."""
    app.state.clock = lambda: AS_OF
    define_demo_series(silver.db, "MW-NONFERROUS-INDEX", "MW-NEW-ENERGY-INDEX")
    for day, mid in zip((D1, D2, D3), PREMIUM_MIDS, strict=True):
        publish(silver, "AG-INGOT-CN-PREMIUM", day, three_deals(mid, mid, mid))
    definitions = [
        # No catalog series of its own: free, as all its series constituents are.
        {
            "code": "MW-SILVER-MIX",
            "name": "Silver, Shanghai and London",
            "base_value": "1000",
            "base_period": {"start": D1.isoformat(), "end": D1.isoformat()},
            "formula": "laspeyres",
            "constituents": [
                {"series": "AG-INGOT-CN-SPOT", "weight": "3"},
                {"instrument": "LBMA-AG", "weight": "1"},
            ],
        },
        # Its own catalog series is free; one constituent is premium.
        {
            "code": "MW-NONFERROUS-INDEX",
            "name": "Non-ferrous (test)",
            "base_value": "1000",
            "base_period": {"start": D1.isoformat(), "end": D2.isoformat()},
            "formula": "laspeyres",
            "constituents": [
                {"series": "AG-INGOT-CN-SPOT", "weight": "7"},
                {"series": "AG-INGOT-CN-PREMIUM", "weight": "3"},
            ],
        },
        # Its own catalog series is premium.
        {
            "code": "MW-NEW-ENERGY-INDEX",
            "name": "New energy (test)",
            "base_value": "1000",
            "base_period": {"start": D1.isoformat(), "end": D1.isoformat()},
            "formula": "laspeyres",
            "constituents": [{"series": "AG-INGOT-CN-SPOT", "weight": "1"}],
        },
    ]
    keys: dict[str, dict[str, str]] = {"anonymous": {}}
    with silver.db.transaction() as session:
        for item in definitions:
            indices.define(session, json.dumps(item), actor="t")
        for name, role, plan in (
            ("reader", Role.READER, "free"),
            ("subscriber", Role.SUBSCRIBER, "subscriber"),
        ):
            accounts.add_user(session, f"{name}@x.cn", role=role, plan=plan, actor="t")
            secret = accounts.create_api_key(session, f"{name}@x.cn", Scope.READ, actor="t").secret
            keys[name] = {"Authorization": f"Bearer {secret}"}
    return keys


def get(client: TestClient, url: str, who: dict[str, str] | None = None) -> Any:
    response = client.get(url, headers=who or {})
    assert response.status_code == 200, response.text
    return response.json()


def exact(value: Decimal, places: Decimal = CENT) -> Decimal:
    return value.quantize(places, ROUND_HALF_UP)


# --- arbitrage -----------------------------------------------------------------------------------


def test_arbitrage_results_recompute_by_hand_from_the_returned_inputs(
    market: dict[str, dict[str, str]], client: TestClient
) -> None:
    body = get(client, "/api/v1/arbitrage/AG-EXPORT")
    assert [i["date"] for i in body["items"]] == [d.isoformat() for d in (D1, D2, D3)]
    for item in body["items"]:
        v = {role: Decimal(i["value"]) for role, i in item["inputs"].items()}
        p = {k: Decimal(item["parameters"][k]) for k in ("vat", "other_costs", "port_costs")}
        with localcontext() as context:
            context.prec = 50
            london = v["london"] * OZ_PER_KG * v["cny_per_usd"]
            shanghai = v["shanghai"] / (1 + p["vat"])
            costs = p["other_costs"] + p["port_costs"] / 1000
            assert Decimal(item["profit"]) == exact(london - shanghai - costs)
        assert Decimal(item["result"]["london_yuan_kg"]) == exact(london)
        assert item["open"] is (Decimal(item["profit"]) > 0)
        assert item["inputs"]["shanghai"]["source"] == "series"
        assert item["inputs"]["shanghai"]["assessment_id"] is not None
        assert item["inputs"]["cny_per_usd"]["code"] == item["parameters"]["fx_source"]
    assert body["items"][2]["inputs"]["london"]["date"] == D2.isoformat()  # carried forward
    assert body["windows"] == [
        {
            "opened": D1.isoformat(),
            "closed": D3.isoformat(),
            "days": 2,
            "peak_profit": body["items"][1]["profit"],
            "peak_on": D2.isoformat(),
        }
    ]
    listed = {w["code"]: w for w in get(client, "/api/v1/arbitrage")}
    assert listed["AG-EXPORT"]["latest"] == {
        "date": D3.isoformat(),
        "profit": body["items"][2]["profit"],
        "open": False,
    }
    assert listed["AG-IMPORT"]["open_since"] == D3.isoformat()
    # Copper's inputs include premium series: locked for free readers, open to subscribers.
    assert listed["CU-IMPORT"]["locked"] and listed["CU-IMPORT"]["latest"] is None
    assert client.get("/api/v1/arbitrage/CU-IMPORT").status_code == 403
    assert get(client, "/api/v1/arbitrage/CU-IMPORT", market["subscriber"])["items"] == []
    missing = client.get("/api/v1/arbitrage/NOPE")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_arbitrage_as_of_before_a_correction_is_what_was_shown_then(
    market: dict[str, dict[str, str]], client: TestClient, app: FastAPI, silver: Desk
) -> None:
    shown = get(client, "/api/v1/arbitrage/AG-EXPORT")["items"][0]
    at = AS_OF + dt.timedelta(hours=1)
    correct(silver, "AG-INGOT-CN-SPOT", D1, "10500", at)
    app.state.clock = lambda: at + dt.timedelta(hours=1)
    before = (at - dt.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    then = get(client, f"/api/v1/arbitrage/AG-EXPORT?as_of={before}")["items"][0]
    now = get(client, "/api/v1/arbitrage/AG-EXPORT")["items"][0]
    assert then == shown
    assert now["inputs"]["shanghai"]["value"] == "10500"
    assert now["inputs"]["shanghai"]["version"] == 2
    assert now["profit"] != shown["profit"]


# --- indices -------------------------------------------------------------------------------------


def by_hand(body: dict[str, Any], item: dict[str, Any]) -> Decimal:
    """I_t = base_value × Σ w_i · p_i,t / (base_sum_i / base_count_i), rounded half-up."""
    weights = {c["code"]: Decimal(c["weight"]) for c in body["constituents"]}
    total = sum(weights.values())
    with localcontext() as context:
        context.prec = 50
        value = Decimal(body["base_value"]) * sum(
            weights[c["code"]]
            / total
            * Decimal(item["prices"][c["code"]])
            * c["base_count"]
            / Decimal(c["base_sum"])
            for c in body["constituents"]
        )
    return exact(value, Decimal(1).scaleb(-body["decimals"]))


def test_index_values_recompute_by_hand_from_the_returned_inputs(
    market: dict[str, dict[str, str]], client: TestClient
) -> None:
    body = get(client, "/api/v1/indices/MW-SILVER-MIX")
    assert body["tier"] == "free" and body["series"] is None
    assert [i["date"] for i in body["items"]] == [d.isoformat() for d in (D1, D2, D3)]
    assert body["items"][0]["value"] == "1000.00"  # the base day
    for item in body["items"]:
        assert Decimal(item["value"]) == by_hand(body, item)
        assert sum(Decimal(c) for c in item["contributions"].values()) == Decimal(item["value"])
    # London silver has no D3 price: it enters at D2's, which the answer says.
    assert body["items"][2]["carried_forward"] == {"LBMA-AG": D2.isoformat()}
    assert body["items"][2]["prices"]["LBMA-AG"] == "41.5"
    listed = {i["code"]: i for i in get(client, "/api/v1/indices")}
    latest = {"date": D3.isoformat(), "value": body["items"][2]["value"]}
    assert listed["MW-SILVER-MIX"]["latest"] == latest


def test_as_of_before_a_constituent_correction_gives_the_old_value(
    market: dict[str, dict[str, str]], client: TestClient, app: FastAPI, silver: Desk
) -> None:
    old = get(client, "/api/v1/indices/MW-SILVER-MIX")
    at = AS_OF + dt.timedelta(hours=1)
    correct(silver, "AG-INGOT-CN-SPOT", D2, "10300", at)
    app.state.clock = lambda: at + dt.timedelta(hours=1)
    before = (at - dt.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    then = get(client, f"/api/v1/indices/MW-SILVER-MIX?as_of={before}")
    now = get(client, "/api/v1/indices/MW-SILVER-MIX")
    assert then["items"] == old["items"]
    assert now["items"][1]["prices"]["AG-INGOT-CN-SPOT"] == "10300"
    assert now["items"][1]["value"] != old["items"][1]["value"]
    assert Decimal(now["items"][1]["value"]) == by_hand(now, now["items"][1])


def test_the_index_series_tier_decides_and_a_premium_index_is_403_for_anonymous(
    market: dict[str, dict[str, str]], client: TestClient
) -> None:
    for who in ("anonymous", "reader"):
        denied = client.get("/api/v1/indices/MW-NEW-ENERGY-INDEX", headers=market[who])
        assert denied.status_code == 403, who
        assert denied.json()["type"].endswith("plan-required")
    body = get(client, "/api/v1/indices/MW-NEW-ENERGY-INDEX", market["subscriber"])
    assert body["tier"] == "premium" and len(body["items"]) == 3
    listed = {i["code"]: i for i in get(client, "/api/v1/indices")}
    assert (
        listed["MW-NEW-ENERGY-INDEX"]["locked"] and listed["MW-NEW-ENERGY-INDEX"]["latest"] is None
    )


def test_a_premium_constituent_of_a_free_index_is_locked(
    market: dict[str, dict[str, str]], client: TestClient
) -> None:
    response = client.get("/api/v1/indices/MW-NONFERROUS-INDEX")
    assert response.status_code == 200
    for digits in PREMIUM_MIDS:
        assert digits not in response.text
    body = response.json()
    premium = next(c for c in body["constituents"] if c["code"] == "AG-INGOT-CN-PREMIUM")
    assert premium["locked"] and premium["base_sum"] is None
    assert all(i["prices"]["AG-INGOT-CN-PREMIUM"] is None for i in body["items"])
    assert all(i["contributions"]["AG-INGOT-CN-PREMIUM"] is None for i in body["items"])
    full = get(client, "/api/v1/indices/MW-NONFERROUS-INDEX", market["subscriber"])
    assert [i["value"] for i in full["items"]] == [i["value"] for i in body["items"]]
    for item in full["items"]:
        assert Decimal(item["value"]) == by_hand(full, item)
    assert any(digits in json.dumps(full) for digits in PREMIUM_MIDS)


def test_an_index_with_its_own_series_is_out_at_that_series_release_time(
    market: dict[str, dict[str, str]], client: TestClient, app: FastAPI
) -> None:
    # 12:00 Shanghai on D3: the constituents are out (11:30), the index not before 15:30.
    app.state.clock = lambda: dt.datetime(2026, 11, 25, 4, 0, tzinfo=dt.UTC)
    noon = get(client, "/api/v1/indices/MW-NONFERROUS-INDEX", market["subscriber"])
    assert [i["date"] for i in noon["items"]] == [D1.isoformat(), D2.isoformat()]
    assert get(client, "/api/v1/indices/MW-SILVER-MIX")["items"][-1]["date"] == D3.isoformat()
    # 10:00 Shanghai: D3's constituents are not released; nothing of D3 enters anywhere.
    app.state.clock = lambda: dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)
    early = get(client, "/api/v1/indices/MW-SILVER-MIX")
    assert early["items"][-1]["date"] == D2.isoformat()
    assert "10800" not in json.dumps(early)


def test_index_exports_need_the_export_right(
    market: dict[str, dict[str, str]], client: TestClient
) -> None:
    assert client.get("/api/v1/indices/MW-SILVER-MIX?format=csv").status_code == 403
    response = client.get("/api/v1/indices/MW-SILVER-MIX?format=csv", headers=market["subscriber"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0] == "date,value,AG-INGOT-CN-SPOT,LBMA-AG"
    assert lines[1].startswith(f"{D1.isoformat()},1000.00,")
    assert client.get("/api/v1/indices/NOPE").status_code == 404


# --- instruments, settlements, curves ------------------------------------------------------------


def test_instruments_settlements_and_their_versions(
    market: dict[str, dict[str, str]],
    client: TestClient,
    app: FastAPI,
    silver: Desk,
    tmp_path: Path,
) -> None:
    listed = {i["code"]: i for i in get(client, "/api/v1/instruments")}
    assert listed["LBMA-AG"]["latest"]["settle"] == "41.5"
    assert listed["SHFE-CU-FRONT"]["vat_inclusive"] is True
    assert listed["SHFE-CU-FRONT"]["latest"] is None
    lme = get(client, "/api/v1/instruments?kind=lme")
    assert {i["kind"] for i in lme} == {"lme"} and len(lme) == 6
    assert client.get("/api/v1/instruments?kind=bond").status_code == 422
    at = AS_OF + dt.timedelta(hours=1)
    load(silver.db, tmp_path, [("LBMA-AG", D2, "41.200")], at)
    app.state.clock = lambda: at + dt.timedelta(minutes=5)
    now = get(client, "/api/v1/instruments/LBMA-AG/settlements")
    assert [(i["date"], i["settle"], i["version"]) for i in now["items"]] == [
        (D1.isoformat(), "41", 1),
        (D2.isoformat(), "41.2", 2),
    ]
    before = get(client, "/api/v1/instruments/LBMA-AG/settlements?as_of=2026-11-26T00:30:00Z")
    assert before["items"][1]["settle"] == "41.5"
    assert client.get("/api/v1/instruments/NOPE/settlements").status_code == 404


def test_the_futures_curve_lists_contract_months(
    market: dict[str, dict[str, str]], client: TestClient, silver: Desk, tmp_path: Path
) -> None:
    with silver.db.transaction() as session:
        for month in ("2026-12", "2027-01", "2027-02"):
            code = f"SHFE-CU-{month[2:4]}{month[5:]}"
            spec = markets.InstrumentSpec(
                code=code,
                name_en=code,
                name_zh=code,
                kind="future",
                exchange="SHFE",
                contract_month=month,
                currency="CNY",
                unit="mt",
                vat_inclusive=True,
            )
            markets.define_instrument(session, spec, actor="t")
    rows = [
        ("SHFE-CU-2701", D2, "85500"),
        ("SHFE-CU-2612", D2, "85380"),
        ("SHFE-CU-FRONT", D2, "85380"),
        ("SHFE-CU-2702", D2, "85610"),
    ]
    load(
        silver.db, tmp_path, rows, AS_OF - dt.timedelta(hours=1), volume="100", open_interest="900"
    )
    curve = get(client, "/api/v1/futures/SHFE-CU/curve?date=2026-11-25")
    assert curve["date"] == D2.isoformat()  # the newest on or before the date asked
    assert [(i["contract_month"], i["settle"]) for i in curve["items"]] == [
        ("2026-12", "85380"),
        ("2027-01", "85500"),
        ("2027-02", "85610"),
    ]
    assert curve["front"]["settle"] == "85380" and curve["items"][0]["volume"] == "100"
    assert client.get("/api/v1/futures/SHFE-XX/curve").status_code == 404
    with silver.db.transaction() as session, pytest.raises(markets.InstrumentError):
        spec = markets.InstrumentSpec(
            code="SHFE-CU-2612",
            name_en="x",
            name_zh="x",
            kind="future",
            contract_month="2026-12",
            currency="USD",
            unit="mt",
        )
        markets.define_instrument(session, spec, actor="t")


# --- pages ---------------------------------------------------------------------------------------


def test_market_pages_show_charts_tables_and_respect_the_gate(
    market: dict[str, dict[str, str]], client: TestClient
) -> None:
    for url in ("/futures", "/indices", "/arbitrage"):
        assert client.get(url).status_code == 200, url
    export = client.get("/arbitrage/AG-EXPORT").text
    assert "<svg" in export and "<polyline" in export and "LBMA-AG" in export
    assert "When the window opened and closed" in export
    index = client.get("/indices/MW-SILVER-MIX").text
    assert "<svg" in index and "1,000.00" in index
    locked = client.get("/indices/MW-NEW-ENERGY-INDEX").text
    assert "Subscribe to see these values" in locked and "<polyline" not in locked
    copper = client.get("/arbitrage/CU-IMPORT").text
    assert "Subscribe to see these values" in copper and "220" in copper  # parameters are public
    free = client.get("/indices/MW-NONFERROUS-INDEX").text
    for digits in PREMIUM_MIDS:
        assert digits not in free
    assert client.get("/indices/NOPE").status_code == 404
    assert client.get("/arbitrage/NOPE").status_code == 404
    zh = client.get("/arbitrage/AG-EXPORT?lang=zh").text
    assert "套利" in zh and "窗口" in zh
