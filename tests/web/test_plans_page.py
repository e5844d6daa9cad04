"""The plans page compares what each plan opens; every call to subscribe leads there."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.pricing.conftest import DAY, PREMIUM, Desk
from tests.pricing.test_api import PREMIUM_DEALS, publish


def test_the_plans_page_compares_the_plans_in_both_languages(client: TestClient) -> None:
    page = client.get("/plans?lang=en").text
    rows = re.findall(r'<tr id="plan-([a-z-]+)"', page)
    assert rows == ["free", "subscriber", "enterprise"]  # narrowest first
    free = re.search(r'<tr id="plan-free".*?</tr>', page, re.S)
    assert free and "Free series" in free.group(0) and "The last 30 days" in free.group(0)
    assert "60 requests a minute" in free.group(0) and ">No<" in free.group(0)
    whole = re.search(r'<tr id="plan-enterprise".*?</tr>', page, re.S)
    assert whole and "The whole history" in whole.group(0) and "Free and premium" in whole.group(0)
    zh = client.get("/plans?lang=zh").text
    assert "套餐对比" in zh and "最近 30 天" in zh


def test_subscribe_leads_to_the_plans_and_next_stays_on_the_site(
    desk: Desk, client: TestClient
) -> None:
    publish(desk, PREMIUM, DAY, PREMIUM_DEALS)
    locked = client.get(f"/series/{PREMIUM}?lang=en").text
    assert f'href="/plans?next=/series/{PREMIUM}"' in locked
    page = client.get("/plans?next=/series/X&lang=en").text
    assert 'href="/sign-in?next=/series/X"' in page
    for hostile in ("https://evil.example/", "//evil.example/"):
        page = client.get("/plans", params={"next": hostile}).text
        assert "evil.example" not in page
