"""Churn risk: will a customer who has visited stay away for the next N days?

Supervised on the chain's own history. Features come from `core.customers.features.customer_features`
at a cutoff and the label from `churn_labels` (1 = no visit in the N days after the cutoff).

Training protocol (`train_churn`):

* evaluation cutoff: data_end - N, the latest cutoff whose label window has fully passed;
* training cutoffs: data_end - 2N, then further back (7 to N days apart, up to `max_cutoffs`,
  each with at least `min_history_days` of data before it) until `max_rows` training rows are
  reached; their label windows end on or before the evaluation cutoff, so nothing the model
  learns from overlaps the evaluation window;
* the model is compared on the evaluation cutoff with two baselines: days since the last visit,
  and BG/NBD's 1 - P(alive) fitted on the same cutoff (it can rank churners badly, so it is only
  ever a baseline);
* the returned model is retrained on all cutoffs up to the evaluation cutoff, for scoring today.

Scoring against the demo simulator's hidden future is `core.demo.truth` (evaluation only).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from sqlalchemy.engine import Engine
from threadpoolctl import threadpool_limits

from core.customers.features import CATEGORICAL_FEATURES, CUTOFF_SLACK, NUMERIC_FEATURES, as_cutoff, churn_labels, \
    customer_features, data_span
from core.platform.thresholds import CHURN_WINDOW_DAYS

MODEL_FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
# churn can only rise with these (+1) or fall (-1), all else equal
MONOTONIC = {"recency_days": 1}


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Gradient-boosted trees with calibrated probabilities of churn.

    Parameters
    ----------
    categorical : columns treated as categories (others must be numeric); those absent from X are ignored.
    learning_rate, max_iter, max_leaf_nodes, min_samples_leaf, l2_regularization :
        passed to HistGradientBoostingClassifier (early stopping on an inner validation split).
    calibration : 'isotonic' or 'sigmoid', fitted on out-of-fold predictions by CalibratedClassifierCV.
    cv : folds for the calibration (grouped by customer when `fit` gets `groups`).
    monotonic : constrain churn to rise with days since the last visit.
    importance_rows : rows of one held-out fold used for permutation importance (0 = skip).
    n_threads : OpenMP threads for the trees (None = every core). One by default: next to the app and
        the database on a small server, multithreaded boosting under load was up to 25x slower.
    random_state : seed for the trees, the folds and the permutations.

    Attributes
    ----------
    feature_names_ : columns used, in order (predict_* select them from X by name).
    categories_ : the categories learned for each categorical column (unseen ones are treated as missing).
    calibrated_ : the fitted CalibratedClassifierCV.
    feature_importances_ : pandas Series, mean drop in ROC AUC when a feature is shuffled, on held-out rows.
    classes_ : array([0, 1]).
    """

    def __init__(self, *, categorical: tuple[str, ...] = tuple(CATEGORICAL_FEATURES), learning_rate: float = 0.1,
                 max_iter: int = 200, max_leaf_nodes: int = 15, min_samples_leaf: int = 40,
                 l2_regularization: float = 1.0, calibration: str = "isotonic", cv: int = 3,
                 monotonic: bool = True, importance_rows: int = 2000, n_threads: int | None = 1,
                 random_state: int | None = 0) -> None:
        self.categorical = categorical
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.calibration = calibration
        self.cv = cv
        self.monotonic = monotonic
        self.importance_rows = importance_rows
        self.n_threads = n_threads
        self.random_state = random_state

    # ------------------------------------------------------------ input

    def _check_params(self) -> None:
        if self.calibration not in ("isotonic", "sigmoid"):
            raise ValueError(f"calibration must be 'isotonic' or 'sigmoid', got {self.calibration!r}")
        if not isinstance(self.cv, int) or self.cv < 2:
            raise ValueError(f"cv must be a whole number >= 2, got {self.cv!r}")
        if not 0 < self.learning_rate <= 1:
            raise ValueError("learning_rate must be in (0, 1]")
        if self.importance_rows < 0:
            raise ValueError("importance_rows must be >= 0")
        if self.n_threads is not None and (not isinstance(self.n_threads, int) or self.n_threads < 1):
            raise ValueError("n_threads must be None or a whole number >= 1")

    def _frame(self, X: Any) -> pd.DataFrame:
        if not isinstance(X, pd.DataFrame):
            raise ValueError("X must be a pandas DataFrame of customer features (see core.customers.features)")
        if X.empty:
            raise ValueError("X has no rows")
        return X

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        """Float matrix: numeric columns as they are, categories as codes (unseen -> NaN)."""
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise ValueError(f"X lacks the model's feature columns: {', '.join(missing)}")
        out = np.empty((len(X), len(self.feature_names_)), dtype=float)
        for j, col in enumerate(self.feature_names_):
            values = X[col]
            if col in self.categories_:
                codes = pd.Index(self.categories_[col]).get_indexer(values.astype(str))
                out[:, j] = np.where(codes < 0, np.nan, codes)
            else:
                try:
                    out[:, j] = pd.to_numeric(values, errors="raise").to_numpy(dtype=float)
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"feature {col!r} must be numeric or listed in `categorical`") from exc
        if np.isinf(out).any():
            raise ValueError("X contains infinite values")
        return out

    # ------------------------------------------------------------ fitting

    def fit(self, X: pd.DataFrame, y: Any, groups: Any = None) -> ChurnModel:
        """Fit on customer features X and labels y (1 = churned); `groups` (e.g. user ids) keeps a
        customer's rows from several cutoffs in one calibration fold."""
        self._check_params()
        with threadpool_limits(self.n_threads):
            return self._fit(X, y, groups)

    def _fit(self, X: pd.DataFrame, y: Any, groups: Any) -> ChurnModel:
        X = self._frame(X)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(f"y must be one label per row of X ({len(X)}), got shape {y.shape}")
        if pd.isna(y).any() or not np.isin(y, (0, 1)).all():
            raise ValueError("y must hold only 0 (stayed) and 1 (churned)")
        y = y.astype(int)
        if np.bincount(y, minlength=2).min() < self.cv:
            raise ValueError(f"each class needs at least cv={self.cv} rows to fit, got {np.bincount(y, minlength=2)}")
        self.feature_names_ = [str(c) for c in X.columns]
        cat = [c for c in self.feature_names_ if c in self.categorical]
        self.categories_ = {c: sorted(X[c].dropna().astype(str).unique()) for c in cat}
        too_many = [c for c, v in self.categories_.items() if len(v) > 250]
        if too_many:
            raise ValueError(f"categorical features with more than 250 values: {', '.join(too_many)}")
        matrix = self._encode(X)
        cst = [MONOTONIC.get(c, 0) if self.monotonic and c not in cat else 0 for c in self.feature_names_]
        trees = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate, max_iter=self.max_iter, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization,
            categorical_features=[c in self.categories_ for c in self.feature_names_], monotonic_cst=cst,
            early_stopping=True, validation_fraction=0.15, n_iter_no_change=20, random_state=self.random_state,
        )
        if groups is not None:
            groups = np.asarray(groups)
            if len(groups) != len(X):
                raise ValueError("groups must have one value per row of X")
            folds = list(GroupKFold(n_splits=self.cv).split(matrix, y, groups))
        else:
            folds = list(StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state).split(matrix, y))
        self.calibrated_ = CalibratedClassifierCV(trees, method=self.calibration, cv=folds).fit(matrix, y)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(self.feature_names_)
        self.feature_importances_ = self._importance(matrix, y, folds)
        return self

    def _importance(self, matrix: np.ndarray, y: np.ndarray, folds: list) -> pd.Series:
        """Permutation importance of the first fold's model on its own held-out rows."""
        if self.importance_rows == 0:
            return pd.Series(np.nan, index=self.feature_names_)
        rng = np.random.default_rng(self.random_state)
        held_out = folds[0][1]
        if len(held_out) > self.importance_rows:
            held_out = rng.choice(held_out, self.importance_rows, replace=False)
        Xh, yh = matrix[held_out], y[held_out]
        if len(np.unique(yh)) < 2:
            return pd.Series(np.nan, index=self.feature_names_)
        model = self.calibrated_.calibrated_classifiers_[0].estimator
        base = roc_auc_score(yh, model.predict_proba(Xh)[:, 1])
        drops = np.zeros(len(self.feature_names_))
        for j in range(len(self.feature_names_)):
            shuffled = Xh.copy()
            shuffled[:, j] = rng.permutation(Xh[:, j])
            drops[j] = base - roc_auc_score(yh, model.predict_proba(shuffled)[:, 1])
        return pd.Series(drops, index=self.feature_names_).sort_values(ascending=False)

    # ------------------------------------------------------------ prediction

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """[P(stays), P(churns)] per row."""
        check_is_fitted(self, "calibrated_")
        matrix = self._encode(self._frame(X))
        with threadpool_limits(self.n_threads):
            return self.calibrated_.predict_proba(matrix)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def churn_risk(self, X: pd.DataFrame) -> pd.Series:
        """Churn risk 0-100 per customer (the calibrated probability in percent)."""
        risk = np.clip(self.predict_proba(X)[:, 1] * 100, 0, 100)
        return pd.Series(risk, index=X.index, name="churn_risk")


# ---------------------------------------------------------------- evaluation


def classification_metrics(y: Any, p: Any) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision) and Brier score of scores p against labels y."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(np.unique(y)) < 2:
        raise ValueError("labels have only one class; ROC AUC is undefined")
    out = {"roc_auc": float(roc_auc_score(y, p)), "pr_auc": float(average_precision_score(y, p))}
    if np.all((p >= 0) & (p <= 1)):
        out["brier"] = float(brier_score_loss(y, p))
    return out


def calibration_table(y: Any, p: Any, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability vs observed churn rate by decile of the prediction."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    bins = max(1, min(bins, len(p)))
    decile = pd.qcut(pd.Series(p).rank(method="first"), bins, labels=False) + 1
    table = pd.DataFrame({"decile": decile, "predicted": p, "observed": y}).groupby("decile").agg(
        customers=("observed", "size"), mean_predicted=("predicted", "mean"), observed_rate=("observed", "mean"))
    return table.reset_index()


def bgnbd_churn_score(features: pd.DataFrame) -> np.ndarray:
    """BG/NBD's 1 - P(alive), fitted on these customers' bg_* columns (a baseline, never used alone)."""
    from core.customers.clv import BetaGeoModel, clv_table

    table = clv_table(features)
    model = BetaGeoModel().fit(table)
    return 1.0 - np.clip(model.probability_alive(table), 0.0, 1.0)


# ---------------------------------------------------------------- training protocol


@dataclass
class ChurnResult:
    """What `train_churn` learned and how it did on the held-out cutoff."""

    model: ChurnModel                      # retrained on every usable cutoff, for scoring now
    metrics: dict[str, Any]                # JSON-friendly: model, baselines, calibration, importance
    baselines: dict[str, dict[str, float]]  # "recency", "bgnbd" -> metrics on the held-out cutoff
    calibration: pd.DataFrame              # deciles of the held-out predictions
    evaluation_cutoff: datetime
    training_cutoffs: list[datetime]
    horizon_days: int
    row_counts: dict[str, int]             # train, evaluation, final
    seconds: float
    evaluation_model: ChurnModel | None = field(default=None, repr=False)  # trained on training cutoffs only
    evaluation_features: pd.DataFrame | None = field(default=None, repr=False)  # customer_features at the
    evaluation_labels: pd.Series | None = field(default=None, repr=False)      # evaluation cutoff, for reuse


def training_cutoffs(data_start: datetime, data_end: datetime, *, horizon_days: int, max_cutoffs: int,
                     min_history_days: int) -> tuple[datetime, list[datetime]]:
    """(evaluation cutoff, training cutoffs newest first).

    The evaluation cutoff is data_end - N; training cutoffs start at data_end - 2N (so their label
    windows end by the evaluation cutoff) and step back, at most N and at least 7 days apart,
    spreading up to `max_cutoffs` over the history that leaves `min_history_days` before each.
    """
    evaluation = data_end - timedelta(days=horizon_days)
    newest = data_end - timedelta(days=2 * horizon_days)
    span = (newest - data_start).total_seconds() / 86400 - min_history_days
    if span < 0:
        need = 2 * horizon_days + min_history_days
        have = (data_end - data_start).total_seconds() / 86400
        raise ValueError(f"churn training needs at least {need} days of bookings for a {horizon_days}-day "
                         f"horizon; the data spans {have:.0f}")
    step = float(np.clip(span / max(max_cutoffs - 1, 1), 7, horizon_days))
    count = min(max_cutoffs, int(span // step) + 1)
    return evaluation, [newest - timedelta(days=step * k) for k in range(count)]


def _labelled(engine: Engine, cutoff: datetime, horizon_days: int) -> tuple[pd.DataFrame, pd.Series]:
    features = customer_features(engine, cutoff=cutoff)
    labels = churn_labels(engine, cutoff=cutoff, horizon_days=horizon_days).reindex(features.index)
    if labels.isna().any():
        raise ValueError(f"features and labels disagree on who visited before {cutoff:%Y-%m-%d}")
    return features, labels.astype(int)


def _labelled_cutoffs(engine: Engine, cutoffs: list[datetime], horizon_days: int, *, enough_rows: int | None = None,
                      skip: int = 0, workers: int = 3) -> list[tuple[pd.DataFrame, pd.Series]]:
    """Features and labels at each cutoff, in order, a few queries at a time to keep the server busy.

    With `enough_rows`, stops after the batch that brings the rows (not counting the first `skip`
    cutoffs) to at least that many.
    """
    out: list[tuple[pd.DataFrame, pd.Series]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for i in range(0, len(cutoffs), workers):
            out += pool.map(lambda c: _labelled(engine, c, horizon_days), cutoffs[i:i + workers])
            if enough_rows is not None and sum(len(f) for f, _ in out[skip:]) >= enough_rows:
                break
    return out


def _cap(X: pd.DataFrame, y: pd.Series, max_rows: int, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.Series]:
    if len(X) <= max_rows:
        return X, y
    keep = np.sort(rng.choice(len(X), max_rows, replace=False))
    return X.iloc[keep], y.iloc[keep]


def train_churn(engine: Engine, *, data_end: datetime, horizon_days: int = CHURN_WINDOW_DAYS, random_state: int = 0,
                max_cutoffs: int = 6, min_history_days: int = 14, max_rows: int = 40_000,
                **model_params: Any) -> ChurnResult:
    """Train, evaluate on the latest fully elapsed cutoff against two baselines, then retrain for scoring.

    `max_rows` caps the rows each fit sees (a random sample of the stacked cutoffs); `model_params`
    go to ChurnModel.
    """
    started = time.perf_counter()
    data_end = as_cutoff(data_end, "data_end")
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 1:
        raise ValueError(f"horizon_days must be a whole number of days >= 1, got {horizon_days!r}")
    if max_cutoffs < 1 or min_history_days < 0 or max_rows < 100:
        raise ValueError("need max_cutoffs >= 1, min_history_days >= 0 and max_rows >= 100")
    data_start, known_end = data_span(engine)
    if data_end > known_end + CUTOFF_SLACK:
        raise ValueError(f"data_end {data_end:%Y-%m-%d %H:%M} is after the end of the data "
                         f"({known_end:%Y-%m-%d %H:%M})")
    data_end = min(data_end, known_end)  # a quiet hour after the last booking: labels end where the data does
    evaluation_cutoff, train_cutoffs = training_cutoffs(
        data_start, data_end, horizon_days=horizon_days, max_cutoffs=max_cutoffs, min_history_days=min_history_days)
    rng = np.random.default_rng(random_state)
    columns = MODEL_FEATURES

    # the evaluation cutoff first; training cutoffs until there are max_rows training rows
    stacked = _labelled_cutoffs(engine, [evaluation_cutoff, *train_cutoffs], horizon_days,
                                enough_rows=max_rows, skip=1)
    X_eval, y_eval = stacked[0]
    train_cutoffs = train_cutoffs[:len(stacked) - 1]
    X_train = pd.concat([f for f, _ in stacked[1:]])
    y_train = pd.concat([y for _, y in stacked[1:]])
    if y_train.nunique() < 2 or y_eval.nunique() < 2:
        raise ValueError("the churn labels have a single class; there is not enough history to learn from")
    Xf, yf = _cap(X_train, y_train, max_rows, rng)
    evaluation_model = ChurnModel(random_state=random_state, importance_rows=0, **model_params) \
        .fit(Xf[columns], yf, groups=Xf.index)
    p_eval = evaluation_model.predict_proba(X_eval)[:, 1]

    model_metrics = classification_metrics(y_eval, p_eval)
    base_rate = float(y_eval.mean())
    model_metrics["brier_base_rate"] = float(np.mean((y_eval - base_rate) ** 2))
    baselines = {"recency": classification_metrics(y_eval, X_eval["recency_days"])}
    try:
        baselines["bgnbd"] = classification_metrics(y_eval, bgnbd_churn_score(X_eval))
    except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
        baselines["bgnbd"] = {"error": str(exc)}
    calibration = calibration_table(y_eval, p_eval)

    # the model to score with: every cutoff whose labels are known, newest included
    X_all, y_all = _cap(pd.concat([X_eval, X_train]), pd.concat([y_eval, y_train]), max_rows, rng)
    model = ChurnModel(random_state=random_state, **model_params).fit(X_all[columns], y_all, groups=X_all.index)

    metrics = {
        "horizon_days": horizon_days,
        "evaluation_cutoff": evaluation_cutoff.isoformat(),
        "training_cutoffs": [c.isoformat() for c in train_cutoffs],
        "base_rate": base_rate,
        **model_metrics,
        "baselines": baselines,
        "calibration": calibration.to_dict(orient="records"),
        "feature_importance": {k: float(v) for k, v in model.feature_importances_.items()},
    }
    row_counts = {"train": int(len(Xf)), "train_available": int(len(X_train)), "evaluation": int(len(X_eval)),
                  "final": int(len(X_all))}
    return ChurnResult(model=model, metrics=metrics, baselines=baselines, calibration=calibration,
                       evaluation_cutoff=evaluation_cutoff, training_cutoffs=train_cutoffs,
                       horizon_days=horizon_days, row_counts=row_counts,
                       seconds=time.perf_counter() - started, evaluation_model=evaluation_model,
                       evaluation_features=X_eval, evaluation_labels=y_eval)
