"""The retention campaign: who it would contact, and what it would keep and cost.

Customers of the selected clubs with churn risk above the threshold are contacted. Expected saved =
contacted × save rate; revenue retained over the horizon = their spend of the last 90 days × save
rate × (1 − discount) scaled to the horizon; cost = contacted × cost per contact; net = retained −
cost; ROI = net / cost. Churn risk comes from the active model's `customer_scores`; without scores
it is a recency proxy, and the notes say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.i18n import _, ngettext
from core.i18n.format import number
from core.whatif.levers import RetentionCampaign
from core.whatif.result import PERIOD_DAYS, percentile_range

LOOKBACK_DAYS = 90                # the candidates' spend is over this many days
SAVE_RATE_CONCENTRATION = 30.0    # Beta(save·κ, (1−save)·κ) around the expected save rate
TYPICAL_GAP_DAYS = 14.0           # between visits, when no customer has a usual gap


def with_risk(customers: pd.DataFrame, notes: list[str]) -> tuple[pd.DataFrame, str]:
    """Churn risk 0–100: the active model's score, else a recency proxy (and a note saying so)."""
    c = customers.copy()
    for col in ("days_since_last", "mean_gap_days", "spend_90d", "model_risk"):
        c[col] = pd.to_numeric(c[col], errors="coerce").astype(float)
    typical_gap = float(np.nanmedian(c["mean_gap_days"])) if c["mean_gap_days"].notna().any() else TYPICAL_GAP_DAYS
    gap = c["mean_gap_days"].fillna(typical_gap).clip(2, 60)
    proxy = 100 * (1 - np.exp(-c["days_since_last"].clip(lower=0) / gap))
    if c["model_risk"].notna().any():
        missing = int(c["model_risk"].isna().sum())
        c["risk"] = c["model_risk"].fillna(proxy)
        source = "model"
        if missing:
            notes.append(ngettext(
                "{n} recent customer has no model score yet; their churn risk is the recency proxy",
                "{n} recent customers have no model score yet; their churn risk is the recency proxy",
                missing).format(n=number(missing)))
    else:
        c["risk"] = proxy
        source = "recency proxy"
        notes.append(_("no active churn model scores (customer_scores), so churn risk is a recency proxy: "
                       "100 × (1 − exp(−days since the last visit / the customer's usual gap between visits))"))
    c["risk"] = c["risk"].round(1)
    return c, source


def campaign_effect(campaign: RetentionCampaign | None, customers: pd.DataFrame, risk_source: str,
                    club_ids: Sequence[int], n_draws: int, rng: np.random.Generator):
    """The campaign's figures over its horizon (None without a campaign), and its 30-day revenue per
    club: central (one number per club) and draws (n_draws × clubs)."""
    n_clubs = len(club_ids)
    if campaign is None:
        return None, np.zeros(n_clubs), np.zeros((n_draws, n_clubs))
    c = campaign
    target = customers[(customers["risk"] > c.risk_threshold) & customers["home_club_id"].isin(club_ids)]
    pos = {club: i for i, club in enumerate(club_ids)}
    idx = target["home_club_id"].map(pos).to_numpy(int)
    contacted = np.bincount(idx, minlength=n_clubs).astype(float)
    spend = np.bincount(idx, weights=target["spend_90d"].to_numpy(float), minlength=n_clubs) \
        * (c.horizon_days / LOOKBACK_DAYS)
    keep = 1 - c.discount_pct / 100
    retained_club = spend * c.save_rate * keep
    cost_club = contacted * c.cost_per_contact
    save = _save_rate_draws(c.save_rate, n_draws, rng)
    n_target, total_spend = float(contacted.sum()), float(spend.sum())
    cost = float(cost_club.sum())
    retained, retained_d = float(retained_club.sum()), total_spend * save * keep
    net, net_d = retained - cost, total_spend * save * keep - cost

    def spread(draws, central):
        return percentile_range(draws, central) if n_draws else (central, central)

    out: dict[str, Any] = {
        "risk_source": risk_source, "risk_threshold": c.risk_threshold, "horizon_days": c.horizon_days,
        "discount_pct": c.discount_pct, "save_rate": c.save_rate, "cost_per_contact": c.cost_per_contact,
        "targeted": int(n_target), "spend_90d_of_targeted": float(target["spend_90d"].sum()),
        "saved": n_target * c.save_rate, "retained_revenue": retained, "cost": cost, "net": net,
        "roi": (net / cost) if cost > 0 else None,
        "per_club": [{"club_id": int(club), "targeted": int(contacted[i]), "retained_revenue": float(retained_club[i]),
                      "cost": float(cost_club[i])} for i, club in enumerate(club_ids)],
    }
    out["saved_lo"], out["saved_hi"] = spread(n_target * save, out["saved"])
    out["retained_revenue_lo"], out["retained_revenue_hi"] = spread(retained_d, retained)
    out["net_lo"], out["net_hi"] = spread(net_d, net)
    if cost > 0:
        out["roi_lo"], out["roi_hi"] = spread(net_d / cost, net / cost)
    else:
        out["roi_lo"] = out["roi_hi"] = None
    per_club_30d = retained_club * (PERIOD_DAYS / c.horizon_days)
    ratio = save / c.save_rate if c.save_rate > 0 else np.ones(n_draws)
    return out, per_club_30d, per_club_30d[None, :] * ratio[:, None]


def _save_rate_draws(save_rate: float, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of the share who stay: Beta around the expected rate (the rate itself at 0 or 1)."""
    if n_draws and 0 < save_rate < 1:
        k = SAVE_RATE_CONCENTRATION
        return rng.beta(save_rate * k, (1 - save_rate) * k, n_draws)
    return np.full(n_draws, save_rate)


def measured_save_rate(engine, *, viewer, club_ids: Sequence[int]) -> dict[str, Any] | None:
    """The save rate retention campaigns measured at the viewer's clubs among these (`core.campaigns`:
    control churn − contacted churn, pooled over closed campaigns measured over their whole window), for
    the campaign lever to start from: {rate, raw_rate, campaigns, treated}; None when no campaign has
    measured one."""
    from core.campaigns.service import measured_save_rate as measured

    return measured(engine, viewer=viewer, club_ids=club_ids)
