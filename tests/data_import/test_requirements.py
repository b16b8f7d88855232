"""Minimum data for each prediction: thin data is not scored as if it were sound, and the retrain says
which models it skipped and why."""

from __future__ import annotations

from datetime import datetime, timezone

from core.data import requirements
from core.platform import thresholds


def test_the_counts_of_thin_data(thin):
    engine, _ = thin
    ready = requirements.assess(engine, data_end=datetime(2024, 3, 9, 11, tzinfo=timezone.utc))
    # what the models see: visits before the data's end (the last visit starts at that moment)
    assert ready.counts["customers"] == 5 and ready.counts["repeat_customers"] == 2
    assert ready.counts["paying_customers"] == 4 and 7 < ready.counts["history_days"] < 8
    assert not any(ready.ready(m) for m in requirements.MODELS)
    churn = {n.count: (n.have, n.need) for n in ready.missing("churn")}
    assert churn["stayed_examples"] == (0, thresholds.MIN_CHURN_EXAMPLES)


def test_the_retrain_skips_what_the_data_cannot_support_and_says_why(thin):
    engine, result = thin
    models = result.metrics["models"]
    assert {m: s["trained"] for m, s in models.items()} == {m: False for m in requirements.MODELS}
    assert all(s["reason"] == "not enough data" for s in models.values())
    assert result.row_counts["customers"] == 0 and result.row_counts["forecast_rows"] == 0
    assert "churn risk was skipped" in result.reason
    notice = requirements.not_enough(result.metrics, "clv")
    assert notice.startswith("not enough data yet: 8 of 60 days of history; ")
    assert "not enough data yet: 2 of 100 customers who came on two days or more" in notice
    assert requirements.not_enough(result.metrics, "segments") == "not enough data yet: 5 of 100 customers with a visit"
    assert requirements.not_enough({"models": {"churn": {"trained": True}}}, "churn") is None
    assert requirements.not_enough({}, "churn") is None  # versions from before models could be skipped
