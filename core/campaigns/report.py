"""A campaign's measurement as the tables and words the Campaigns page shows (no database)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.campaigns.targeting import Audience
from core.i18n import N_, _
from core.i18n.format import date_text, number, percent

STATUS = {"scheduled": N_("scheduled"), "running": N_("running"), "ended": N_("window over, not closed"),
          "closed": N_("closed")}
BAND = {"high": N_("high risk"), "medium": N_("medium risk"), "low": N_("low risk")}
COMPARISON_COLUMNS = ["metric", "treated", "control", "difference", "lo", "hi", "clear"]


def status_text(status: str) -> str:
    return _(STATUS[status]) if status in STATUS else status


def band_text(band: str) -> str:
    return _(BAND[band]) if band in BAND else band


def audience_text(audience: dict[str, Any] | None) -> str:
    try:
        return Audience.from_dict(audience or {}).describe()
    except ValueError:
        return "—"


def comparison(result: dict[str, Any] | None) -> pd.DataFrame:
    """Treated against control per customer: visits, revenue (₸) and churn (a share), with the
    difference and its interval (metric, treated, control, difference, lo, hi, clear)."""
    overall = (result or {}).get("overall")
    if not overall:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    rows = []
    for key, label in (("visits", _("Visits per customer")), ("revenue", _("Revenue per customer, ₸")),
                       ("churn", _("Churned (no visit in the window), share"))):
        d = overall[key]
        rows.append({"metric": label, "treated": d["treated"], "control": d["control"], "difference": d["diff"],
                     "lo": d["lo"], "hi": d["hi"], "clear": d["lo"] > 0 or d["hi"] < 0})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def bands(result: dict[str, Any] | None) -> pd.DataFrame:
    """The same by risk band at assignment: band, treated, control, visits and churn differences, the
    net return in tenge with its interval, and the save rate (missing where a group is too small)."""
    cols = ["band", "treated", "control", "visits_diff", "churn_diff", "net", "net_lo", "net_hi", "save_rate"]
    rows = []
    for b in (result or {}).get("bands") or []:
        measured = "visits" in b
        rows.append({
            "band": band_text(b["band"]), "treated": b["treated"], "control": b["control"],
            "visits_diff": b["visits"]["diff"] if measured else None,
            "churn_diff": b["churn"]["diff"] if measured else None,
            "net": b["net"]["value"] if measured else None, "net_lo": b["net"]["lo"] if measured else None,
            "net_hi": b["net"]["hi"] if measured else None,
            "save_rate": b["save_rate"]["value"] if measured else None,
        })
    return pd.DataFrame(rows, columns=cols)


def verdict(result: dict[str, Any] | None) -> str:
    """One sentence on what the campaign did, with how sure the measurement is."""
    overall = (result or {}).get("overall")
    if not overall:
        return _("Not measured yet: the campaign has not started, or a group has fewer than two customers.")
    net, level = overall["net"], percent(overall.get("level", 0.9))
    when = (_("So far (provisional, the window is still running)") if result.get("provisional") else
            _("Over the shortened window (closed early)") if result.get("shortened") else _("Over the whole window"))
    if net["lo"] > 0:
        sure = _("it paid off: the {level} interval of the net return is above zero").format(level=level)
    elif net["hi"] < 0:
        sure = _("it lost money: the {level} interval of the net return is below zero").format(level=level)
    else:
        sure = _("the {level} interval of the net return includes zero, so it cannot be told from chance yet").format(
            level=level)
    return _("{when}, {sure}. Measured up to {until}.").format(
        when=when, sure=sure, until=date_text(pd.Timestamp(result["measured_until"]).date()))


def group_sizes_text(treated: int, control: int) -> str:
    return _("{treated} contacted, {control} held out as control").format(treated=number(treated),
                                                                         control=number(control))
