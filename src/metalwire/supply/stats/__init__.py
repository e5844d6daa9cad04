"""Production-survey statistics: a panel's monthly returns in, a release's figures out.

Pure code: no database, no web. A survey panel of smelters files one return a month (output,
end-of-month inventory, next month's forecast, reason codes for the change). From the returns
of the period, the previous period, the same month last year and this year's months, ``compute``
derives what a survey release publishes (METHODS.md, "Production surveys"): output and its
change month on month, year on year and year to date, the breakdown by province and producer
type, the main supply provinces, operating rates, capacity and coverage, smelter inventory, the
forecast with its movers and their reasons, the variance to last month's forecast, and the
provenance of every figure.

Choices the methodology documents:

* Periods are calendar months ('YYYY-MM'). A panel member is *active* in a month when its
  ``active_from``..``active_to`` dates (inclusive, either open) overlap any day of the month;
  its whole capacity then counts for the month (no pro-rating of part months).
* Non-response (ONS / US Census practice): an active member without a return is imputed as its
  previous-month value x the link of its class, link = Σ y_t / Σ y_t−1 (ratio of means) over
  the members of the same producer type that *returned* in both months. A class without such
  members, or whose members produced nothing last month, takes the link of the whole matched
  sample (class ``"all"``). The previous-month value may itself be imputed (chained imputation,
  as ONS does): a member that stops reporting is carried forward by the links until the panel
  register closes it with ``active_to``. A member with no previous value, or in a month where
  nobody returned in both months (no link at all), cannot be imputed: it is listed as
  ``missing`` and contributes nothing. The chain starts at the earliest return handed in, so the
  caller decides how far back imputation may reach.
* A return is never thrown away: a return from a member outside its active dates counts in
  production (it is real output), but not in the capacity or the operating rate, which cover
  the active members' output and capacity only. A return from a respondent not in the panel,
  or two returns of one respondent for one month, are refused (ValueError).
* Changes month on month are computed on the *matched sample*, the respondents with a value
  (reported or imputed) in both months; panel additions (``new_respondents``: a return now, no
  value last month) and departures (``dropped_respondents``: a value last month, none now
  because the member left the panel) are listed with their volumes instead, so a panel change
  is never read as a market change. Group changes (province, producer type) are matched within
  the group; a group with no matched respondent has no change (``None``). Year on year is the
  same against the same month last year; ``None`` when no respondent has a value in both.
* Totals reconcile (``output_bridge``, ``inventory_bridge``): beside the matched change, a
  release publishes last month's total (as its returns stand now), the total's own change
  (this month's published level minus last month's, so level − change = last month's level
  exactly) and its parts: change = matched change + newcomers' volume − leavers' volume last
  month − the volume last month of active members neither reporting nor estimable, exact
  before rounding (each part rounded once, so published parts may miss the total change by
  the rounding). Imputed values belong to the matched sample. Inventories likewise, where a
  newcomer is a smelter reporting stocks this month only and a leaver one that reported them
  last month only.
* Year to date is the sum of the monthly totals (imputation included) from January to the
  period, unadjusted; its change is against the same months of last year and is ``None`` unless
  every one of those months, in both years, has survey data.
* Main supply provinces: provinces by volume, largest first (ties by name), up to and including
  the first whose cumulative volume reaches ``main_share`` of the total.
* Operating rate = output / (capacity x days in month / 365) x 100, whole panel and per
  producer type; the year is 365 days as the method states, leap years included.
* Inventory is the sum of the inventories reported this month (never imputed); its change is
  matched on the respondents reporting an inventory in both months, so a smelter starting or
  stopping to report stocks does not move it.
* The forecast total sums each respondent's forecast, or its current output (reported or
  imputed) when it gave none: no forecast is read as "no change". Movers are the provinces and
  producer types whose forecast differs from their output, ranked by that difference, largest
  cut or increase first; each lists the reason codes of the respondents moving the same way,
  ordered by the volume behind them, and only those reasons that move output that way
  (``moves`` in supply/data/reasons.yaml): a smelter back from maintenance that forecasts more
  explains its increase with none of the maintenance it cites for this month.
* A reason code cited twice in one return counts once.
* Reasons: each reason code is attributed the whole month-on-month change of every matched
  respondent citing it, ranked by absolute volume. A respondent citing two codes counts in
  both, so reason volumes do not add up to the MoM change; they say how much output each
  explanation covers.
* Forecast variance = this month's output minus last month's published forecast total
  (recomputed from last month's returns as they stand, so it equals the published figure
  unless those returns were revised), unadjusted for panel changes.
* Everything is exact decimal arithmetic in a private 50-digit context; published volumes are
  rounded half-up to ``decimals``, percentages to 2 decimals, imputation links to 6, once, at
  the end. Rounded parts (provinces, shares) may therefore miss their rounded total by the
  rounding. ``production`` and the figures derived from it are ``None`` for a month without
  any value (no returns and nobody imputable).

The code follows the method's seams: ``model`` (inputs, published figures, periods),
``panel`` (membership and imputation of missing returns, month by month), ``aggregate`` (totals,
changes and the statistics of a release), ``reconcile`` (a total against last month's, on one
basis) and ``reasons`` (forecast movers, reasons for change).
"""

from metalwire.supply.stats.aggregate import compute, compute_all, history
from metalwire.supply.stats.model import (
    Bridge,
    DroppedRespondent,
    ForecastMovers,
    GroupLine,
    Imputation,
    Mover,
    NewRespondent,
    OperatingRate,
    ReasonLine,
    Respondent,
    Return,
    SurveyStats,
)
from metalwire.supply.stats.panel import WHOLE_SAMPLE

__all__ = [
    "WHOLE_SAMPLE",
    "Bridge",
    "DroppedRespondent",
    "ForecastMovers",
    "GroupLine",
    "Imputation",
    "Mover",
    "NewRespondent",
    "OperatingRate",
    "ReasonLine",
    "Respondent",
    "Return",
    "SurveyStats",
    "compute",
    "compute_all",
    "history",
]
