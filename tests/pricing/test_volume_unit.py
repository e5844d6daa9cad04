"""Deal volumes are reported in the series' quoting unit, and every volume says which it is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.pricing.conftest import AFTER_RELEASE, DAY, SILVER, Desk
from tests.pricing.test_api import DEALS, publish


def test_a_kilogram_series_explains_its_deals_in_kilograms(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    # AG-INGOT-CN-SPOT is quoted in yuan/kg: its deals are kilograms, never tonnes.
    publish(desk, SILVER, DAY, DEALS)
    at(AFTER_RELEASE + dt.timedelta(hours=1))
    [row] = client.get(f"/api/v1/series/{SILVER}/prices").json()["items"]
    detail = client.get(f"/api/v1/assessments/{row['assessment_id']}").json()
    assert detail["explanation"] == "Transaction-based: 5 deals, 60 kg.", detail["explanation"]
    page = client.get(f"/series/{SILVER}").text
    assert "5 deals, 60 kg" in page and "60 t" not in page
