"""A Python client for the metalwire API that returns pandas DataFrames with exact decimals.

    >>> from metalwire.client import Client
    >>> with Client("http://127.0.0.1:8000", api_key="mw_...") as mw:
    ...     silver = mw.prices("AG-INGOT-CN-SPOT", start="2026-01-01")
    ...     silver["mid"].iloc[-1]          # Decimal('7855'), never a binary float

Errors are raised as typed exceptions carrying the API's RFC 9457 problem details; list
endpoints are followed page by page until the last.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from types import TracebackType
from typing import Any

import httpx
import pandas as pd

from metalwire.pricing.price_row import (
    CLIENT_COLUMNS,
    CLIENT_DECIMALS,
    DISCLOSURE_FIELDS,
    DISCLOSURE_KINDS,
)

# A price frame's columns: the standard price row's (pricing/price_row.py), the date as index.
DECIMAL_COLUMNS = CLIENT_DECIMALS
PRICE_FRAME_COLUMNS = list(CLIENT_COLUMNS)


class MetalwireError(Exception):
    """An error answer of the API, with its problem details."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        self.type: str = problem.get("type", "about:blank")
        self.title: str = problem.get("title", "")
        self.detail: str = problem.get("detail") or self.title
        self.invalid_params: list[dict[str, str]] = problem.get("invalid_params") or []
        super().__init__(f"{status} {self.title}: {self.detail}")


class InvalidParameter(MetalwireError):
    """422: ``invalid_params`` names each bad parameter."""


class Unauthorized(MetalwireError):
    """401: no key, or an invalid or revoked one."""


class Forbidden(MetalwireError):
    """403: above the plan, or the wrong role or key scope."""


class NotFound(MetalwireError):
    """404: unknown, or not released yet."""


class RateLimited(MetalwireError):
    """429: wait ``retry_after`` seconds."""

    def __init__(self, status: int, problem: dict[str, Any], retry_after: int) -> None:
        super().__init__(status, problem)
        self.retry_after = retry_after


_ERRORS: dict[int, type[MetalwireError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    422: InvalidParameter,
}


def _iso(value: dt.date | dt.datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise ValueError("as_of needs a timezone (e.g. datetime(..., tzinfo=UTC))")
    return value.isoformat()


class Client:
    """A connection to one metalwire server."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "metalwire-client"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- transport -----------------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        response = self._http.get(path, params=clean)
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> Any:
        if response.is_success:
            return response.json()
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.reason_phrase, "detail": response.text[:200]}
        if response.status_code == 429:
            raise RateLimited(429, problem, int(response.headers.get("retry-after", "60")))
        raise _ERRORS.get(response.status_code, MetalwireError)(response.status_code, problem)

    def _dated(
        self,
        path: str,
        start: dt.date | str | None,
        end: dt.date | str | None,
        as_of: dt.datetime | str | None,
    ) -> list[dict[str, Any]]:
        """The items of a dated read that answers in one page (settlements, an index, an
        arbitrage window): from ``start`` to ``end`` as published by ``as_of``."""
        items: list[dict[str, Any]] = self._get(path, _span(start, end, as_of))["items"]
        return items

    def _pages(self, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Follow ``next`` links until the last page."""
        page = self._get(path, params)
        yield page
        while page.get("next"):
            page = self._answer(self._http.get(page["next"]))
            yield page

    # --- endpoints -----------------------------------------------------------------------------

    def catalog(self, lang: str = "en") -> pd.DataFrame:
        """One row per catalog entry: group, entry, names, active series count."""
        tree = self._get("/api/v1/catalog", {"lang": lang})
        rows = [
            {
                "group": g["code"],
                "group_name": g["name"],
                "entry": e["code"],
                "entry_name": e["name"],
                "name_en": e["name_en"],
                "name_zh": e["name_zh"],
                "series_count": e["series_count"],
            }
            for g in tree["groups"]
            for e in g["entries"]
        ]
        return pd.DataFrame(rows)

    def series(
        self,
        *,
        group: str | None = None,
        entry: str | None = None,
        tier: str | None = None,
        kind: str | None = None,
        lang: str = "en",
    ) -> pd.DataFrame:
        """Price-series definitions, indexed by code (all pages)."""
        params = {
            "group": group,
            "entry": entry,
            "tier": tier,
            "kind": kind,
            "lang": lang,
            "limit": 500,
        }
        items = [item for page in self._pages("/api/v1/series", params) for item in page["items"]]
        return _indexed(pd.DataFrame(items), "code")

    def prices(
        self,
        code: str,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
        as_of: dt.datetime | str | None = None,
    ) -> pd.DataFrame:
        """Published daily prices indexed by date, with exact Decimal values.

        With ``as_of``, exactly what was published at that instant (a back-test never sees
        the future).
        """
        params = _span(start, end, as_of)
        items = [
            item
            for page in self._pages(f"/api/v1/series/{code}/prices", params)
            for item in page["items"]
        ]
        return _price_frame(items)

    def latest(
        self,
        series: str | Sequence[str] | None = None,
        *,
        group: str | None = None,
        entry: str | None = None,
    ) -> pd.DataFrame:
        """The newest published price of each series (or of ``series`` only: a code or a list of
        codes), indexed by series code."""
        wanted = {series} if isinstance(series, str) else set(series) if series else None
        rows = []
        for item in self._get("/api/v1/prices/latest", {"group": group, "entry": entry}):
            if wanted is not None and item["series"] not in wanted:
                continue
            price = item.get("price") or {}
            rows.append(
                {
                    "series": item["series"],
                    "name": item["name"],
                    "date": dt.date.fromisoformat(price["date"]) if price else None,
                    **{c: _decimal(price.get(c)) for c in DECIMAL_COLUMNS},
                    "unit_label": item["unit_label"],
                    "state": item["state"],
                    "locked": item["locked"],
                }
            )
        return _indexed(pd.DataFrame(rows), "series")

    def survey_stats(
        self, code: str, period: str, as_of: dt.datetime | str | None = None
    ) -> dict[str, Any]:
        """A period's released survey statistics, with numbers as Decimals."""
        data = self._get(f"/api/v1/surveys/{code}/stats", {"period": period, "as_of": _iso(as_of)})
        return {key: _decimals_in(value) for key, value in data.items()}

    def survey_history(
        self,
        code: str,
        start: str | None = None,
        end: str | None = None,
        as_of: dt.datetime | str | None = None,
    ) -> pd.DataFrame:
        """Released totals per period (YYYY-MM index) with exact Decimal values."""
        data = self._get(
            f"/api/v1/surveys/{code}/history", {"start": start, "end": end, "as_of": _iso(as_of)}
        )
        rows = [
            {
                key: _decimals_in(value) if key not in ("period", "status", "version") else value
                for key, value in item.items()
            }
            for item in data["items"]
        ]
        return _indexed(pd.DataFrame(rows), "period")

    def articles(
        self, q: str | None = None, *, tag: str | None = None, lang: str | None = None
    ) -> pd.DataFrame:
        """Published articles (all pages), newest first; a premium body is absent (``locked``)
        unless the key's plan opens it."""
        params = {"q": q, "tag": tag, "lang": lang, "limit": 100}
        items = [item for page in self._pages("/api/v1/articles", params) for item in page["items"]]
        return _indexed(pd.DataFrame(items), "slug")

    def article(self, slug: str, lang: str | None = None) -> dict[str, Any]:
        """One article with its provenance (``generated_from``)."""
        result: dict[str, Any] = self._get(f"/api/v1/articles/{slug}", {"lang": lang})
        return result

    def corrections(self, as_of: dt.datetime | str | None = None) -> pd.DataFrame:
        """Published correction notices, newest first: old and new range, reason, when (values
        withheld, ``locked``, above the key's plan)."""
        rows = [
            {
                **item,
                **{k: _decimal(item[k]) for k in ("old_low", "old_high", "new_low", "new_high")},
                "date": dt.date.fromisoformat(item["date"]),
                "published_at": dt.datetime.fromisoformat(item["published_at"]),
            }
            for item in self._get("/api/v1/corrections", {"as_of": _iso(as_of)})
        ]
        return pd.DataFrame(rows)

    def late_releases(self, series: str | None = None) -> pd.DataFrame:
        """Prices released after their scheduled time, newest first, with ``late_minutes``."""
        rows = [
            {
                **item,
                "date": dt.date.fromisoformat(item["date"]),
                "scheduled_at": dt.datetime.fromisoformat(item["scheduled_at"]),
                "released_at": dt.datetime.fromisoformat(item["released_at"]),
            }
            for item in self._get("/api/v1/late-releases", {"series": series})
        ]
        return pd.DataFrame(rows)

    def settlements(
        self,
        code: str,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
        as_of: dt.datetime | str | None = None,
    ) -> pd.DataFrame:
        """An instrument's daily settlements (futures, LME, FX, reference prices) indexed by
        date, settle, volume and open interest as Decimals."""
        items = self._dated(f"/api/v1/instruments/{code}/settlements", start, end, as_of)
        return _dated_frame(items, ("settle", "volume", "open_interest"))

    def futures_curve(
        self, root: str, date: dt.date | str | None = None, as_of: dt.datetime | str | None = None
    ) -> pd.DataFrame:
        """A futures root's curve on a date (e.g. ``SHFE-CU``): one row per listed contract,
        indexed by contract month."""
        data = self._get(
            f"/api/v1/futures/{root}/curve", {"date": _iso(date), "as_of": _iso(as_of)}
        )
        rows = [
            {**item, **{k: _decimal(item.get(k)) for k in ("settle", "volume", "open_interest")}}
            for item in data["items"]
        ]
        return _indexed(pd.DataFrame(rows), "contract_month")

    def index(
        self,
        code: str,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
        as_of: dt.datetime | str | None = None,
    ) -> pd.DataFrame:
        """An index's published values indexed by date (``value`` and each constituent's
        contribution in index points, ``contribution:CODE``), as Decimals."""
        items = [
            {
                "date": item["date"],
                "value": item["value"],
                **{f"contribution:{k}": v for k, v in item.get("contributions", {}).items()},
            }
            for item in self._dated(f"/api/v1/indices/{code}", start, end, as_of)
        ]
        return _dated_frame(items, None)

    def arbitrage(
        self,
        code: str,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
        as_of: dt.datetime | str | None = None,
    ) -> pd.DataFrame:
        """An arbitrage window per market date: ``profit`` (Decimal), ``open`` and each input's
        value (``input:ROLE``)."""
        items = [
            {
                "date": item["date"],
                "profit": item.get("profit"),
                "open": item.get("open"),
                **{f"input:{r}": i.get("value") for r, i in item.get("inputs", {}).items()},
            }
            for item in self._dated(f"/api/v1/arbitrage/{code}", start, end, as_of)
        ]
        return _dated_frame(items, None, keep=("open",))

    def disclosure(
        self, code: str, date: dt.date | str, as_of: dt.datetime | str | None = None
    ) -> dict[str, Any]:
        """What the published price of a date was made of (pricing/price_row.py
        DisclosureRow): transactions, volume, input shares, judgment and its reason,
        exclusions; the date as a date, volumes and shares as Decimals."""
        params = {"as_of": _iso(as_of)} if as_of is not None else None
        item = self._get(f"/api/v1/series/{code}/prices/{_iso(date)}/disclosure", params)
        return {
            name: dt.date.fromisoformat(item[name])
            if DISCLOSURE_KINDS[name] == "date"
            else _decimal(item[name])
            if DISCLOSURE_KINDS[name] == "quantity"
            else item[name]
            for name in DISCLOSURE_FIELDS
        }

    def assessment(self, assessment_id: int) -> dict[str, Any]:
        """How a published price was made (inputs, exclusions, method, statistics)."""
        result: dict[str, Any] = self._get(f"/api/v1/assessments/{assessment_id}")
        return result


NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _decimals_in(value: Any) -> Any:
    """Decimal strings anywhere in a JSON value become Decimals; names stay strings."""
    if isinstance(value, str) and NUMBER.match(value):
        return Decimal(value)
    if isinstance(value, list):
        return [_decimals_in(v) for v in value]
    if isinstance(value, dict):
        return {
            k: v
            if k in ("name", "name_en", "name_zh", "respondent", "code", "period")
            else _decimals_in(v)
            for k, v in value.items()
        }
    return value


def _span(
    start: dt.date | str | None, end: dt.date | str | None, as_of: dt.datetime | str | None
) -> dict[str, str | None]:
    """The query of a dated read: first and last market date, and the instant published by."""
    return {"start": _iso(start), "end": _iso(end), "as_of": _iso(as_of)}


def _indexed(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` indexed by ``column`` (an empty answer has no columns to index by)."""
    return frame.set_index(column) if not frame.empty else frame


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _dated_frame(
    items: list[dict[str, Any]],
    numbers: Sequence[str] | None,
    *,
    keep: Sequence[str] = (),
) -> pd.DataFrame:
    """Rows by market date, the given columns (all but ``keep`` when None) as Decimals."""
    rows = []
    for item in items:
        row: dict[str, Any] = {"date": dt.date.fromisoformat(item["date"])}
        for key, value in item.items():
            if key == "date":
                continue
            number = key not in keep and (numbers is None or key in numbers)
            row[key] = _decimal(value) if number and isinstance(value, str) else value
        rows.append(row)
    return _indexed(pd.DataFrame(rows), "date")


def as_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every Decimal column as float64, for plotting and numerical work; the
    exact published digits stay in ``frame`` (floats may not round-trip them)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].map(lambda v: isinstance(v, Decimal)).any():
            out[column] = pd.to_numeric(out[column].map(_to_float), errors="coerce")
    return out


def _to_float(value: Any) -> float | None:
    return float(value) if isinstance(value, Decimal) else None if value is None else value


def _price_frame(items: list[dict[str, Any]]) -> pd.DataFrame:
    rows = []
    for item in items:
        row: dict[str, Any] = {
            c: _decimal(item.get(c)) if c in DECIMAL_COLUMNS else item[c]
            for c in PRICE_FRAME_COLUMNS
        }
        row["date"] = dt.date.fromisoformat(item["date"])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["date", *PRICE_FRAME_COLUMNS])
    # Decimals stay Python Decimals (object dtype): float64 would change published digits.
    for column in DECIMAL_COLUMNS:
        frame[column] = frame[column].astype(object)
    return frame.set_index("date")
