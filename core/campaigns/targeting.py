"""Who a retention offer would reach, and what reaching them is expected to bring.

An `Audience` picks customers from the active model's scores: the top X% by churn risk (a rank), every
customer at or above a churn risk (a probability), or a segment. `summarize` turns the pick into the
numbers the targeting control shows (docs/campaigns.md explains each in plain words):

- targeted customers, and the share of all scored customers that is;
- expected churners among them: the sum of their calibrated churn probabilities, and the share of all
  expected churners they hold;
- non-churners targeted by mistake (expected): the sum of (1 − probability);
- the 12-month value at stake: the sum of their 12-month lifetime values;
- the expected net return: save rate × value at stake − offer cost × targeted, where the save rate is
  the share of targeted customers the offer keeps (measured by past campaigns, or an assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.i18n import _
from core.i18n.format import number
from core.platform.thresholds import HIGH_RISK, MEDIUM_RISK

ASSUMED_SAVE_RATE = 0.10   # share of targeted customers an offer keeps, until a campaign has measured it
KINDS = ("top", "threshold", "segment")
SCORE_COLUMNS = ("user_id", "churn_risk", "clv_12m")


class TargetingError(ValueError):
    """A targeting choice that cannot be used; the message says why."""


@dataclass(frozen=True)
class Audience:
    """Whom to target: kind "top" (the top `value` % by churn risk), "threshold" (churn risk ≥ `value`,
    on the 0–100 scale of a probability) or "segment" (every customer of `segment`)."""

    kind: str = "top"
    value: float | None = 10.0
    segment: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise TargetingError(_("choose the top share by risk, a risk threshold or a segment"))
        if self.kind == "segment":
            if not isinstance(self.segment, str) or not self.segment.strip():
                raise TargetingError(_("choose a segment"))
            object.__setattr__(self, "value", None)
            return
        try:
            value = float(self.value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise TargetingError(_("the targeting value must be a number")) from None
        if self.kind == "top" and not 0 < value <= 100:
            raise TargetingError(_("the top share must be more than 0% and at most 100%"))
        if self.kind == "threshold" and not 0 <= value <= 100:
            raise TargetingError(_("the churn-risk threshold must be between 0 and 100"))
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "segment", None)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "segment": self.segment}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Audience:
        return cls(kind=d.get("kind", "top"), value=d.get("value"), segment=d.get("segment"))

    def describe(self) -> str:
        """In words: 'top 10% by churn risk', 'churn risk 70 or more', 'segment At risk'."""
        if self.kind == "top":
            return _("top {pct}% by churn risk").format(pct=number(self.value, None))
        if self.kind == "threshold":
            return _("churn risk {risk} or more").format(risk=number(self.value, None))
        return _("segment {segment}").format(segment=self.segment)


def risk_band(risk: pd.Series | np.ndarray) -> np.ndarray:
    """'high' at or above HIGH_RISK, 'medium' at or above MEDIUM_RISK, else 'low' (the product's bands)."""
    r = np.asarray(risk, dtype=float)
    return np.where(r >= HIGH_RISK, "high", np.where(r >= MEDIUM_RISK, "medium", "low")).astype(object)


def check_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """The scored customers as a checked table: user_id, churn_risk (0–100), clv_12m (missing: 0),
    riskiest first (ties: the higher value, then the lower id)."""
    missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
    if missing:
        raise TargetingError(f"the scores lack the column(s) {', '.join(missing)}")
    s = scores.copy()
    s["churn_risk"] = pd.to_numeric(s["churn_risk"], errors="coerce")
    s["clv_12m"] = pd.to_numeric(s["clv_12m"], errors="coerce").fillna(0.0)
    if s["churn_risk"].isna().any() or not s["churn_risk"].between(0, 100).all():
        raise TargetingError("every churn risk must be a number from 0 to 100")
    if s["user_id"].duplicated().any():
        raise TargetingError("a customer is listed twice in the scores")
    return s.sort_values(["churn_risk", "clv_12m", "user_id"], ascending=[False, False, True],
                         kind="stable").reset_index(drop=True)


def select(scores: pd.DataFrame, audience: Audience) -> pd.DataFrame:
    """The customers `audience` picks from `scores` (checked with `check_scores`), riskiest first."""
    s = check_scores(scores)
    if audience.kind == "top":
        n = min(len(s), math.ceil(audience.value / 100 * len(s) - 1e-9))
        return s.head(n)
    if audience.kind == "threshold":
        return s[s.churn_risk >= audience.value]
    if "segment" not in s.columns:
        raise TargetingError("the scores lack the column segment")
    return s[s.segment == audience.segment]


def summarize(scores: pd.DataFrame, selected: pd.DataFrame, *, offer_cost: float, save_rate: float) -> dict[str, Any]:
    """The targeting control's numbers for `selected` among all `scores` (see the module's doc)."""
    if not math.isfinite(float(offer_cost)) or offer_cost < 0:
        raise TargetingError(_("the offer's cost cannot be negative"))
    if not 0 <= save_rate <= 1:
        raise TargetingError(_("the save rate must be between 0% and 100%"))
    p_all = scores.churn_risk.to_numpy(float) / 100
    p = selected.churn_risk.to_numpy(float) / 100
    n, total = len(selected), len(scores)
    churners, all_churners = float(p.sum()), float(p_all.sum())
    at_stake = float(selected.clv_12m.sum())
    cost = float(offer_cost) * n
    value_kept = save_rate * at_stake
    return {
        "customers": total,
        "targeted": n,
        "targeted_share": n / total if total else 0.0,
        "lowest_risk": float(p.min() * 100) if n else None,
        "expected_churners": churners,
        "churners_share": churners / all_churners if all_churners > 0 else 0.0,
        "churners_missed": max(all_churners - churners, 0.0),
        "expected_mistakes": float(n - churners),
        "precision": churners / n if n else None,
        "value_at_stake": at_stake,
        "offer_cost": float(offer_cost),
        "save_rate": float(save_rate),
        "expected_saved": save_rate * n,
        "value_kept": value_kept,
        "cost": cost,
        "net_return": value_kept - cost,
    }
