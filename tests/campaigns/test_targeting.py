"""The targeting control's numbers: what a top share or a risk threshold picks, and what it is worth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from core.campaigns import service
from core.campaigns.targeting import Audience, TargetingError, risk_band, select, summarize
from tests.campaigns.support import every_club


def _scores(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"user_id": np.arange(1, n + 1), "churn_risk": rng.uniform(0, 100, n).round(1),
                         "clv_12m": rng.gamma(2.0, 20_000, n).round(0),
                         "segment": rng.choice(["At risk", "Loyal", "Lost"], n)})


def test_a_top_share_is_a_rank_and_a_threshold_is_a_probability():
    s = _scores()
    top = select(s, Audience("top", 10))
    assert len(top) == 100
    assert top.churn_risk.min() >= s.churn_risk.nlargest(100).min()     # nobody left out is riskier
    threshold = select(s, Audience("threshold", 70))
    assert len(threshold) == int((s.churn_risk >= 70).sum())
    assert set(select(s, Audience("segment", segment="Lost")).user_id) == set(s[s.segment == "Lost"].user_id)
    assert len(select(s, Audience("top", 0.05))) == 1                    # a tiny share still picks someone
    assert len(select(s, Audience("top", 100))) == len(s)


def test_the_summary_adds_up_the_probabilities_and_values():
    s = pd.DataFrame({"user_id": [1, 2, 3, 4], "churn_risk": [90.0, 80.0, 30.0, 10.0],
                      "clv_12m": [10_000.0, 20_000.0, 50_000.0, 80_000.0]})
    chosen = select(s, Audience("threshold", 50))
    out = summarize(s, chosen, offer_cost=500, save_rate=0.2)
    assert out["targeted"] == 2 and out["targeted_share"] == 0.5
    assert out["expected_churners"] == pytest.approx(1.7)                # 0.9 + 0.8
    assert out["churners_share"] == pytest.approx(1.7 / 2.1)             # of 0.9 + 0.8 + 0.3 + 0.1
    assert out["expected_mistakes"] == pytest.approx(0.3)                # 0.1 + 0.2
    assert out["value_at_stake"] == 30_000
    assert out["cost"] == 1_000
    assert out["net_return"] == pytest.approx(0.2 * 30_000 - 1_000)
    assert out["lowest_risk"] == 80


def test_bad_targeting_is_refused_with_a_reason():
    with pytest.raises(TargetingError, match="top share"):
        Audience("top", 0)
    with pytest.raises(TargetingError, match="between 0 and 100"):
        Audience("threshold", 120)
    with pytest.raises(TargetingError, match="segment"):
        Audience("segment")
    with pytest.raises(TargetingError, match="number"):
        Audience("top", "ten")
    s = _scores(10)
    with pytest.raises(TargetingError, match="negative"):
        summarize(s, s, offer_cost=-1, save_rate=0.1)
    with pytest.raises(TargetingError, match="save rate"):
        summarize(s, s, offer_cost=1, save_rate=1.5)
    with pytest.raises(TargetingError, match="churn_risk"):
        select(s.drop(columns="churn_risk"), Audience())


def test_risk_bands_follow_the_product_thresholds():
    from core.platform.thresholds import HIGH_RISK, MEDIUM_RISK

    bands = risk_band([0, MEDIUM_RISK - 0.1, MEDIUM_RISK, HIGH_RISK - 0.1, HIGH_RISK, 100])
    assert list(bands) == ["low", "low", "medium", "medium", "high", "high"]


def test_targeting_on_the_database_agrees_with_the_scores(engine, trained, analyst):
    clubs = every_club(engine)
    out = service.targeting(engine, viewer=analyst, club_ids=clubs, audience=Audience("threshold", 70), offer_cost=300,
                            save_rate=0.1)
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "select count(*) filter (where churn_risk >= 70) as n, count(*) as total, "
            "sum(churn_risk) filter (where churn_risk >= 70) / 100 as churners, "
            "sum(coalesce(clv_12m, 0)) filter (where churn_risk >= 70) as value "
            "from customer_scores where version = active_model_version()")).one()
    assert out["customers"] == row.total and out["targeted"] == row.n > 0
    assert out["expected_churners"] == pytest.approx(float(row.churners))
    assert out["value_at_stake"] == pytest.approx(float(row.value))
    assert service.targeting(engine, viewer=analyst, club_ids=[], audience=Audience(), offer_cost=0, save_rate=0.1)["targeted"] == 0


def test_the_exported_list_masks_contacts_for_analysts(engine, trained, manager, analyst):
    clubs = every_club(engine)
    full = service.targeted_list(engine, viewer=manager, club_ids=clubs, audience=Audience("top", 5))
    masked = service.targeted_list(engine, viewer=analyst, club_ids=clubs, audience=Audience("top", 5))
    assert len(full) == len(masked) > 0
    assert list(full.user_id) == list(masked.user_id)
    assert list(full.risk_rank) == list(range(1, len(full) + 1))
    assert full.email.notna().any() and full.email.str.contains("***", regex=False).sum() == 0
    assert "email" not in masked.columns and "phone" not in masked.columns   # analysts get no contacts
    assert (masked.full_name.dropna().str.len() <= full.full_name.dropna().str.len()).all()
