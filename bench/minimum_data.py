"""Evidence for the minimum data each prediction needs (core/platform/thresholds.py, docs/models.md).

    python -m bench.minimum_data --size M

Loads a demo tier into a fresh embedded PostgreSQL and shrinks what the models learn from:

* churn risk: ROC AUC on every held-out customer against the number of churned and staying customers
  the model trains on, and how much the AUC measured on that few held-out customers wanders;
* lifetime value: BG/NBD's error on the next 30 days' visits against the customers' own past rate,
  by the number of repeat customers it is fitted on;
* the revenue forecast: 30-day MASE against the seasonal-naive rule, by days of history;
* segments: how many customers keep their RFM segment when quintiles come from fewer customers.

Each cell is the mean over a few random draws (seeds 0-4); nothing here is a timed test.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from bench import scratch_home, size_and_seed
from core.customers.churn import ChurnModel, MODEL_FEATURES, _labelled_cutoffs, training_cutoffs
from core.customers.clv import BetaGeoModel, clv_table
from core.customers.features import customer_features, data_span
from core.customers.segments import segment_customers
from core.demo.load import load
from core.demo.simulate import simulate
from core.forecast.model import _mase, _mase_scale, forecast, seasonal_naive
from core.forecast.service import daily_revenue
from core.platform import server
from core.platform.clubs import all_club_ids
from core.platform.db import make_engine, query_df
from core.platform.migrate import migrate

SEEDS = range(5)
HORIZON = 30


def churn_curve(X_train, y_train, X_eval, y_eval) -> pd.DataFrame:
    rows = []
    churned, stayed = np.flatnonzero(y_train == 1), np.flatnonzero(y_train == 0)
    for n in (25, 50, 100, 200, 400, 800, 1600, 3200):
        if n > min(len(churned), len(stayed)):
            break
        full, small = [], []
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            pick = np.concatenate([rng.choice(churned, n, replace=False), rng.choice(stayed, n, replace=False)])
            model = ChurnModel(random_state=seed, importance_rows=0, min_samples_leaf=min(40, max(5, n // 10)))
            model.fit(X_train.iloc[pick][MODEL_FEATURES], y_train[pick], groups=X_train.index[pick])
            p = model.predict_proba(X_eval)[:, 1]
            full.append(roc_auc_score(y_eval, p))
            e1, e0 = np.flatnonzero(y_eval == 1), np.flatnonzero(y_eval == 0)
            held = np.concatenate([rng.choice(e1, min(n, len(e1)), replace=False),
                                   rng.choice(e0, min(n, len(e0)), replace=False)])
            small.append(roc_auc_score(y_eval[held], p[held]))
        rows.append({"per class": n, "AUC (all held out)": np.mean(full), "sd": np.std(full),
                     "AUC measured on as few": np.mean(small), "its sd": np.std(small)})
    recency = roc_auc_score(y_eval, X_eval["recency_days"])
    return pd.DataFrame(rows).assign(**{"days since last visit": recency})


def clv_curve(features: pd.DataFrame, actual: pd.Series, days: float) -> pd.DataFrame:
    rows = []
    table = clv_table(features)
    repeat = np.flatnonzero(table["frequency"].to_numpy() > 0)
    once = np.flatnonzero(table["frequency"].to_numpy() == 0)
    share = len(repeat) / len(table)
    for n in (25, 50, 100, 200, 400, 800, 1600, 3200):
        if n > len(repeat):
            break
        ratios, maes = [], []
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            others = int(round(n * (1 - share) / share))
            pick = np.concatenate([rng.choice(repeat, n, replace=False),
                                   rng.choice(once, min(others, len(once)), replace=False)])
            part = table.iloc[pick]
            truth = actual.iloc[pick].to_numpy()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    model = BetaGeoModel().fit(part)
                    predicted = model.expected_visits(part, t=days)
                except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                    continue
            naive = (part["frequency"] + 1) / np.maximum(part["T"], 1) * days
            mae = float(np.mean(np.abs(predicted - truth)))
            maes.append(mae)
            ratios.append(mae / float(np.mean(np.abs(naive - truth))))
        rows.append({"repeat customers": n, "fits": len(ratios), "MAE": np.mean(maes) if maes else np.nan,
                     "MAE / own-rate MAE": np.mean(ratios) if ratios else np.nan,
                     "worst draw": np.max(ratios) if ratios else np.nan})
    return pd.DataFrame(rows)


def forecast_curve(history: pd.Series) -> pd.DataFrame:
    rows = []
    for days in (28, 42, 56, 84, 112, 180, 270):
        ours, naive = [], []
        for k in range(4):  # four origins, a month apart, before the end
            end = len(history) - HORIZON * (k + 1)
            train = history.iloc[max(0, end - days):end]
            if len(train) < days or end + HORIZON > len(history):
                continue
            actual = history.iloc[end:end + HORIZON].to_numpy()
            scale = _mase_scale(train.to_numpy())
            ours.append(_mase(actual, forecast(train, HORIZON).yhat.to_numpy(), scale))
            naive.append(_mase(actual, seasonal_naive(train, HORIZON).to_numpy(), scale))
        if ours:
            rows.append({"days of history": days, "MASE": np.mean(ours), "seasonal naive MASE": np.mean(naive),
                         "origins won": int(sum(o < n for o, n in zip(ours, naive))), "origins": len(ours)})
    return pd.DataFrame(rows)


def segment_curve(features: pd.DataFrame) -> pd.DataFrame:
    rows = []
    everyone = segment_customers(features)["segment"]
    for n in (20, 50, 100, 200, 400, 1000):
        same = []
        for seed in SEEDS:
            part = features.sample(n, random_state=seed)
            same.append(float((segment_customers(part)["segment"] == everyone.loc[part.index]).mean()))
        rows.append({"customers": n, "same segment as with everyone": np.mean(same), "worst draw": np.min(same)})
    return pd.DataFrame(rows)


def main() -> None:
    size, seed = size_and_seed(__doc__)
    with scratch_home() as home:
        engine = make_engine(server.start(home / "pgdata"))
        migrate(engine)
        load(engine, simulate(size, seed), progress=lambda _: None)
        start, end = data_span(engine)
        evaluation, cutoffs = training_cutoffs(start, end, horizon_days=HORIZON, max_cutoffs=6, min_history_days=14)
        stacked = _labelled_cutoffs(engine, [evaluation, *cutoffs], HORIZON)
        X_eval, y_eval = stacked[0]
        X_train = pd.concat([f for f, _ in stacked[1:]])
        y_train = pd.concat([y for _, y in stacked[1:]]).to_numpy()
        churn = churn_curve(X_train, y_train, X_eval, y_eval.to_numpy())
        days = (end - evaluation).total_seconds() / 86400
        actual = query_df(engine, "customers/visit_days_between", start=evaluation, end=end) \
            .set_index("user_id")["visit_days"].reindex(X_eval.index).fillna(0)
        clv = clv_curve(X_eval, actual, days)
        history = daily_revenue(engine, club_ids=all_club_ids(engine))
        fc = forecast_curve(history.iloc[:-1])
        segments = segment_curve(customer_features(engine, cutoff=end - timedelta(hours=1)))
        engine.dispose()
    pd.set_option("display.width", 120)
    pd.set_option("display.float_format", lambda v: f"{v:.3f}")
    print(f"tier {size.name}, seed {seed}: {len(X_eval):,} customers at the held-out cutoff, "
          f"{len(X_train):,} training rows, base churn rate {y_eval.mean():.2f}\n")
    print("churn risk: ROC AUC by churned and staying customers trained on (each)")
    print(churn.to_string(index=False), "\n")
    print("lifetime value: BG/NBD's error on the next 30 days' visits by repeat customers fitted on")
    print(clv.to_string(index=False), "\n")
    print("revenue forecast, 30 days ahead, by days of history (chain)")
    print(fc.to_string(index=False), "\n")
    print("segments: customers who keep their RFM segment when quintiles come from fewer customers")
    print(segments.to_string(index=False))


if __name__ == "__main__":
    main()
