"""Prediction quality in a manager's terms: a 0-100 grade with plain bands, how much likelier the top of
the list is to leave, predicted against observed churn, and how churn risk is spread over the customers.

The grade is 2 x ROC AUC - 1 in percent (0 is a coin flip, 100 is perfect), with Braze's bands for its
lift-quality grade: excellent from 60 (AUC 0.80), good from 40 (AUC 0.70: "70% or more is good"), fair
from 20 (AUC 0.60), poor below. The bands are product thresholds (`core.platform.thresholds`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from core.accounts import Account, scope
from core.customers.churn_metrics import quality_score
from core.i18n import N_, _
from core.i18n.format import number, percent
from core.platform.db import query_df
from core.platform.thresholds import QUALITY_EXCELLENT, QUALITY_FAIR, QUALITY_GOOD

BANDS = ((QUALITY_EXCELLENT, "excellent"), (QUALITY_GOOD, "good"), (QUALITY_FAIR, "fair"), (0.0, "poor"))
BAND_LABELS = {"excellent": N_("Excellent"), "good": N_("Good"), "fair": N_("Fair"), "poor": N_("Poor")}
BAND_MEANING = {
    "excellent": N_("the customers it ranks riskiest leave far more often than the rest; act on the list"),
    "good": N_("it ranks customers who leave well above those who stay; worth acting on"),
    "fair": N_("better than guessing, but many on the list will stay anyway; use it with care"),
    "poor": N_("barely better than a coin flip; do not act on it alone"),
}
HISTOGRAM_STEP = 5  # churn risk points per bar (20 bars, as Braze draws it)


def band(score: float | None) -> str | None:
    """'excellent', 'good', 'fair' or 'poor' for a 0-100 quality grade (None without one)."""
    if score is None:
        return None
    return next(name for floor, name in BANDS if score >= floor)


@dataclass(frozen=True)
class Quality:
    """How well a version's churn risk ranked and predicted churn on held-out customers at training."""

    score: float  # 0-100
    band: str
    auc: float
    auc_se: float | None
    horizon_days: int
    customers: int
    base_rate: float  # the share of those customers who did not visit
    lift: dict[str, float]  # lift_top10, capture_top10, lift_top20, capture_top20 (when measured)

    @property
    def label(self) -> str:
        return _(BAND_LABELS[self.band])

    @property
    def meaning(self) -> str:
        return _(BAND_MEANING[self.band])


def held_out(metrics: dict[str, Any] | None, row_counts: dict[str, Any] | None = None) -> Quality | None:
    """The quality a version showed on held-out customers when it was trained (None: not measured)."""
    churn = (metrics or {}).get("churn") or {}
    score = quality_score(churn.get("roc_auc"))
    if score is None:
        return None
    lift = {k: float(v) for k, v in churn.items() if k.startswith(("lift_top", "capture_top")) and v is not None}
    return Quality(score=score, band=band(score), auc=float(churn["roc_auc"]), auc_se=churn.get("roc_auc_se"),
                   horizon_days=int(churn.get("horizon_days") or (metrics or {}).get("churn_horizon_days") or 30),
                   customers=int((row_counts or {}).get("evaluation_rows") or 0),
                   base_rate=float(churn.get("base_rate") or 0.0), lift=lift)


def summary(quality: Quality) -> str:
    """The grade and what it means, in plain words."""
    return _("Prediction quality {score} / 100: {band}. {meaning}.").format(
        score=number(quality.score), band=quality.label, meaning=quality.meaning.capitalize())


def auc_words(quality: Quality) -> str:
    """The ROC AUC behind the grade, with the bands that read it."""
    return _("Held-out ROC AUC {auc}: the chance that a customer who left was ranked riskier than one who "
             "stayed. 0.5 is a coin flip, 0.7 or more is good, 1.0 is perfect.").format(auc=number(quality.auc, 3))


def lift_words(quality: Quality) -> str:
    """Lift at the top of the list, as a manager would use it."""
    if "lift_top10" not in quality.lift:
        return ""
    return _("The riskiest 10% of customers left {lift10}× as often as customers overall ({capture10} of all "
             "who left were among them); the riskiest 20%, {lift20}× ({capture20}).").format(
        lift10=number(quality.lift["lift_top10"], 1), capture10=percent(quality.lift["capture_top10"]),
        lift20=number(quality.lift.get("lift_top20"), 1), capture20=percent(quality.lift.get("capture_top20")))


def what_numbers_mean(horizon_days: int) -> str:
    """Risk is a probability; 'top X%' is a rank."""
    return _("Churn risk is a probability: risk 80 means that of 10 customers with that risk, about 8 are expected "
             "not to visit in the next {days} days. \"Top 10%\" is a rank: the tenth of customers with the highest "
             "risk, whatever their risk is.").format(days=number(horizon_days))


def calibration(metrics: dict[str, Any] | None) -> pd.DataFrame:
    """Predicted against observed churn by decile of predicted risk on held-out customers (decile,
    customers, predicted, observed; empty when not measured)."""
    table = pd.DataFrame(((metrics or {}).get("churn") or {}).get("calibration") or [])
    if table.empty:
        return pd.DataFrame(columns=["decile", "customers", "predicted", "observed"])
    table = table.rename(columns={"mean_predicted": "predicted", "observed_rate": "observed"})
    return table[["decile", "customers", "predicted", "observed"]]


def risk_histogram(engine: Engine, *, club_ids: Sequence[int], step: int = HISTOGRAM_STEP) -> pd.DataFrame:
    """How many of the clubs' customers (by favourite club) the active version puts in each band of churn
    risk (risk_from, risk_to, customers), including empty bands; empty before the first model."""
    if not 1 <= step <= 50 or 100 % step:
        raise ValueError("the histogram step must divide 100")
    rows = query_df(engine, "models/risk_histogram", club_ids=[int(c) for c in club_ids], step=step)
    if rows.empty:
        return pd.DataFrame(columns=["risk_from", "risk_to", "customers"])
    bands = pd.DataFrame({"risk_from": range(0, 100, step)})
    out = bands.merge(rows, on="risk_from", how="left").fillna({"customers": 0})
    out["risk_to"] = out.risk_from + step
    out["customers"] = out.customers.astype(int)
    return out[["risk_from", "risk_to", "customers"]]


@dataclass(frozen=True)
class ChurnQuality:
    """What the Models and Customers pages show about the active version's churn risk."""

    quality: Quality | None      # on held-out customers at training (None: not measured)
    calibration: pd.DataFrame    # `calibration`
    histogram: pd.DataFrame      # `risk_histogram` for the clubs shown
    chain_wide: bool = False     # the quality and calibration are the whole chain's, wider than the viewer's clubs


def churn_quality(engine: Engine, *, viewer: Account, club_ids: Sequence[int]) -> ChurnQuality | None:
    """The active version's churn quality and its customers' risk spread in some of the viewer's clubs
    (None: no model). The quality was measured on the whole chain's held-out customers: `chain_wide` for
    an account of some clubs, whose page says so."""
    who = scope.viewer(viewer)
    active = query_df(engine, "models/active_model")
    if active.empty:
        return None
    row = active.iloc[0]
    return ChurnQuality(quality=held_out(row.metrics, row.row_counts), calibration=calibration(row.metrics),
                        histogram=risk_histogram(engine, club_ids=scope.clubs(who, club_ids)),
                        chain_wide=not who.whole_chain)


def chain_wide_words() -> str:
    """What an account of some clubs reads beside a figure of the whole chain's."""
    return _("Chain-wide: measured on every club's customers when the models were trained, not only on your "
             "clubs'.")
