"""Creating and closing campaigns (managers only), with their random control group.

A campaign's customers come from the active model's scores at the chosen clubs (an `Audience`: a
targeting selection or a segment). They are split at random, within each risk band, into a treated
group (contacted) and a control group (never contacted), from a seed kept with the campaign, so the
split can be reproduced and checked. The campaign and its groups are written in one transaction and
never change afterwards: the database refuses it (migration 015's triggers) and this module offers no
way to.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.accounts import Account, audit, require, scope
from core.campaigns.measure import CampaignError, measure_campaign
from core.campaigns.stats import split_groups
from core.campaigns.targeting import Audience, TargetingError, risk_band, select
from core.i18n import _
from core.i18n.format import number
from core.platform.clubs import chain_calendar
from core.platform.db import load_sql, query_df

DEFAULT_CONTROL_SHARE = 0.15
MIN_CONTROL = 200           # fewer control customers than this: the result will be too uncertain
MIN_SHARE, MAX_SHARE = 0.05, 0.5
MAX_START_DAYS = 90         # a campaign starts at most this many days before or after today
WINDOW_DAYS = (7, 180)


def checked_share(control_share: object) -> float:
    """The control group's share, rounded, or CampaignError with what is allowed."""
    try:
        share = round(float(control_share), 3)
    except (TypeError, ValueError):
        raise CampaignError(_("the control share must be a number")) from None
    if not MIN_SHARE <= share <= MAX_SHARE:
        raise CampaignError(_("the control group must be from {low}% to {high}% of the customers").format(
            low=number(MIN_SHARE * 100), high=number(MAX_SHARE * 100)))
    return share


@dataclass(frozen=True)
class CampaignPlan:
    """What a manager fills in to create a campaign; bad input raises CampaignError with the reason."""

    name: str
    offer: str
    cost_per_contact: float
    window_days: int
    starts_on: date
    audience: Audience
    control_share: float = DEFAULT_CONTROL_SHARE
    seed: int | None = None

    def __post_init__(self) -> None:
        name, offer = str(self.name or "").strip(), str(self.offer or "").strip()
        if not 1 <= len(name) <= 120:
            raise CampaignError(_("give the campaign a name (up to 120 characters)"))
        if not 1 <= len(offer) <= 300:
            raise CampaignError(_("describe the offer (up to 300 characters)"))
        try:
            cost = float(self.cost_per_contact)
        except (TypeError, ValueError):
            raise CampaignError(_("the cost per contacted customer must be a number")) from None
        if not math.isfinite(cost) or cost < 0:
            raise CampaignError(_("the cost per contacted customer cannot be negative"))
        if not isinstance(self.window_days, int) or not WINDOW_DAYS[0] <= self.window_days <= WINDOW_DAYS[1]:
            raise CampaignError(_("the window must be a whole number of days from {low} to {high}").format(
                low=WINDOW_DAYS[0], high=WINDOW_DAYS[1]))
        if not isinstance(self.starts_on, date):
            raise CampaignError(_("the start date must be a date"))
        if not isinstance(self.audience, Audience):
            raise CampaignError(_("choose whom the campaign targets"))
        share = checked_share(self.control_share)
        if self.seed is not None and (not isinstance(self.seed, int) or not 0 <= self.seed < 2**62):
            raise CampaignError(_("the seed must be a whole number from 0"))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "offer", offer)
        object.__setattr__(self, "cost_per_contact", round(cost, 2))
        object.__setattr__(self, "control_share", share)


@dataclass(frozen=True)
class Groups:
    """The customers of a plan, split: one row per customer with `treated`, and the warnings to show."""

    customers: pd.DataFrame
    warnings: tuple[str, ...] = field(default=())

    @property
    def treated(self) -> int:
        return int(self.customers.treated.sum())

    @property
    def control(self) -> int:
        return int((~self.customers.treated).sum())

    def by_band(self) -> pd.DataFrame:
        """Treated and control customers per risk band (band, treated, control)."""
        g = self.customers.assign(control=~self.customers.treated)
        out = g.groupby("risk_band")[["treated", "control"]].sum().astype(int)
        order = [b for b in ("high", "medium", "low") if b in out.index]
        return out.loc[order].reset_index().rename(columns={"risk_band": "band"})


def split(scores: pd.DataFrame, audience: Audience, *, control_share: float, seed: int) -> Groups:
    """The customers `audience` picks from `scores`, split into treated and control (see the module)."""
    try:
        chosen = select(scores, audience)
    except TargetingError as exc:
        raise CampaignError(str(exc)) from exc
    if chosen.empty:
        raise CampaignError(_("no customer matches this choice at the selected clubs"))
    chosen = chosen.assign(risk_band=risk_band(chosen.churn_risk))
    control = split_groups(chosen.user_id.to_numpy(), chosen.risk_band.to_numpy(), control_share, seed)
    customers = chosen.assign(treated=~control)
    warnings = []
    n_control = int(control.sum())
    if n_control < MIN_CONTROL:
        warnings.append(_("Only {n} customers are held out as the control group (fewer than {min}): the result "
                          "will be too uncertain to tell a real effect from chance. Target more customers or "
                          "hold out a larger share.").format(n=number(n_control), min=number(MIN_CONTROL)))
    return Groups(customers, tuple(warnings))


def _scores(conn_or_engine, club_ids: Sequence[int]) -> pd.DataFrame:
    if isinstance(conn_or_engine, Engine):
        return query_df(conn_or_engine, "campaigns/scores", club_ids=[int(c) for c in club_ids])
    result = conn_or_engine.execute(sa.text(load_sql("campaigns/scores")), {"club_ids": [int(c) for c in club_ids]})
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def preview(engine: Engine, *, account: Account | None, audience: Audience, control_share: float,
            club_ids: Sequence[int], seed: int = 0) -> Groups:
    """The groups a campaign on `audience` would have now at the account's clubs among `club_ids`, for
    checking their sizes and the warnings before creating it (managers only; the sizes do not depend on
    the seed). Reads only."""
    require(account, "manage_campaigns")
    club_ids = scope.clubs(account, club_ids)
    return split(_scores(engine, club_ids), audience, control_share=checked_share(control_share), seed=seed)


def create_campaign(engine: Engine, plan: CampaignPlan, *, account: Account | None,
                    club_ids: Sequence[int]) -> tuple[int, Groups]:
    """Create the campaign and its groups in one transaction (managers only): (campaign id, groups)."""
    require(account, "manage_campaigns")
    clubs = sorted(scope.clubs(account, club_ids))  # only clubs the account works with
    if not clubs:
        raise CampaignError(_("choose at least one club"))
    seed = plan.seed if plan.seed is not None else secrets.randbelow(2**31)
    with engine.begin() as conn:
        today = chain_calendar(conn)
        if abs((plan.starts_on - today.local_today).days) > MAX_START_DAYS:
            raise CampaignError(_("the start date must be within {days} days of today").format(days=MAX_START_DAYS))
        scores = _scores(conn, clubs)
        if scores.empty:
            raise CampaignError(_("no customer is scored at these clubs yet: train a model first"))
        groups = split(scores, plan.audience, control_share=plan.control_share, seed=seed)
        c = groups.customers
        campaign_id = conn.execute(sa.text(load_sql("campaigns/insert")), {
            "name": plan.name, "offer": plan.offer, "cost_per_contact": plan.cost_per_contact,
            "window_days": plan.window_days, "starts_on": plan.starts_on, "timezone": today.timezone,
            "control_share": plan.control_share, "seed": seed, "campaign_clubs": clubs,
            "audience": json.dumps(plan.audience.to_dict()), "model_version": str(scores.model_version.iloc[0]),
            "created_by": account.username}).scalar_one()
        conn.execute(sa.text(load_sql("campaigns/assign")), {
            "campaign_id": campaign_id, "user_ids": c.user_id.astype(int).tolist(),
            "treated": c.treated.astype(bool).tolist(), "home_clubs": c.club_id.fillna(0).astype(int).tolist(),
            "churn_risks": [round(float(r), 1) for r in c.churn_risk], "risk_bands": c.risk_band.astype(str).tolist(),
            "clvs": [round(float(v), 2) for v in c.clv_12m]})
        record_campaign_event(conn, account, "campaign_create", campaign_id,
                              {"name": plan.name, "treated": groups.treated, "control": groups.control}, clubs)
    return int(campaign_id), groups


def find_campaign(engine: Engine, campaign_id: int, *, viewer: Account | None,
                  club_ids: Sequence[int]) -> dict[str, Any]:
    """One campaign (a row of `campaigns/list`); CampaignError when it is not among the viewer's clubs of
    `club_ids` (every club of the campaign must be within the viewer's scope)."""
    clubs = scope.clubs(scope.viewer(viewer), club_ids)
    rows = query_df(engine, "campaigns/list", club_ids=clubs, campaign_id=int(campaign_id))
    if rows.empty or not scope.allows_all(viewer, rows.iloc[0]["club_ids"]):
        raise CampaignError(_("no such campaign among the selected clubs"))
    return rows.iloc[0].to_dict()


def close_campaign(engine: Engine, campaign_id: int, *, account: Account | None,
                   club_ids: Sequence[int]) -> dict[str, Any] | None:
    """Close a campaign (managers only): its measurement at this moment becomes its final result (a
    campaign closed before its window ends is measured over the shorter window). Returns the result."""
    require(account, "manage_campaigns")
    club_ids = scope.clubs(account, club_ids)
    campaign = find_campaign(engine, campaign_id, viewer=account, club_ids=club_ids)
    if campaign["status"] == "closed":
        raise CampaignError(_("this campaign is already closed"))
    result = measure_campaign(engine, campaign, club_ids=club_ids, closing=True)
    with engine.begin() as conn:
        done = conn.execute(sa.text(load_sql("campaigns/close")), {
            "campaign_id": int(campaign_id), "closed_by": account.username,
            "result": json.dumps(result or {}), "club_ids": [int(c) for c in club_ids]}).first()
        if done is None:
            raise CampaignError(_("this campaign is already closed"))
        record_campaign_event(conn, account, "campaign_close", int(campaign_id), {"result": bool(result)}, campaign["club_ids"])
    return result


def record_campaign_event(conn: sa.Connection, account: Account, action: str, campaign_id: int,
                          details: dict[str, Any], club_ids: Sequence[int]) -> None:
    """Campaign creation and closing go to the activity log, in the same transaction as the change."""
    audit.record(conn, account, action, object_type="campaign", object_id=int(campaign_id),
                 club_ids=[int(c) for c in club_ids], details=details)


def default_start(today: date) -> date:
    """The start date the form suggests: tomorrow."""
    return today + timedelta(days=1)
