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

THRESHOLDS: dict[str, float] = {
    "high_risk": HIGH_RISK,
    "medium_risk": MEDIUM_RISK,
    "win_back_days": WIN_BACK_DAYS,
    "high_value_share": HIGH_VALUE_SHARE,
    "near_capacity": NEAR_CAPACITY,
    "churn_window_days": CHURN_WINDOW_DAYS,
}
