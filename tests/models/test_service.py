"""The Models page's service on a trained tier-S database: versions, the active one's scores, the actions."""

from __future__ import annotations

import pytest

from core.accounts import Account, PermissionDenied, Role
from core.i18n import _, use_locale
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
    assert list(rows.columns) == ["metric", "model", "simple rule", "BG/NBD alone", "posterior alone"]
    assert rows.metric.iloc[0] == "Churn: ROC AUC" and rows.model.iloc[0] == f"{active.churn_auc:.3f}"
    assert rows["BG/NBD alone"].iloc[3] == "—"  # no forecast score for BG/NBD alone
    with use_locale("ru"):
        russian = service.metric_rows(active)
        assert russian.metric.iloc[0] == "Отток: ROC AUC"
        assert russian.model.iloc[0] == f"{active.churn_auc:.3f}".replace(".", ",")
        russian_drivers = set(service.churn_drivers(active).index)
    drivers = service.churn_drivers(active)
    assert 0 < len(drivers) <= service.TOP_DRIVERS and drivers.is_monotonic_increasing
    assert set(drivers.index) <= set(service.FEATURE_NAMES.values())  # in words, never a column's name
    with use_locale("ru"):
        assert russian_drivers == {_(name) for name in drivers.index} != set(drivers.index)
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


def test_the_quality_in_plain_terms(engine, trained):
    from core.models import quality
    from core.platform.clubs import all_club_ids
    from tests.conftest import CHAIN_VIEWER, viewer_of

    ids = all_club_ids(engine)
    result = service.churn_quality(engine, viewer=CHAIN_VIEWER, club_ids=ids)
    q = result.quality
    assert q.score == pytest.approx(200 * q.auc - 100) and q.band == quality.band(q.score)
    assert q.lift["lift_top10"] >= q.lift["lift_top20"] >= 1 and 0 < q.lift["capture_top10"] < 1
    assert list(result.calibration.columns) == ["decile", "customers", "predicted", "observed"]
    assert len(result.histogram) == 20 and result.histogram.risk_from.tolist() == list(range(0, 100, 5))
    scored = engine.connect().execute(__import__("sqlalchemy").text(
        "select count(*) from customer_scores where version = active_model_version()")).scalar()
    assert result.histogram.customers.sum() == scored
    one = service.churn_quality(engine, viewer=CHAIN_VIEWER, club_ids=ids[:1]).histogram.customers.sum()
    assert 0 < one < scored and service.churn_quality(engine, viewer=CHAIN_VIEWER, club_ids=[]).histogram.empty
    mine = service.churn_quality(engine, viewer=viewer_of(ids[:1]), club_ids=ids).histogram.customers.sum()
    assert mine == one  # a club's manager asking for the chain gets their club
    words = quality.summary(q) + quality.auc_words(q) + quality.lift_words(q) + quality.what_numbers_mean(30)
    assert q.label in words and "coin flip" in words and "probability" in words and "rank" in words


@pytest.mark.parametrize(("auc", "band"), [(0.95, "excellent"), (0.80, "excellent"), (0.75, "good"),
                                           (0.70, "good"), (0.65, "fair"), (0.55, "poor"), (0.40, "poor")])
def test_quality_bands(auc, band):
    from core.customers.churn_metrics import quality_score
    from core.models import quality

    assert quality.band(quality_score(auc)) == band
