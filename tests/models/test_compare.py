"""The fair model gate on tier-S data: recipes, their refit on the candidate's rows, and every verdict."""

from __future__ import annotations

import joblib
import pytest

from core.customers.churn import ChurnModel
from core.customers.churn_training import train_churn
from core.customers.features import data_end
from core.models import compare


@pytest.fixture(scope="module")
def churn(engine, demo):
    return train_churn(engine, data_end=data_end(engine), horizon_days=14, random_state=0)


def test_a_recipe_refitted_on_the_candidates_rows_reproduces_its_held_out_score(churn):
    """The protocol is the same for both sides: the candidate's own recipe, refitted through clone on its
    training rows, scores exactly what the candidate scored on the held-out customers."""
    own = compare.candidate_recipe(churn)
    assert compare.refitted_auc(own, churn) == pytest.approx(churn.metrics["roc_auc"], abs=1e-12)
    assert not hasattr(own.estimator, "feature_names_")  # unfitted


def test_recipes_are_the_same_only_with_the_same_estimator_parameters_and_features(churn):
    own = compare.candidate_recipe(churn)
    assert own.same_as(compare.candidate_recipe(churn))
    trees = compare.Recipe(ChurnModel(random_state=0), ("recency_days", "frequency"))
    assert not own.same_as(trees)
    assert not trees.same_as(compare.Recipe(ChurnModel(random_state=1), ("recency_days", "frequency")))
    assert not trees.same_as(compare.Recipe(ChurnModel(random_state=0), ("recency_days",)))


def test_an_older_versions_recipe_is_read_off_its_fitted_model(churn):
    """Versions saved before recipes were kept: clone of the fitted model and its feature names."""
    recipe = compare.recipe_of({"churn": churn.model})
    assert recipe.features == tuple(churn.model.feature_names_)
    assert recipe.estimator.get_params() == churn.model.get_params()


def _save(models_dir, version, bundle):
    joblib.dump(bundle, models_dir / f"{version}.joblib")


def test_verdicts(churn, tmp_path):
    assert compare.judge(churn, active=None, models_dir=tmp_path).gate["message"] == compare.FIRST_VERSION
    missing = compare.judge(churn, active="v-gone", models_dir=tmp_path)
    assert missing.activate and missing.gate["message"] == compare.NO_RECIPE and "v-gone" in missing.text

    _save(tmp_path, "v-same", {"churn": churn.model, "recipe": compare.candidate_recipe(churn).bundle()})
    same = compare.judge(churn, active="v-same", models_dir=tmp_path)
    assert same.activate and same.gate["message"] == compare.SAME_RECIPE

    # a recipe that needs a column today's features lack cannot be rebuilt: the candidate goes live, saying why
    odd = compare.Recipe(ChurnModel(random_state=0), ("recency_days", "loyalty_card_level")).bundle()
    _save(tmp_path, "v-odd", {"churn": churn.model, "recipe": odd})
    rebuilt = compare.judge(churn, active="v-odd", models_dir=tmp_path)
    assert rebuilt.activate and rebuilt.gate["message"] == compare.NO_RECIPE and "loyalty_card_level" in rebuilt.text

    # another recipe is refitted on the candidate's rows and judged on the same held-out customers
    weak = compare.Recipe(ChurnModel(random_state=0, max_iter=5), ("night_share",)).bundle()
    _save(tmp_path, "v-weak", {"churn": churn.model, "recipe": weak})
    better = compare.judge(churn, active="v-weak", models_dir=tmp_path)
    assert better.activate and better.gate["message"] == compare.NOT_WORSE
    assert better.gate["active_auc"] < better.gate["candidate_auc"]
    stricter = compare.judge(churn, active="v-weak", models_dir=tmp_path, margin=-1.0)
    assert not stricter.activate and stricter.gate["message"] == compare.WORSE
