"""The Models page's service on a trained tier-S database: versions, the active one's scores, the actions."""

from __future__ import annotations

import pytest

from core.accounts import Account, PermissionDenied, Role
from core.i18n import use_locale
from core.models import registry, service


@pytest.fixture
def analyst():
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc)
    return Account(id=0, username="probe", role=Role.ANALYST, created_at=now, password_changed_at=now)


def test_versions_and_the_active_one(engine, trained):
    table = service.versions(engine)
    active = service.active_row(table)
    assert active.version == registry.active_version(engine)
    assert service.active_model(engine)["version"] == active.version
    assert active.version not in service.rollback_choices(table)
    assert service.active_row(table.iloc[0:0]) is None


def test_the_active_versions_scores(engine, trained):
    active = service.active_row(service.versions(engine))
    rows = service.metric_rows(active)
    assert list(rows.columns) == ["metric", "model", "simple rule", "BG/NBD alone"]
    assert rows.metric.iloc[0] == "Churn: ROC AUC" and rows.model.iloc[0] == f"{active.churn_auc:.3f}"
    assert rows["BG/NBD alone"].iloc[2] == "—"  # no Brier score for BG/NBD alone
    with use_locale("ru"):
        russian = service.metric_rows(active)
        assert russian.metric.iloc[0] == "Отток: ROC AUC"
        assert russian.model.iloc[0] == f"{active.churn_auc:.3f}".replace(".", ",")
        assert "дней с последнего визита" in set(service.churn_drivers(active).index)
    drivers = service.churn_drivers(active)
    assert 0 < len(drivers) <= service.TOP_DRIVERS and drivers.is_monotonic_increasing
    assert "days since the last visit" in set(drivers.index)
    assert not service.calibration(active).empty


def test_auc_history_needs_two_versions(engine, trained):
    table = service.versions(engine)
    scored = table.dropna(subset=["churn_auc"])
    history = service.auc_history(table)
    if len(scored) < 2:
        assert history.empty
    else:
        assert len(history) == 2 * len(scored)
    assert service.auc_history(table.iloc[:1]).empty


def test_only_managers_retrain_or_activate(engine, trained, model_settings, analyst):
    before = registry.active_version(engine)
    with pytest.raises(PermissionDenied):
        service.start_retrain(engine, account=analyst, settings=model_settings)
    with pytest.raises(PermissionDenied):
        service.activate(engine, account=analyst, version=before)
    assert registry.active_version(engine) == before and not service.retrain_running(engine)
