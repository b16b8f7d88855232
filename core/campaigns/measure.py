"""What a campaign did: treated against control, from the bookings and payments after its start.

Per customer: visits, revenue and churn (no visit in the window) at the campaign's clubs. Per group, the
difference treated − control with a 90% interval (`core.campaigns.stats`), the incremental revenue
(the difference per customer × treated customers) less the campaign's cost, and the save rate (control
churn − treated churn: the share of targeted customers the offer kept). The same for each risk band.
A measurement taken before the window ends is provisional.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from core.campaigns.stats import LEVEL, mean_difference, proportion_difference, split_groups
from core.i18n import _
from core.platform.db import query_df

BANDS = ("high", "medium", "low")
OUTCOME_COLUMNS = ("user_id", "treated", "risk_band", "visits", "revenue")


class CampaignError(ValueError):
    """A campaign operation that cannot be done; the message says why."""


class AssignmentChanged(CampaignError):
    """The stored groups are not those the campaign's seed gives: someone changed them."""


def _span(d: tuple[float, float, float]) -> dict[str, float]:
    return {"value": d[0], "lo": d[1], "hi": d[2]}


def compare_groups(outcomes: pd.DataFrame, *, cost_per_contact: float, level: float = LEVEL) -> dict[str, Any] | None:
    """Treated against control for one set of customers (None when a group has fewer than two)."""
    t = outcomes[outcomes.treated.astype(bool)]
    c = outcomes[~outcomes.treated.astype(bool)]
    if len(t) < 2 or len(c) < 2:
        return None
    visits = mean_difference(t.visits, c.visits, level)
    revenue = mean_difference(t.revenue, c.revenue, level)
    churn = proportion_difference(t.visits.to_numpy() == 0, c.visits.to_numpy() == 0, level)
    n_t = len(t)
    cost = float(cost_per_contact) * n_t
    return {
        "treated": n_t, "control": len(c), "level": level,
        "visits": visits.to_dict(), "revenue": revenue.to_dict(), "churn": churn.to_dict(),
        "cost": cost,
        "incremental_revenue": _span(revenue.scaled(n_t)),
        "net": _span(revenue.scaled(n_t, -cost)),
        "save_rate": _span(churn.scaled(-1.0)),
    }


def measure(outcomes: pd.DataFrame, *, cost_per_contact: float, ends_at: datetime, measured_until: datetime,
            starts_at: datetime, closed: bool = False, level: float = LEVEL) -> dict[str, Any]:
    """The whole campaign and each risk band (see the module's doc); JSON-ready. Before the window's end
    the result is `provisional`, or `shortened` when the campaign was closed early."""
    missing = [c for c in OUTCOME_COLUMNS if c not in outcomes.columns]
    if missing:
        raise CampaignError(f"the outcomes lack the column(s) {', '.join(missing)}")
    overall = compare_groups(outcomes, cost_per_contact=cost_per_contact, level=level)
    bands = []
    for band in BANDS:
        part = outcomes[outcomes.risk_band == band]
        if len(part):
            found = compare_groups(part, cost_per_contact=cost_per_contact, level=level)
            bands.append({"band": band, "treated": int(part.treated.sum()), "control": int((~part.treated).sum()),
                          **(found or {})})
    days = max(0.0, (pd.Timestamp(measured_until) - pd.Timestamp(starts_at)).total_seconds() / 86400)
    early = pd.Timestamp(measured_until) < pd.Timestamp(ends_at)
    return {
        "measured_until": pd.Timestamp(measured_until).isoformat(),
        "days_measured": round(days, 2),
        "provisional": bool(early and not closed),
        "shortened": bool(early and closed),
        "overall": overall,
        "bands": bands,
    }


def verify_assignment(groups: pd.DataFrame, *, control_share: float, seed: int) -> None:
    """Raise AssignmentChanged unless the stored groups are exactly what the campaign's seed gives."""
    if groups.empty:
        raise CampaignError(_("the campaign has no customers"))
    control = split_groups(groups.user_id.to_numpy(), groups.risk_band.to_numpy(), float(control_share), int(seed))
    if not np.array_equal(control, ~groups.treated.to_numpy(bool)):
        raise AssignmentChanged(_("the campaign's stored groups differ from the random split its seed gives; "
                                  "they were changed after it was created"))


def measure_campaign(engine: Engine, campaign: dict[str, Any], *, club_ids: Sequence[int],
                     as_of: datetime | None = None, closing: bool = False) -> dict[str, Any] | None:
    """Measure `campaign` (a row of `campaigns/list`) from the database, as of `as_of` (None: the data's
    now); None before it starts. `closing`: the measurement is the final one of a campaign being closed."""
    if campaign["status"] == "scheduled" and as_of is None:
        return None
    outcomes = query_df(engine, "campaigns/outcomes", campaign_id=int(campaign["id"]),
                        club_ids=[int(c) for c in club_ids], as_of=as_of)
    if outcomes.empty:
        raise CampaignError(_("no such campaign among these clubs"))
    verify_assignment(outcomes, control_share=campaign["control_share"], seed=campaign["seed"])
    until = outcomes.measured_until.iloc[0]
    if pd.Timestamp(until) <= pd.Timestamp(campaign["starts_at"]):
        return None
    outcomes = outcomes.assign(treated=outcomes.treated.astype(bool))
    return measure(outcomes, cost_per_contact=campaign["cost_per_contact"], ends_at=campaign["ends_at"],
                   measured_until=until, starts_at=campaign["starts_at"], closed=closing or _closed(campaign))


def _closed(campaign: dict[str, Any]) -> bool:
    value = campaign.get("closed_at")
    return value is not None and not pd.isna(value)


def pooled_save_rate(results: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The save rate over campaigns measured over their whole window, weighted by their treated customers:
    {rate (clipped to 0–1), raw_rate, campaigns, treated}; None when no such campaign measured one."""
    rows = [(r["overall"]["save_rate"]["value"], r["overall"]["treated"]) for r in results
            if r and not r.get("provisional") and not r.get("shortened") and r.get("overall")]
    treated = sum(n for _, n in rows)
    if not rows or treated == 0:
        return None
    rate = sum(v * n for v, n in rows) / treated
    return {"rate": float(min(max(rate, 0.0), 1.0)), "raw_rate": float(rate), "campaigns": len(rows),
            "treated": int(treated)}
