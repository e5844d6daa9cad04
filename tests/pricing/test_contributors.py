"""Contributors: stored public codes, the desk's quality statistics (named, staff only), and a
contributor's own submissions read back through the account linked to it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from metalwire.accounts.models import Role
from metalwire.cli import app as cli_app
from metalwire.pricing.contributors import contributors
from tests import support
from tests.pricing.conftest import AFTER_RELEASE, BEFORE_RELEASE, DAY, SILVER, Desk
from tests.pricing.test_api import bearer, key_for, publish
from tests.pricing.test_disclosure import DEALS

runner = CliRunner()
LATE = dt.datetime(2026, 11, 25, 3, 10, tzinfo=dt.UTC)  # 11:10 Shanghai: after the 11:00 cut-off


def _codes(desk: Desk) -> dict[str, str]:
    with desk.db.transaction() as session:
        return {c.name: c.code for c in contributors(session)}


def test_codes_are_given_once_in_order_of_first_submission(desk: Desk) -> None:
    desk.submit(SILVER, DAY, [("7700", "10"), ("7720", "10")])
    assert _codes(desk) == {"trader-0": "C-01", "trader-1": "C-02"}
    desk.submit(SILVER, DAY, [("7700", "10"), ("7720", "10"), ("7740", "10")])
    assert _codes(desk) == {"trader-0": "C-01", "trader-1": "C-02", "trader-2": "C-03"}


def _published_with_a_late_one(desk: Desk) -> None:
    desk.submit(SILVER, DAY, [("7730", "50")], received=LATE)  # trader-0, late
    publish(desk, SILVER, DAY, DEALS)  # trader-3's 9,900 is the outlier


def test_the_desk_sees_each_contributors_exclusions_and_lateness(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    _published_with_a_late_one(desk)
    at(AFTER_RELEASE)
    url = f"/api/v1/desk/contributors?start={DAY}&end={DAY}"
    assert client.get(url).status_code == 403
    reader = key_for(desk, "buyer@mill.cn", Role.SUBSCRIBER, "enterprise")
    assert client.get(url, headers=bearer(reader)).status_code == 403
    analyst = key_for(desk, "quality@desk.cn", Role.ANALYST, "enterprise")
    rows = {r["name"]: r for r in client.get(url, headers=bearer(analyst)).json()}
    assert rows["trader-0"]["code"] == "C-01"
    assert (rows["trader-0"]["submissions"], rows["trader-0"]["late"]) == (2, 1)
    assert rows["trader-0"]["late_rate"] == "50.00"
    assert rows["trader-3"]["excluded"] == 1 and rows["trader-3"]["exclusion_rate"] == "100.00"
    assert rows["trader-1"]["excluded"] == 0 and rows["trader-1"]["late"] == 0
    # The calendar's first day has no 30 days before it: the period starts with the calendar.
    first = client.get("/api/v1/desk/contributors?end=0001-01-01", headers=bearer(analyst))
    assert first.status_code == 200 and first.json() == []

    support.sign_in(client, desk.db, desk.analyst.email)
    page = client.get("/desk/contributors?days=7")
    assert page.status_code == 200 and "trader-3" in page.text and "C-04" in page.text
    client.cookies.clear()
    assert "trader-3" not in client.get("/desk/contributors").text


def test_a_linked_account_reads_its_own_submissions_by_code_only(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None], env_db: object
) -> None:
    _published_with_a_late_one(desk)
    key = key_for(desk, "desk@trader3.cn", Role.READER, "free")
    url = f"/api/v1/contributions?start={DAY}&end={DAY}"
    at(BEFORE_RELEASE)
    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(key)).status_code == 404  # not linked yet

    linked = runner.invoke(cli_app, ["contributor", "link", "C-04", "--user", "desk@trader3.cn"])
    assert linked.exit_code == 0, linked.output
    listed = json.loads(runner.invoke(cli_app, ["contributor", "list", "--json"]).output)
    assert {"code": "C-04", "name": "trader-3", "user": "desk@trader3.cn"} in listed
    other = key_for(desk, "other@mill.cn", Role.READER, "free")
    taken = runner.invoke(cli_app, ["contributor", "link", "C-04", "--user", "other@mill.cn"])
    assert taken.exit_code == 0  # the contributor changes hands: the former account is unlinked
    assert client.get(url, headers=bearer(key)).status_code == 404
    runner.invoke(cli_app, ["contributor", "link", "C-04", "--user", "desk@trader3.cn"])
    assert client.get(url, headers=bearer(other)).status_code == 404
    refused = runner.invoke(cli_app, ["contributor", "link", "C-99", "--user", "other@mill.cn"])
    assert refused.exit_code == 1

    body = client.get(url, headers=bearer(key)).json()
    assert body["contributor"] == "C-04" and "trader-3" not in json.dumps(body)
    [item] = body["items"]
    assert (item["series"], item["price"], item["late"]) == (SILVER, "9900", False)
    assert item["outcome"] is None and item["exclusion_reason"] is None  # not out yet
    at(AFTER_RELEASE)
    [item] = client.get(url, headers=bearer(key)).json()["items"]
    assert item["outcome"] == "excluded" and item["exclusion_reason"]


def test_the_migration_gives_existing_contributors_codes_in_order_of_first_submission(
    desk: Desk,
) -> None:
    from alembic import command

    from metalwire.db.migrate import alembic_config, upgrade

    desk.submit(SILVER, DAY, [("7700", "10"), ("7720", "10"), ("7740", "10")])
    engine = desk.db.engine
    command.downgrade(alembic_config(engine), "0012")
    upgrade(engine)
    assert _codes(desk) == {"trader-0": "C-01", "trader-1": "C-02", "trader-2": "C-03"}
    desk.submit(SILVER, DAY, [("7700", "10")] * 4 + [("7760", "10")])  # trader-4 is new
    assert _codes(desk)["trader-4"] == "C-05"


def test_a_published_price_names_its_inputs_by_code_never_by_name(
    desk: Desk, client: TestClient, at: Callable[[dt.datetime], None]
) -> None:
    _published_with_a_late_one(desk)
    at(AFTER_RELEASE)
    [row] = client.get(f"/api/v1/series/{SILVER}/prices").json()["items"]
    for lang in ("en", "zh"):
        answer = client.get(f"/api/v1/assessments/{row['assessment_id']}?lang={lang}")
        assert answer.status_code == 200 and "trader-" not in answer.text
        body = answer.json()
        codes = _codes(desk)
        by_id = {i["submission_id"]: i["contributor"] for i in body["inputs"]}
        assert sorted(by_id) == sorted(body["inputs_used"])
        assert set(by_id.values()) <= set(codes.values()) and None not in by_id.values()
        (outlier,) = [x for x in body["excluded"] if "9" in x["price"][:1]]
        assert outlier["contributor"] == codes["trader-3"]
        assert all(x["contributor"] in codes.values() for x in body["excluded"])
    page = client.get(f"/series/{SILVER}").text
    assert "trader-" not in page and f"<code>{codes['trader-3']}</code> ·" in page
    assert "data-contributors" in page
