"""Minimum data for each prediction, and whether the data has it.

Like GA4 (1,000 users who did and did not do the event) and Klaviyo (500 paying customers, 180 days,
some customers with 3+ orders), each model names what it needs before it predicts; the numbers are
in `core/platform/thresholds.py` and the evidence for them in docs/models.md. The retrain skips a
model whose needs are not met and records why; the pages then say "not enough data yet: X of Y"
instead of showing a weak score as if it were sound.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.i18n import N_, _
from core.i18n.format import number
from core.platform import thresholds as t
from core.platform.db import load_sql

MODELS = ("segments", "churn", "clv", "forecast")
MODEL_NAMES = {"segments": N_("Segments"), "churn": N_("Churn risk"), "clv": N_("Lifetime value"),
               "forecast": N_("Revenue forecast")}
# model -> (count, what it counts, the least it needs; a function of the churn window when it depends on it)
NEEDS: dict[str, list[tuple[str, str, float | Callable[[int], float]]]] = {
    "segments": [("customers", N_("customers with a visit"), t.MIN_SEGMENT_CUSTOMERS)],
    "churn": [("history_days", N_("days of history"), t.churn_history_days),
              ("churned_examples", N_("customers who stopped coming"), t.MIN_CHURN_EXAMPLES),
              ("stayed_examples", N_("customers who kept coming"), t.MIN_CHURN_EXAMPLES)],
    "clv": [("history_days", N_("days of history"), t.clv_history_days),
            ("repeat_customers", N_("customers who came on two days or more"), t.MIN_REPEAT_CUSTOMERS),
            ("paying_customers", N_("paying customers"), t.MIN_PAYING_CUSTOMERS),
            ("customers_3_visits", N_("customers with three visits or more"), t.MIN_CUSTOMERS_3_VISITS)],
    "forecast": [("revenue_days", N_("days with revenue"), t.MIN_FORECAST_DAYS)],
}


@dataclass(frozen=True)
class Need:
    model: str
    count: str
    what: str  # untranslated (N_); `text` translates it
    have: float
    need: float

    @property
    def met(self) -> bool:
        return self.have >= self.need

    def text(self) -> str:
        """"not enough data yet: 120 of 200 customers who came on two days or more"."""
        return _("not enough data yet: {have} of {need} {what}").format(
            have=number(self.have), need=number(self.need), what=_(self.what))


@dataclass(frozen=True)
class Readiness:
    counts: dict[str, float]
    horizon_days: int = t.CHURN_WINDOW_DAYS

    def needs(self, model: str) -> list[Need]:
        return [Need(model, count, what, float(self.counts.get(count, 0)),
                     float(need(self.horizon_days) if callable(need) else need))
                for count, what, need in NEEDS[model]]

    def missing(self, model: str) -> list[Need]:
        return [n for n in self.needs(model) if not n.met]

    def ready(self, model: str) -> bool:
        return not self.missing(model)

    def as_dict(self) -> dict:
        """For the model registry: per model whether it may train, and each need with what the data has."""
        return {m: {"ready": self.ready(m),
                    "needs": [{"count": n.count, "what": n.what, "have": n.have, "need": n.need}
                              for n in self.needs(m)]} for m in MODELS}


def assess(engine: Engine | sa.Connection, *, data_end: datetime, horizon_days: int = t.CHURN_WINDOW_DAYS,
           club_ids: Sequence[int] | None = None) -> Readiness:
    """What the chain's data up to `data_end` has of what each model needs; with `club_ids`, what the
    bookings at those clubs have (the models still learn from the whole chain's)."""
    params = {"data_end": data_end, "cutoff": data_end - timedelta(days=horizon_days),
              "club_ids": None if club_ids is None else [int(c) for c in club_ids]}
    query = sa.text(load_sql("data/requirements"))
    if isinstance(engine, sa.Connection):
        row = engine.execute(query, params).mappings().one()
    else:
        with engine.connect() as conn:
            row = conn.execute(query, params).mappings().one()
    return Readiness(counts={k: float(v or 0) for k, v in row.items()}, horizon_days=int(horizon_days))


def model_status(metrics: dict | None, model: str) -> dict | None:
    """What a version's metrics say about one model: {"trained": bool, "reason": str, "needs": [...]}
    (None for versions trained before models could be skipped)."""
    return ((metrics or {}).get("models") or {}).get(model)


def not_enough(metrics: dict | None, model: str) -> str | None:
    """The "not enough data yet: X of Y …" notice for a model a version skipped (None: it was trained)."""
    status = model_status(metrics, model)
    if status is None or status.get("trained"):
        return None
    unmet = [Need(model, n["count"], n["what"], n["have"], n["need"]) for n in status.get("needs", [])]
    unmet = [n for n in unmet if not n.met]
    if unmet:
        return "; ".join(n.text() for n in unmet)
    return _("not enough data yet: {reason}").format(reason=status.get("reason") or _("the model could not learn"))
