"""The numbers that define the product, in one place.

SQL reads the same values through `product_threshold(name)` (the `product_thresholds` table, which
`migrate` fills from this module), so a BI tool and the app agree on what "at risk" means.
"""

from __future__ import annotations

HIGH_RISK = 70.0          # churn risk (0-100) at or above which a customer is "at risk"
MEDIUM_RISK = 40.0        # ... and at or above which a customer is slipping
WIN_BACK_DAYS = 90        # customers seen within this many days can still be won back
HIGH_VALUE_SHARE = 0.20   # the top share of customers by 12-month lifetime value is "high value"
NEAR_CAPACITY = 0.85      # a hall-hour booked at or above this share of its seats is near capacity
CHURN_WINDOW_DAYS = 30    # churn = no visit in this many days (OYNA_CHURN_DAYS overrides it per install)
LIVE_GAP_DAYS = 2         # data whose latest booking started longer ago than this ends in the past: every
                          # page and model then works "as of" that booking (data_as_of(), migration 013)

# Minimum data before a model predicts (core/data/requirements.py; the evidence is in docs/models.md).
# Below one of these the retrain skips the model and the pages say "not enough data yet: X of Y".
MIN_SEGMENT_CUSTOMERS = 100    # customers with a visit, for RFM quintiles
MIN_CHURN_EXAMPLES = 200       # customers who stopped coming and who kept coming (each) at the held-out cutoff
MIN_REPEAT_CUSTOMERS = 100     # customers who came on two days or more (BG/NBD learns from repeats)
MIN_PAYING_CUSTOMERS = 100     # customers with a successful payment (Gamma-Gamma learns spend)
MIN_CUSTOMERS_3_VISITS = 50    # customers with three visits or more
MIN_FORECAST_DAYS = 84         # days with revenue before the revenue forecast


def churn_history_days(window_days: int = CHURN_WINDOW_DAYS) -> int:
    """Days of history churn risk needs: a held-out window, a training window and two weeks before (74)."""
    return 2 * window_days + 14


def clv_history_days(window_days: int = CHURN_WINDOW_DAYS) -> int:
    """Days of history the lifetime models need: a window to learn from and one held out (60)."""
    return 2 * window_days

# data health (core/data/health.py; the rollups count these per club and day, migration 023)
HEALTH_MAX_AMOUNT = 1_000_000  # ₸: one visit's payment above this is absurd for a gaming club
HEALTH_MIN_VISIT_MINUTES = 1   # a visit shorter than this is a glitch (a login and a logout at once)
HEALTH_MAX_VISIT_HOURS = 16    # ... and one longer than this is suspicious (a night package is 10 hours)

# prediction quality, 0-100 (2 x ROC AUC - 1, as Braze grades lift quality): excellent, good, fair from
QUALITY_EXCELLENT = 60.0  # ... AUC 0.80
QUALITY_GOOD = 40.0       # ... AUC 0.70 ("70% or more is good, 50% is a coin flip")
QUALITY_FAIR = 20.0       # ... AUC 0.60; below it, poor
# live churn predictions fall "clearly below" their promise when their ROC AUC is lower than the held-out
# AUC at training by more than this much AND by more than LIVE_AUC_Z standard errors of the difference
LIVE_AUC_TOLERANCE = 0.02
LIVE_AUC_Z = 2.0

THRESHOLDS: dict[str, float] = {
    "high_risk": HIGH_RISK,
    "medium_risk": MEDIUM_RISK,
    "win_back_days": WIN_BACK_DAYS,
    "high_value_share": HIGH_VALUE_SHARE,
    "near_capacity": NEAR_CAPACITY,
    "churn_window_days": CHURN_WINDOW_DAYS,
    "live_gap_days": LIVE_GAP_DAYS,
    "quality_excellent": QUALITY_EXCELLENT,
    "quality_good": QUALITY_GOOD,
    "quality_fair": QUALITY_FAIR,
    "live_auc_tolerance": LIVE_AUC_TOLERANCE,
    "live_auc_z": LIVE_AUC_Z,
    "health_max_amount": HEALTH_MAX_AMOUNT,
    "health_min_visit_minutes": HEALTH_MIN_VISIT_MINUTES,
    "health_max_visit_hours": HEALTH_MAX_VISIT_HOURS,
}
