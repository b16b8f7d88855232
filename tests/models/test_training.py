"""Retraining end to end on tier-S data: registry, files, scores, SQL functions, locking, rollback.

The session shares one trained version (`trained`); a test that retrains more uses `forget_new_versions`,
which puts the active version back and deletes the versions it made, with their scores and files.
"""

import json
import os
import shutil
import time

import pytest
import sqlalchemy as sa

from core.i18n import use_locale
from core.models import compare, registry, service
from core.models.training import retrain
from core.platform.settings import Settings


@pytest.fixture
def settings(model_settings) -> Settings:
    return model_settings


def _rows(engine, sql, **params):
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).all()


@pytest.fixture
def forget_new_versions(engine, settings, trained):
    before = {v for (v,) in _rows(engine, "select version from model_versions")}
    active = registry.active_version(engine)
    yield
    if active is not None and registry.active_version(engine) != active:
        registry.activate(engine, version=active)
    made = {v for (v,) in _rows(engine, "select version from model_versions")} - before
    with engine.begin() as conn:  # scores and forecasts go with their version (on delete cascade)
        conn.execute(sa.text("delete from model_versions where version = any(:made)"), {"made": list(made)})
    for version in made:
        for suffix in (".joblib", ".json"):
            (settings.models_dir / f"{version}{suffix}").unlink(missing_ok=True)


def test_first_version_is_active_with_files_and_metadata(engine, settings, trained):
    result, steps = trained
    assert result.activated  # later tests may have activated newer versions since
    assert _rows(engine, "select activated_at from model_versions where version = :v", v=result.version)[0][0]
    model_file = settings.models_dir / f"{result.version}.joblib"
    meta = json.loads(model_file.with_suffix(".json").read_text())
    assert model_file.stat().st_size > 0
    assert meta["version"] == result.version
    assert {"scikit-learn", "numpy", "pandas"} <= set(meta["library_versions"])
    assert meta["data_window"]["end"] and meta["row_counts"]["customers"] > 0
    assert {"churn", "clv", "forecast"} <= set(meta["metrics"])
    fractions = [f for f, _ in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_every_customer_with_a_visit_is_scored(engine, trained):
    result, _ = trained
    scored = _rows(engine, "select count(*) from customer_scores where version = :v", v=result.version)[0][0]
    # a visit is a completed or live booking that started before the data's end (as in the features); a
    # booking made for tomorrow is not a visit yet, so its customer may have none
    visitors = _rows(engine, "select count(distinct user_id) from bookings "
                             "where status in ('завершено', 'активно') and start_time < "
                             "(select data_end from model_versions where version = :v)", v=result.version)[0][0]
    assert scored == visitors == result.row_counts["customers"]


def test_ai_customer_segmentation(engine, trained):
    rows = _rows(engine, "select * from ai_customer_segmentation()")
    active = _rows(engine, "select (row_counts ->> 'customers')::int from model_versions where status = 'active'")
    assert len(rows) == active[0][0] > 0
    first = rows[0]._mapping
    assert set(first) == {"user_id", "full_name", "segment", "churn_risk", "clv_predicted", "upsell_score",
                          "probability_alive", "expected_visits_30d", "next_visit_date", "recommendations"}
    risks = [float(r.churn_risk) for r in rows]
    assert risks == sorted(risks, reverse=True) and 0 <= min(risks) and max(risks) <= 100
    actions = [a for r in rows for a in r.recommendations]
    assert actions and all(a["label_en"] and a["label_ru"] and a["reason"] for a in actions)
    assert max(len(r.recommendations) for r in rows) <= 5


def test_ai_dashboard_summary(engine, trained):
    rows = {r.metric_name: r for r in _rows(engine, "select * from ai_dashboard_summary()")}
    assert set(rows) == {"revenue_today", "bookings_today", "seats_occupied_now", "utilization_today",
                         "customers_at_risk", "high_value_at_risk"}
    assert all(r.alert_level in ("normal", "warning", "critical") for r in rows.values())
    assert rows["revenue_today"].predicted_value is not None  # the active forecast covers today
    assert rows["customers_at_risk"].current_value > 0


def test_forecasts_cover_the_chain_and_each_club(engine, trained, demo):
    result, _ = trained
    clubs = _rows(engine, "select club_id, count(*) from revenue_forecasts where version = :v group by 1",
                  v=result.version)
    assert {c for c, _ in clubs} == {0, *demo.clubs.id.tolist()}
    assert all(n == 90 for _, n in clubs)


def test_one_retrain_at_a_time(engine, settings, trained):
    with registry.retrain_lock(engine):
        assert registry.retrain_running(engine)
        with pytest.raises(registry.RetrainBusy, match="already running"):
            retrain(engine, settings)


def test_failed_retrain_leaves_the_active_version_untouched(engine, settings, trained, monkeypatch):
    before = _rows(engine, "select version, status from model_versions order by version")
    scores = _rows(engine, "select count(*), sum(churn_risk) from customer_scores")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("core.forecast.service.forecast_every_series", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        retrain(engine, settings)
    assert _rows(engine, "select version, status from model_versions order by version") == before
    assert _rows(engine, "select count(*), sum(churn_risk) from customer_scores") == scores
    assert not registry.retrain_running(engine)


def test_second_version_and_rollback(engine, settings, trained, forget_new_versions):
    first = trained[0].version
    second = retrain(engine, settings, force=True, trained_by="test")
    assert second.activated and registry.active_version(engine) == second.version
    registry.activate(engine, version=first)
    assert registry.active_version(engine) == first
    statuses = dict(_rows(engine, "select version, status from model_versions"))
    assert statuses[first] == "active" and statuses[second.version] == "retired"
    with pytest.raises(registry.UnknownVersion):
        registry.activate(engine, version="v-nope")
    assert registry.active_version(engine) == first


def test_retraining_twice_on_unchanged_data_activates(engine, settings, trained, forget_new_versions):
    """Issue 9's sequence: a demo with no live feed, retrained twice; the second activates (or ties)."""
    first = retrain(engine, settings, trained_by="test")
    analyzed = _rows(engine, "select last_analyze from pg_stat_user_tables where relname = 'customer_scores'")[0][0]
    second = retrain(engine, settings, trained_by="test")
    assert first.activated and second.activated, (first.reason, second.reason)
    # each retrain leaves statistics for its new scores (autovacuum would set last_autoanalyze instead)
    again = _rows(engine, "select last_analyze from pg_stat_user_tables where relname = 'customer_scores'")[0][0]
    assert analyzed is not None and again > analyzed
    assert "worse" not in second.reason
    assert registry.active_version(engine) == second.version
    assert second.metrics["gate"]["message"] == compare.SAME_RECIPE  # the same recipe on the same data: a tie
    assert second.metrics["gate"]["params"]["active"] == first.version
    who = _rows(engine, "select activated_by, notes from model_versions where version = :v", v=second.version)[0]
    assert who.activated_by == "test" and "tie" in who.notes


def test_a_weak_candidate_is_rejected(engine, settings, trained, forget_new_versions, monkeypatch):
    """A candidate with useless features loses to the active recipe refitted on the same training rows."""
    active = registry.active_version(engine)
    monkeypatch.setattr("core.customers.churn_training.MODEL_FEATURES", ["night_share", "fav_band"])
    result = retrain(engine, settings, trained_by="test")
    gate = result.metrics["gate"]
    assert not result.activated and gate["message"] == compare.WORSE and "worse" in result.reason
    assert gate["candidate_auc"] < gate["active_auc"] - 0.05, gate
    assert gate["params"]["active"] == active and registry.active_version(engine) == active
    with use_locale("ru"):  # the verdict is kept as a message and its numbers, and read in any language
        assert "хуже" in result.reason_text
        assert service.versions(engine).set_index("version").loc[result.version, "notes"] == result.reason_text
    status = _rows(engine, "select status from model_versions where version = :v", v=result.version)[0][0]
    assert status == "rejected"
    # the recipe is kept with the version, so the next retrain can rebuild it
    kept = compare.recipe_of(registry.load_bundle(settings.models_dir, result.version))
    assert kept.features == ("night_share", "fav_band") and not hasattr(kept.estimator, "calibrated_")


def test_a_killed_retrains_files_are_cleaned_at_the_next(engine, settings, trained, forget_new_versions,
                                                           monkeypatch):
    """A retrain that dies after saving its files and before its row commits leaves an orphan pair; the next
    retrain removes it once it is older than the safety margin, and nothing else."""
    def registered():
        return {v for (v,) in _rows(engine, "select version from model_versions")}

    def killed(*args, **kwargs):
        raise RuntimeError("killed")

    with monkeypatch.context() as m:
        m.setattr("core.models.training.copy_frame", killed)
        with pytest.raises(RuntimeError, match="killed"):
            retrain(engine, settings)
    folder = settings.models_dir
    orphans = [p for p in folder.glob("v*.joblib") if p.stem not in registered()]
    assert len(orphans) == 1 and orphans[0].with_suffix(".json").exists()
    orphan = orphans[0].stem
    long_ago = time.time() - 3 * 3600

    def age(*paths):
        for path in paths:
            os.utime(path, (long_ago, long_ago))

    def copy_pair(name, *, database=None):
        shutil.copy(folder / f"{orphan}.joblib", folder / f"{name}.joblib")
        meta = json.loads((folder / f"{orphan}.json").read_text())
        meta.update(version=name, **({} if database is None else {"database": database}))
        (folder / f"{name}.json").write_text(json.dumps(meta))
        return folder / f"{name}.joblib", folder / f"{name}.json"

    recent = copy_pair("v20990101-000000")  # within the margin: perhaps a retrain still saving
    for path in recent:  # "now" by the clock the code reads (a file system stamps with its own)
        os.utime(path, (time.time(), time.time()))
    foreign = copy_pair("v20000101-000000", database="another database")  # shares the folder
    lone = folder / "v20000102-000000.joblib"  # a save killed between its two files
    temp = folder / ".v20000103-000000.joblib.x1y2.tmp"  # a save killed mid-write
    shutil.copy(folder / f"{orphan}.joblib", lone)
    temp.write_bytes(b"partial")
    active = registry.active_version(engine)
    age(folder / f"{orphan}.joblib", folder / f"{orphan}.json", *foreign, lone, temp,
        *(folder / f"{v}{suffix}" for v in registered() for suffix in (".joblib", ".json")))
    try:
        result = retrain(engine, settings, trained_by="test")
        assert not (folder / f"{orphan}.joblib").exists() and not (folder / f"{orphan}.json").exists()
        assert not lone.exists() and not temp.exists()
        assert all(p.exists() for p in (*recent, *foreign))
        assert (folder / f"{active}.joblib").exists() and (folder / f"{active}.json").exists()
        assert all((folder / f"{v}.joblib").exists() for v in registered())
        assert json.loads((folder / f"{result.version}.json").read_text())["database"]
    finally:
        for path in (*recent, *foreign, lone, temp):
            path.unlink(missing_ok=True)
