"""Churn risk: will a customer who has visited stay away for the next N days?

`ChurnModel` is gradient-boosted trees with calibrated probabilities, fitted on a checked DataFrame of
customer features (`core.customers.features.model_features`: the SQL features, bookings made ahead, and
the learned posterior of each customer's visit rate and lifetime). The training protocol, which also
picks between the trees and the posterior alone, is `core.customers.churn_training.train_churn`;
scoring against the demo simulator's hidden future is `core.demo.truth` (evaluation only).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from core.customers.churn_metrics import calibration_table, classification_metrics
from core.customers.features import CATEGORICAL_FEATURES, HISTORY_FEATURES, NUMERIC_FEATURES

__all__ = ["MODEL_FEATURES", "MONOTONIC", "ChurnModel", "bgnbd_churn_score", "calibration_table",
           "classification_metrics", "recipe"]

MODEL_FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES + HISTORY_FEATURES
# churn can only rise with these (+1) or fall (-1), all else equal
MONOTONIC = (("recency_days", 1), ("posterior_no_visit", 1))


class ChurnModel(ClassifierMixin, BaseEstimator):
    """Gradient-boosted trees with calibrated probabilities of churn.

    Parameters
    ----------
    categorical : columns treated as categories (others must be numeric); those absent from X are ignored.
    learning_rate, max_iter, max_leaf_nodes, min_samples_leaf, l2_regularization :
        passed to HistGradientBoostingClassifier (early stopping on an inner validation split).
    calibration : 'isotonic' or 'sigmoid', fitted on out-of-fold predictions by CalibratedClassifierCV.
    cv : folds for the calibration (grouped by customer when `fit` gets `groups`).
    monotonic : (feature, +1 or -1) pairs: churn can only rise (+1) or fall (-1) with the feature, all else
        equal (features absent from X are ignored). True means MONOTONIC (the form of older versions),
        False none.
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
                 monotonic: tuple[tuple[str, int], ...] | bool = MONOTONIC, importance_rows: int = 2000,
                 n_threads: int | None = 1,
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
        constraints = self._constraints()
        if any(sign not in (-1, 1) for sign in constraints.values()):
            raise ValueError("monotonic constraints must be +1 (churn rises) or -1 (churn falls)")

    def _constraints(self) -> dict[str, int]:
        if isinstance(self.monotonic, bool):
            return dict(MONOTONIC) if self.monotonic else {}
        try:
            return {str(name): int(sign) for name, sign in self.monotonic}
        except (TypeError, ValueError) as exc:
            raise ValueError("monotonic must be True, False or (feature, +1 or -1) pairs") from exc

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
        constraints = self._constraints()
        cst = [constraints.get(c, 0) if c not in cat else 0 for c in self.feature_names_]
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


def bgnbd_churn_score(features: pd.DataFrame, horizon_days: int) -> np.ndarray:
    """BG/NBD's P(no visit in the next N days | history), fitted on these customers' bg_* columns (a
    baseline: not 1 - P(alive), which also counts active customers who visit rarely as staying)."""
    from core.customers.clv import BetaGeoModel, clv_table

    table = clv_table(features)
    return BetaGeoModel().fit(table).probability_no_visit(table, horizon_days)


def recipe(model: BaseEstimator, features: list[str], **protocol: Any) -> dict[str, Any]:
    """A JSON description of how a churn model is made: its class, parameters, feature columns and the
    training protocol's settings (horizon, cutoffs, row cap, ...)."""
    def plain(value: Any) -> Any:
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)

    params = {k: plain(v) for k, v in sorted(model.get_params().items())}
    return {"estimator": f"{type(model).__module__}.{type(model).__name__}", "params": params,
            "features": list(features), "protocol": {k: plain(v) for k, v in protocol.items()}}
