"""The model gate: does a new version's churn model rank churners at least as well as the active one's?

The comparison is fair: both are judged on the same held-out customers (those of the candidate's
evaluation cutoff, data end - N), and both are trained only on data from before that cutoff.

* the candidate: its evaluation model, trained on its training cutoffs (data end - 2N and earlier);
* the active version: its *recipe* (its estimator with its parameters, unfitted through
  `sklearn.base.clone`, and its feature columns) refitted on the candidate's own training rows.

Scoring the active version's fitted model instead would let it see its own training rows: it was
refitted on every cutoff up to the evaluation cutoff, so on unchanged data it always looked better and
no retrain could activate (issue 9). Identical recipes are a tie (the candidate activates); an active
recipe that cannot be rebuilt (unreadable files, features today's data lacks) lets the candidate
activate, and the verdict says why.

Each verdict is {"message": English text with {fields}, "params": {...}}, kept in the version's metrics
("gate") with the numbers behind it; the formatted English text also goes to model_versions.notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.metrics import roc_auc_score

from core.customers.churn_training import ChurnResult
from core.i18n import N_
from core.models import registry

NOT_WORSE_MARGIN = 0.005  # a new churn model may lose this much held-out ROC AUC and still go live

# Verdicts: English with {fields}, marked for translation (core.models.gate.gate_text reads them).
FIRST_VERSION = N_("first version")
FORCED = N_("forced")
BACKTEST = N_("trained as of {as_of}, a backtest: never activated")
NO_CHURN = N_("churn risk was skipped ({reason}); activated with the models the data supports")
SAME_RECIPE = N_("the same recipe as the active version {active}: a tie (held-out churn ROC AUC {new})")
NO_RECIPE = N_("the active version's recipe cannot be rebuilt ({error}); replaced")
NOT_WORSE = N_("churn ROC AUC {new} vs {old} for the active version {active}'s recipe, both trained before and "
               "scored on the same held-out customers")
WORSE = N_("churn ROC AUC {new} vs {old} for the active version {active}'s recipe, both trained before and "
           "scored on the same held-out customers: worse, kept the active version")


@dataclass(frozen=True)
class Recipe:
    """How a churn model is made: an unfitted estimator and the feature columns it is fitted on."""

    estimator: Any
    features: tuple[str, ...]

    def same_as(self, other: Recipe) -> bool:
        return (type(self.estimator) is type(other.estimator) and self.features == other.features
                and _params(self.estimator) == _params(other.estimator))

    def bundle(self) -> dict[str, Any]:
        """What a version's model file keeps of its recipe."""
        return {"estimator": clone(self.estimator), "features": list(self.features)}


def _params(estimator: Any) -> dict[str, Any]:
    return {k: repr(v) for k, v in estimator.get_params(deep=False).items()}


def candidate_recipe(churn: ChurnResult) -> Recipe:
    return Recipe(clone(churn.evaluation_model), tuple(churn.evaluation_model.feature_names_))


def recipe_of(bundle: dict[str, Any]) -> Recipe:
    """A saved version's recipe: kept in its file, or (older versions) read off its fitted model."""
    kept = bundle.get("recipe")
    if kept is not None:
        return Recipe(clone(kept["estimator"]), tuple(kept["features"]))
    model = bundle["churn"]
    return Recipe(clone(model), tuple(model.feature_names_))


@dataclass(frozen=True)
class Verdict:
    activate: bool
    gate: dict[str, Any]  # {"message", "params", and the numbers behind them}

    @property
    def text(self) -> str:
        return self.gate["message"].format(**self.gate.get("params", {}))


def verdict(message: str, activate: bool, **params: Any) -> Verdict:
    return Verdict(activate, {"message": message, "params": params})


def judge(churn: ChurnResult, *, active: str | None, models_dir: Path,
          margin: float | None = None) -> Verdict:
    """Compare the candidate with the active version (None: there is none) on the candidate's held-out rows."""
    if active is None:
        return verdict(FIRST_VERSION, True)
    new_auc = round(float(churn.metrics["roc_auc"]), 3)
    try:
        old = recipe_of(registry.load_bundle(models_dir, active))
    except Exception as exc:  # noqa: BLE001 - a file that cannot be read back for any reason (gone, truncated,
        # written by code that no longer exists) cannot hold the new version back
        return verdict(NO_RECIPE, True, error=str(exc) or type(exc).__name__)
    if old.same_as(candidate_recipe(churn)):
        return verdict(SAME_RECIPE, True, active=active, new=new_auc)
    try:
        old_auc = refitted_auc(old, churn)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return verdict(NO_RECIPE, True, error=str(exc) or type(exc).__name__)
    margin = NOT_WORSE_MARGIN if margin is None else margin
    ok = bool(churn.metrics["roc_auc"] >= old_auc - margin)
    result = verdict(NOT_WORSE if ok else WORSE, ok, new=new_auc, old=round(old_auc, 3), active=active)
    result.gate.update(candidate_auc=float(churn.metrics["roc_auc"]), active_auc=old_auc, margin=margin)
    return result


def refitted_auc(recipe: Recipe, churn: ChurnResult) -> float:
    """ROC AUC on the candidate's held-out rows of `recipe` fitted on the candidate's training rows."""
    X, y = churn.training_features, churn.training_labels
    missing = [c for c in recipe.features if c not in X.columns]
    if missing:
        raise KeyError(f"today's features lack {', '.join(missing)}")
    model = clone(recipe.estimator)
    if "importance_rows" in model.get_params():
        model.set_params(importance_rows=0)  # not needed to judge it
    columns = list(recipe.features)
    model.fit(X[columns], y, groups=X.index)
    p = model.predict_proba(churn.evaluation_features[columns])[:, 1]
    return float(roc_auc_score(np.asarray(churn.evaluation_labels), p))
