"""The Models page through AppTest on a trained tier-S database: versions, scores, roles, rollback."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from core.accounts import PermissionDenied
from core.models import registry, service
from tests.pages.support import charts, ok

PAGE = "pages/models.py"


@pytest.fixture(scope="module")
def scored(app_db, trained):
    return trained[0]


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_models_shows_the_active_version_and_the_actions_by_role(app_client, accounts, scored, role):
    at = app_client(accounts[role], PAGE)
    assert any("Active version" in m.value for m in at.markdown)
    assert at.dataframe
    assert charts(at)  # what drives churn risk
    retrain = [b for b in at.button if b.key == "retrain"]
    assert bool(retrain) == (role == "manager")
    # the quality in a manager's terms: the grade with its band, the held-out AUC, lift, calibration, risk spread
    labels = {m.label for m in at.metric}
    assert {"Prediction quality", "ROC AUC, held out", "Lift, top 10%", "Lift, top 20%"} <= labels
    assert any("coin flip" in c.value for c in at.caption) and any("is a rank" in c.value for c in at.caption)
    assert len(charts(at)) >= 3  # calibration, the spread of risk, what drives churn risk


@pytest.mark.parametrize("role", ["manager", "analyst"])
def test_models_shows_how_live_predictions_turned_out(app_client, accounts, scored, graded_backtests, role):
    at = app_client(accounts[role], PAGE, fresh=True)
    declined = [w.value for w in at.warning if "did clearly worse than promised" in w.value]
    assert len(declined) == 1 and graded_backtests.degraded.version in declined[0]
    live = next(d.value for d in at.dataframe if "live_auc" in d.value.columns)
    assert {graded_backtests.honest.version, graded_backtests.degraded.version} <= set(live.version)
    assert at.selectbox(key="live_version").options
    at.selectbox(key="live_version").set_value(graded_backtests.honest.version)
    ok(at.run())
    assert any("did not visit in the next 14 days" in c.value for c in at.caption)


@pytest.fixture(scope="module")
def newer(app_db, scored, model_settings, accounts):
    """A second, active version (forced), removed afterwards with its files; the first becomes active again."""
    from core.models.training import retrain

    before = registry.active_version(app_db)
    result = retrain(app_db, model_settings, force=True, trained_by="test", actor=accounts["manager"])
    yield result
    registry.activate(app_db, version=before)
    with app_db.begin() as conn:  # its scores and forecasts go with it (on delete cascade)
        conn.execute(sa.text("delete from model_versions where version = :v"), {"v": result.version})
    for name in ("joblib", "json"):
        (model_settings.models_dir / f"{result.version}.{name}").unlink(missing_ok=True)


def test_analyst_cannot_activate_a_version(accounts, scored, newer, app_db):
    assert registry.active_version(app_db) == newer.version
    with pytest.raises(PermissionDenied):
        service.activate(app_db, account=accounts["analyst"], version=scored.version)
    assert registry.active_version(app_db) == newer.version  # the same version stays active


def test_manager_can_roll_back_from_the_page(app_client, accounts, scored, newer, app_db):
    at = app_client(accounts["manager"], PAGE, fresh=True)  # the new version came from outside the app
    assert scored.version in at.selectbox(key="activate_pick").options
    at.selectbox(key="activate_pick").set_value(scored.version)
    at.button(key="activate").click()
    ok(at.run())
    assert registry.active_version(app_db) == scored.version != newer.version
    at.switch_page("pages/activity.py")
    table = ok(at.run()).dataframe[-1].value
    mine = table[table.who == accounts["manager"].username]
    assert {("retrained the models", newer.version), ("activated a model version", newer.version),
            ("activated a model version", scored.version)} <= set(zip(mine.action, mine.object_id))
    rollback = mine[(mine.action == "activated a model version") & (mine.object_id == scored.version)]
    assert json.loads(rollback.details.iloc[0]) == {"previous": newer.version, "rollback": True}
