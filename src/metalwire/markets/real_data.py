"""The real public price data shipped with the package, written out as market import files.

The files under demo/data/real/ keep their sources' shapes (see SOURCES.md there); this turns
them into the `metalwire import market` format so they load through the one real import path.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from metalwire.markets.data_rows import MARKET_COLUMNS

REAL = "data/real"
# World Bank Pink Sheet column -> (instrument, unit)
WORLD_BANK = {
    "aluminum_usd_per_mt": ("WB-ALUMINUM", "mt"),
    "iron_ore_cfr_china_usd_per_dmtu": ("WB-IRON-ORE", "dmtu"),
    "copper_usd_per_mt": ("WB-COPPER", "mt"),
    "lead_usd_per_mt": ("WB-LEAD", "mt"),
    "tin_usd_per_mt": ("WB-TIN", "mt"),
    "nickel_usd_per_mt": ("WB-NICKEL", "mt"),
    "zinc_usd_per_mt": ("WB-ZINC", "mt"),
    "gold_usd_per_troy_oz": ("WB-GOLD", "oz"),
    "platinum_usd_per_troy_oz": ("WB-PLATINUM", "oz"),
    "silver_usd_per_troy_oz": ("WB-SILVER", "oz"),
}


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("metalwire.demo").joinpath(f"{REAL}/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def write_import_files(folder: Path) -> list[Path]:
    """Write the World Bank monthly metals and the FRED USD/CNY rates as import files.

    Monthly values are dated the first day of their month. FX is CNY per 1 USD, quoted as a
    price of one USD: currency CNY, unit "pt" (a rate, not a mass).
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    metals = folder / "worldbank_metals_monthly.csv"
    with metals.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MARKET_COLUMNS)
        for row in _rows("worldbank_pinksheet_metals_monthly_usd.csv"):
            for column, (instrument, unit) in WORLD_BANK.items():
                if row[column]:
                    writer.writerow(
                        [instrument, f"{row['month']}-01", row[column], "", "", "USD", unit]
                    )
    written.append(metals)
    for source, instrument, key, name in (
        ("usd_cny_daily_fred_dexchus.csv", "FRED-USDCNY", "date", "usd_cny_daily.csv"),
        ("usd_cny_monthly_fred.csv", "FRED-USDCNY-M", "month", "usd_cny_monthly.csv"),
    ):
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(MARKET_COLUMNS)
            for row in _rows(source):
                day = row[key] if key == "date" else f"{row[key]}-01"
                writer.writerow([instrument, day, row["cny_per_usd"], "", "", "CNY", "pt"])
        written.append(path)
    return written
