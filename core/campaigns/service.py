"""What the Customers page's targeting control and the Campaigns page show, and what they export.

Every function takes the signed-in `viewer` and the clubs asked for (`club_ids`); the viewer's club
scope limits them (`scope.clubs`) before any query runs, so an empty result sees nothing. It reads the
active model's scores or the campaigns whose clubs are all among them: a campaign with a club outside the
viewer's scope is not found for it. Exports mask contacts unless the viewer may see them. Creating and
closing campaigns are in `core.campaigns.store`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, audit, mask_customers, scope
from core.campaigns.measure import CampaignError, measure_campaign, pooled_save_rate
from core.campaigns.store import find_campaign
from core.campaigns.targeting import ASSUMED_SAVE_RATE, Audience, check_scores, select, summarize
from core.platform.db import query_df

def _ids(viewer: Account, club_ids: Sequence[int]) -> list[int]:
    """The clubs of `club_ids` the viewer may see (PermissionDenied for nobody signed in)."""
    return scope.clubs(scope.viewer(viewer), club_ids)


def scores(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> pd.DataFrame:
    """The active model's scored customers at the viewer's clubs among `club_ids` (user_id, club_id,
    segment, churn_risk, clv_12m, model_version), riskiest first; empty before the first model."""
    return query_df(engine, "campaigns/scores", club_ids=_ids(viewer, club_ids))


def measured_save_rate(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> dict[str, Any] | None:
    """The save rate measured by closed campaigns at these clubs (pooled over those measured over their
    whole window): {rate, raw_rate, campaigns, treated}; None when none has."""
    closed = query_df(engine, "campaigns/closed_results", club_ids=_ids(viewer, club_ids))
    return pooled_save_rate(list(closed.result)) if len(closed) else None


def default_save_rate(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> dict[str, Any]:
    """The save rate the targeting control starts from: {rate, source ('measured' or 'assumed'),
    campaigns, treated}."""
    measured = measured_save_rate(engine, viewer=viewer, club_ids=club_ids)
    if measured is not None:
        return {**measured, "source": "measured"}
    return {"rate": ASSUMED_SAVE_RATE, "source": "assumed", "campaigns": 0, "treated": 0}


def targeting(engine: Engine, *, viewer: Account, club_ids: Sequence[int], audience: Audience,
              offer_cost: float, save_rate: float) -> dict[str, Any]:
    """The targeting control's numbers (`core.campaigns.targeting.summarize`) for `audience` among the
    clubs' scored customers, plus the risk at which a top share starts and the share a threshold is."""
    s = scores(engine, viewer=viewer, club_ids=club_ids)
    if s.empty:
        return {"customers": 0, "targeted": 0}
    checked = check_scores(s)
    return summarize(checked, select(checked, audience), offer_cost=offer_cost, save_rate=save_rate)


def targeted_list(engine: Engine, *, viewer: Account, club_ids: Sequence[int], audience: Audience) -> pd.DataFrame:
    """The customers `audience` picks, riskiest first, with names and contacts (masked unless `viewer`
    may see them), churn risk, risk rank (1 = riskiest) and 12-month value: for the CSV export."""
    club_ids = _ids(viewer, club_ids)
    s = scores(engine, viewer=viewer, club_ids=club_ids)
    if s.empty:
        return pd.DataFrame(columns=["user_id", "full_name", "email", "phone", "favourite_club", "segment",
                                     "churn_risk", "risk_rank", "clv_12m"])
    checked = check_scores(s)
    checked["risk_rank"] = range(1, len(checked) + 1)
    chosen = select(checked, audience)
    people = query_df(engine, "campaigns/contacts", user_ids=chosen.user_id.astype(int).tolist(),
                      club_ids=club_ids)
    out = chosen.merge(people, on="user_id", how="left")
    out = out[["user_id", "full_name", "email", "phone", "favourite_club", "segment", "churn_risk", "risk_rank",
               "clv_12m"]]
    return mask_customers(out, viewer)


def targeted_export(engine: Engine, *, viewer: Account, club_ids: Sequence[int], audience: Audience,
                    fmt: str = "csv", labels: Mapping[str, str] | None = None) -> bytes:
    """`targeted_list` as a CSV or XLSX file, recorded in the activity log as an export with its audience."""
    ids = _ids(viewer, club_ids)
    frame = targeted_list(engine, viewer=viewer, club_ids=ids, audience=audience)
    return audit.export(engine, viewer, frame, what="targeted_customers", fmt=fmt, club_ids=ids,
                        filters={"clubs": ids, "audience": audience.to_dict()}, labels=labels, money=["clv_12m"])


def ledger(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> pd.DataFrame:
    """Every campaign at these clubs, newest first, with its status and result: one row each with id,
    name, offer, status, starts_on, ends_at, window_days, treated, control, cost, incremental revenue and
    net (with their 90% intervals), save rate, and whether the result is provisional."""
    club_ids = _ids(viewer, club_ids)
    rows = query_df(engine, "campaigns/list", club_ids=club_ids, campaign_id=None)
    out = []
    for c in rows.to_dict("records"):
        result = c["result"] if c["status"] == "closed" else _safe_measure(engine, c, club_ids)
        overall = (result or {}).get("overall") or {}
        out.append({
            "id": int(c["id"]), "name": c["name"], "offer": c["offer"], "status": c["status"],
            "starts_on": c["starts_on"], "ends_at": c["ends_at"], "window_days": int(c["window_days"]),
            "treated": int(c["treated"]), "control": int(c["control"]),
            "cost": float(c["cost_per_contact"]) * int(c["treated"]),
            "incremental_revenue": _get(overall, "incremental_revenue", "value"),
            "net": _get(overall, "net", "value"), "net_lo": _get(overall, "net", "lo"),
            "net_hi": _get(overall, "net", "hi"),
            "save_rate": _get(overall, "save_rate", "value"),
            "provisional": bool((result or {}).get("provisional")),
            "shortened": bool((result or {}).get("shortened")),
            "created_by": c["created_by"],
        })
    table = pd.DataFrame(out, columns=["id", "name", "offer", "status", "starts_on", "ends_at", "window_days",
                                       "treated", "control", "cost", "incremental_revenue", "net", "net_lo",
                                       "net_hi", "save_rate", "provisional", "shortened", "created_by"])
    numbers = ["cost", "incremental_revenue", "net", "net_lo", "net_hi", "save_rate"]
    table[numbers] = table[numbers].astype(float)   # not measured yet: NaN, shown empty
    return table


def _get(d: dict, key: str, part: str) -> float | None:
    value = (d.get(key) or {}).get(part)
    return None if value is None else float(value)


def _safe_measure(engine: Engine, campaign: dict[str, Any], club_ids: Sequence[int]) -> dict[str, Any] | None:
    try:
        return measure_campaign(engine, campaign, club_ids=club_ids)
    except CampaignError:
        return None


def campaign_report(engine: Engine, campaign_id: int, *, viewer: Account, club_ids: Sequence[int]) -> dict[str, Any]:
    """One campaign and its measurement: {"campaign": the row, "result": the stored final result of a
    closed campaign, else the measurement now (provisional while the window runs; None before it
    starts)}. CampaignError when the campaign is not among the viewer's clubs of `club_ids`."""
    club_ids = _ids(viewer, club_ids)
    campaign = find_campaign(engine, campaign_id, viewer=viewer, club_ids=club_ids)
    if campaign["status"] == "closed":
        result = campaign["result"] or None
    else:
        result = measure_campaign(engine, campaign, club_ids=club_ids)
    return {"campaign": campaign, "result": result}


def treated_contacts(engine: Engine, campaign_id: int, *, viewer: Account, club_ids: Sequence[int]) -> pd.DataFrame:
    """The campaign's contact list: its treated customers only, contacts masked unless `viewer` may see
    them. CampaignError when the campaign is not among the viewer's clubs of `club_ids`."""
    club_ids = _ids(viewer, club_ids)
    find_campaign(engine, campaign_id, viewer=viewer, club_ids=club_ids)
    rows = query_df(engine, "campaigns/treated_contacts", campaign_id=int(campaign_id), club_ids=club_ids)
    return mask_customers(rows, viewer)


def contacts_export(engine: Engine, campaign_id: int, *, viewer: Account, club_ids: Sequence[int],
                    fmt: str = "csv", labels: Mapping[str, str] | None = None) -> bytes:
    """`treated_contacts` as a CSV or XLSX file, recorded in the activity log as an export of the campaign's
    contacts."""
    ids = _ids(viewer, club_ids)
    frame = treated_contacts(engine, campaign_id, viewer=viewer, club_ids=ids)
    return audit.export(engine, viewer, frame, what="campaign_contacts", fmt=fmt, club_ids=ids,
                        filters={"clubs": ids, "campaign": int(campaign_id)}, labels=labels, money=["clv_12m"])


def segments(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> list[str]:
    """The segments of the clubs' scored customers, in the order of `core.customers.segments.SEGMENTS`."""
    from core.customers.segments import SEGMENTS

    present = set(scores(engine, viewer=viewer, club_ids=club_ids).segment)
    return [s for s in SEGMENTS if s in present]
